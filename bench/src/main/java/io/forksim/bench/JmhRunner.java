package io.forksim.bench;

import io.forksim.harness.JvmFlags;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.ProfilersFailedException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Running JMH the way {@code org.openjdk.jmh.Main} does, plus the engine's JVM flags ({@link JvmFlags}) appended to
 * every JMH fork, so {@code java -jar benchmarks.jar [JMH args]} needs no flag of its own.
 */
final class JmhRunner
{
    private JmhRunner()
    {
    }

    /**
     * JMH's own command line: {@code args} parsed by JMH, the listing options answered, the benchmarks run.
     *
     * @return 0 ok, 2 when the run failed (reported on {@code err})
     * @throws CommandLineOptionException when JMH rejects {@code args}
     */
    static int runCommandLine(final List<String> args, final PrintStream err) throws CommandLineOptionException
    {
        final CommandLineOptions cmd = new CommandLineOptions(args.toArray(String[]::new));
        if (listingOnly(cmd))
        {
            return 0;
        }
        final ChainedOptionsBuilder b = new OptionsBuilder().parent(cmd);
        appendFlags(b, cmd, List.of());
        return execute(b, err) == null ? 2 : 0;
    }

    /** Answers JMH's help and listing options ({@code -h}, {@code -l}, {@code -lp}, {@code -lprof}, {@code -lrf}); true when one was given. */
    static boolean listingOnly(final CommandLineOptions cmd)
    {
        if (cmd.shouldHelp())
        {
            try
            {
                cmd.showHelp();
            }
            catch (final IOException e)
            {
                throw new IllegalStateException(e);
            }
            return true;
        }
        final Runner runner = new Runner(cmd);
        if (cmd.shouldList())
        {
            runner.list();
            return true;
        }
        if (cmd.shouldListWithParams())
        {
            runner.listWithParams(cmd);
            return true;
        }
        if (cmd.shouldListProfilers())
        {
            cmd.listProfilers();
            return true;
        }
        if (cmd.shouldListResultFormats())
        {
            cmd.listResultFormats();
            return true;
        }
        return false;
    }

    /**
     * Appends to {@code b}'s forks the engine's flags the forks would not inherit, then {@code extra}, then the user's
     * {@code -jvmArgsAppend}.
     */
    static void appendFlags(final ChainedOptionsBuilder b, final CommandLineOptions cmd, final List<String> extra)
    {
        final List<String> append = new ArrayList<>(JvmFlags.missingFromHost(JvmFlags.fromClasspath(), !cmd.getJvmArgs().hasValue()));
        append.addAll(extra);
        if (cmd.getJvmArgsAppend().hasValue())
        {
            append.addAll(cmd.getJvmArgsAppend().get());
        }
        if (!append.isEmpty())
        {
            b.jvmArgsAppend(append.toArray(String[]::new));
        }
    }

    /** Runs JMH with {@code b}'s options; null when it failed (already reported on {@code err}). */
    static Object execute(final ChainedOptionsBuilder b, final PrintStream err)
    {
        try
        {
            return new Runner(b.build()).run();
        }
        catch (final NoBenchmarksException e)
        {
            err.println("No matching benchmarks. Miss-spelled regexp? Use -l to list the benchmarks.");
        }
        catch (final ProfilersFailedException e)
        {
            err.println("Profilers failed to initialize, exiting: " + e.getMessage());
        }
        catch (final RunnerException e)
        {
            err.println("ERROR: " + e.getMessage());
            e.printStackTrace(err);
        }
        return null;
    }
}
