package io.forksim.bench;

import io.forksim.harness.BenchOptions;
import org.openjdk.jmh.runner.options.CommandLineOptionException;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Main class of {@code benchmarks.jar}.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar [JMH args]                        JMH's own command line
 * java -jar bench/target/benchmarks.jar --forksim-options JSON            what ./forksim bench starts
 * </pre>
 *
 * With JMH arguments it behaves as {@code org.openjdk.jmh.Main}, except that every JMH fork gets the engine's JVM
 * flags appended ({@link io.forksim.harness.JvmFlags}), so the jar works with a plain {@code java -jar}. The
 * forksim options ({@code --seed-table}, {@code --profile}, {@code --baseline}, ...) are parsed once, by
 * {@code ./forksim bench} ({@code cli/BenchCommand}), which passes them here as one JSON {@link BenchOptions}; this
 * jar then writes JMH's JSON result, prints the report (every result with ns per page, the seed thread's tables, the
 * contpte cliff, the dispatch comparison), runs the regression gate and exits 1 when it fails ({@link ForksimRun}).
 *
 * <p>Exit codes: 0 ok, 1 regression gate failed, 2 bad usage or the run failed.
 */
public final class BenchMain
{
    private BenchMain()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * {@code [--forksim-options JSON]} or JMH's arguments.
     *
     * @return the exit code: 0 ok, 1 regression, 2 bad usage or a failed run (reported on {@code err})
     */
    static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        if (args.length > 0 && args[0].equals(BenchOptions.ARGUMENT))
        {
            if (args.length != 2)
            {
                err.println("forksim bench: " + BenchOptions.ARGUMENT + " takes one JSON argument and nothing after it, got "
                    + (args.length - 1) + " arguments");
                return 2;
            }
            final BenchOptions o;
            try
            {
                o = BenchOptions.fromJson(args[1]);
            }
            catch (final IllegalArgumentException e)
            {
                err.println("forksim bench: " + e.getMessage());
                return 2;
            }
            return run(o, out, err);
        }
        if (args.length > 0 && args[0].startsWith("--") && !args[0].equals("--"))
        {
            err.println("forksim bench: unknown option " + args[0] + ": this jar alone takes JMH's arguments (one dash);"
                + " forksim's options go to ./forksim bench");
            return 2;
        }
        final List<String> jmh = args.length > 0 && args[0].equals("--") ? Arrays.asList(args).subList(1, args.length) : List.of(args);
        try
        {
            return JmhRunner.runCommandLine(jmh, err);
        }
        catch (final CommandLineOptionException e)
        {
            err.println("forksim bench: bad JMH arguments: " + e.getMessage());
            return 2;
        }
    }

    /**
     * A forksim run, or only the report and gate of a stored result, as {@code o} says.
     *
     * @return the exit code: 0 ok, 1 regression, 2 bad JMH arguments, an unreadable file or a failed run
     */
    public static int run(final BenchOptions o, final PrintStream out, final PrintStream err)
    {
        try
        {
            return ForksimRun.run(o, out, err);
        }
        catch (final CommandLineOptionException e)
        {
            err.println("forksim bench: bad JMH arguments: " + e.getMessage());
            return 2;
        }
        catch (final IOException | IllegalArgumentException | IllegalStateException e)
        {
            err.println("forksim bench: " + e.getMessage());
            return 2;
        }
    }
}
