package io.forksim.bench;

import io.forksim.bench.report.RoundMerge;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * ForkBench's forks run as rounds: each round is one JMH run of one fork of every configuration, the first
 * configuration rotating by one per round, and the rounds' JSON results are merged into one ({@link RoundMerge}).
 *
 * <p>Why: the gate's ratios compare configurations, and JMH runs all forks of one configuration before the next, so
 * a change in the machine's state between them (another tenant, the host) reads as a regression. In rounds, fork
 * {@code r} of every configuration runs within one round, as the main job interleaves its runs.
 */
final class Rounds
{
    private Rounds()
    {
    }

    /**
     * Runs {@code rounds} JMH runs of one fork each over {@code base}'s benchmarks, the {@code config} values (the
     * user's {@code -p config=}, else ForkBench's) rotated by one per round, and merges their JSON into {@code json}.
     * The per-round files are deleted, on failure too.
     *
     * @param rounds at least 1
     * @return false when a round failed (already reported on {@code err})
     */
    static boolean run(final Options base, final CommandLineOptions cmd, final int rounds, final Path json, final PrintStream out,
        final PrintStream err) throws IOException
    {
        final List<String> configs = cmd.getParameter("config").hasValue()
            ? List.copyOf(cmd.getParameter("config").get()) : declaredConfigs();
        final List<Path> files = new ArrayList<>();
        try
        {
            for (int r = 0; r < rounds; r++)
            {
                final List<String> order = rotate(configs, r);
                final Path f = json.resolveSibling(json.getFileName() + ".round" + (r + 1));
                files.add(f);
                out.println("forksim bench: round " + (r + 1) + " of " + rounds + ": one JMH fork per configuration, from "
                    + order.getFirst());
                final ChainedOptionsBuilder rb = new OptionsBuilder().parent(base).forks(1).result(f.toString())
                    .param("config", order.toArray(String[]::new));
                if (JmhRunner.execute(rb, err) == null)
                {
                    return false;
                }
            }
            RoundMerge.merge(files, json);
            return true;
        }
        finally
        {
            for (final Path f : files)
            {
                Files.deleteIfExists(f);
            }
        }
    }

    /** ForkBench's {@code @Param} values of {@code config}, in their declared order. */
    static List<String> declaredConfigs()
    {
        try
        {
            return List.of(ForkBench.class.getField("config").getAnnotation(Param.class).value());
        }
        catch (final NoSuchFieldException e)
        {
            throw new IllegalStateException("ForkBench has no config parameter", e);
        }
    }

    /** {@code values} starting at index {@code r mod size}. */
    static List<String> rotate(final List<String> values, final int r)
    {
        final List<String> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++)
        {
            out.add(values.get((r + i) % values.size()));
        }
        return out;
    }
}
