package io.forksim.bench;

import io.forksim.harness.BenchOptions;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A {@code forksim bench} run: JMH with forksim's defaults (the seed table or the quick gate set, the profilers),
 * its JSON result written to a file, then the report and the gate ({@link ReportAndGate}).
 *
 * <p>Without benchmark patterns in the JMH arguments it runs the quick gate set: ForkBench.fork, every config, the
 * declared orders, mode fresh, {@value #QUICK_FORKS} forks x 30 iterations ({@value #QUICK_WARMUP} warm-up). The
 * seed table and the quick set run their forks as {@link Rounds} unless {@code -f} or a profiler is given.
 */
final class ForksimRun
{
    /** Warm-up forks per JMH fork in the seed table and the quick set (see {@link ForkBench} on JIT settling). */
    static final int SEED_WARMUP = 50;
    static final int QUICK_WARMUP = 30;
    /** JMH forks (the thread's runs) per configuration in the seed table and in the quick set. */
    static final int SEED_FORKS = 8;
    static final int QUICK_FORKS = 3;

    private ForksimRun()
    {
    }

    /**
     * Runs (or, with {@link BenchOptions#report()}, only reports) as {@code o} says.
     *
     * @return 0 ok, 1 the gate failed, 2 the run failed (reported on {@code err})
     * @throws CommandLineOptionException when JMH rejects the JMH arguments
     * @throws IOException                when a result file cannot be written or read
     */
    static int run(final BenchOptions o, final PrintStream out, final PrintStream err) throws CommandLineOptionException, IOException
    {
        if (o.report() != null)
        {
            return ReportAndGate.run(o.report(), o.gate(), o.baseline(), o.tolerance(), out, err);
        }
        final CommandLineOptions cmd = new CommandLineOptions(o.jmhArgs().toArray(String[]::new));
        if (JmhRunner.listingOnly(cmd))
        {
            return 0;
        }
        final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        final Path home = Path.of(System.getenv().getOrDefault("FORKSIM_HOME", "."));
        final Path json = cmd.getResult().hasValue() ? Path.of(cmd.getResult().get())
            : o.json() != null ? o.json() : home.resolve("forksim-results").resolve("bench-" + stamp + ".json");
        if (json.toAbsolutePath().getParent() != null)
        {
            Files.createDirectories(json.toAbsolutePath().getParent());
        }
        final ChainedOptionsBuilder b = new OptionsBuilder();
        b.resultFormat(ResultFormatType.JSON).result(json.toString());
        if (!cmd.shouldFailOnError().hasValue())
        {
            // a benchmark that throws is a bug: fail the run (exit 2) rather than gate on what is left
            b.shouldFailOnError(true);
        }
        final boolean userIncludes = !cmd.getIncludes().isEmpty();
        final boolean gc = o.profile() == BenchOptions.Profile.gc;
        // -prof gc normalises the iteration's allocation by its ops; in single-shot mode an iteration is one op, so
        // JMH's own per-iteration bookkeeping would be charged to it. Averaged 1 s iterations amortise it.
        final boolean gcAvgt = gc && cmd.getBenchModes().isEmpty() && !o.seedTable();
        if (gcAvgt)
        {
            b.mode(Mode.AverageTime);
            if (!cmd.getWarmupTime().hasValue())
            {
                b.warmupTime(TimeValue.seconds(1));
            }
            if (!cmd.getMeasurementTime().hasValue())
            {
                b.measurementTime(TimeValue.seconds(1));
            }
        }
        if (o.seedTable())
        {
            // The thread: "100 iterations per run, 8 runs"; one JMH fork = one run, one single-shot iteration = one fork().
            // 50 warm-up forks: C2 settles the fork path (and the untimed exit/restore) only after a few dozen forks.
            if (!userIncludes)
            {
                b.include("ForkBench\\.fork$");
                // the FFM floor in the same rounds, for the "x floor" table and the gate's floor checks
                b.include("LoopBaseline\\.(perPte|batched)$");
            }
            if (cmd.getBenchModes().isEmpty())
            {
                b.mode(Mode.SingleShotTime);
            }
            defaultInt(cmd.getForkCount().hasValue(), b::forks, SEED_FORKS);
            defaultInt(cmd.getMeasurementIterations().hasValue(), b::measurementIterations, 100);
            defaultInt(cmd.getWarmupIterations().hasValue(), b::warmupIterations, SEED_WARMUP);
            defaultParam(b, cmd, "order", "0", "9");
            defaultParam(b, cmd, "mode", "fresh");
        }
        else if (!userIncludes)
        {
            b.include("ForkBench\\.fork$");
            defaultInt(cmd.getForkCount().hasValue(), b::forks, gcAvgt ? 1 : QUICK_FORKS);
            defaultInt(cmd.getMeasurementIterations().hasValue(), b::measurementIterations, gcAvgt ? 5 : 30);
            defaultInt(cmd.getWarmupIterations().hasValue(), b::warmupIterations, gcAvgt ? 5 : QUICK_WARMUP);
            defaultParam(b, cmd, "mode", "fresh");
        }
        final List<String> extraJvm = new ArrayList<>();
        Path profileDir = null;
        if (gc)
        {
            b.addProfiler(GCProfiler.class);
        }
        else if (o.profile() == BenchOptions.Profile.async)
        {
            final Path lib = AsyncProfilerSetup.library();
            String event = o.event();
            if (event == null)
            {
                final PerfEvents.Probe probe = PerfEvents.probe();
                event = probe.asyncEvent();
                out.println("forksim bench: " + probe.describe() + " -> async-profiler event=" + event);
            }
            profileDir = home.resolve("profile").resolve("bench-" + stamp).toAbsolutePath();
            Files.createDirectories(profileDir);
            b.addProfiler("async", "libPath=" + lib + ";output=flamegraph;dir=" + profileDir + ";event=" + event);
            extraJvm.add("-XX:+UnlockDiagnosticVMOptions");
            extraJvm.add("-XX:+DebugNonSafepoints");
        }
        JmhRunner.appendFlags(b, cmd, extraJvm);
        b.parent(cmd);
        // The default sets run as rounds (see Rounds); a user's -f or a profiler keeps JMH's own order.
        final int rounds = o.profile() == null && !cmd.getForkCount().hasValue()
            && (o.seedTable() || !userIncludes) ? (o.seedTable() ? SEED_FORKS : QUICK_FORKS) : 1;
        if (rounds > 1)
        {
            if (!Rounds.run(b.build(), cmd, rounds, json, out, err))
            {
                return 2;
            }
        }
        else if (JmhRunner.execute(b, err) == null)
        {
            return 2;
        }
        if (profileDir != null)
        {
            AsyncProfilerSetup.printFlameGraphs(profileDir, out);
        }
        out.println("forksim bench: JMH result " + json.toAbsolutePath());
        return ReportAndGate.run(json, o.gate(), o.baseline(), o.tolerance(), out, err);
    }

    private static void defaultInt(final boolean userSet, final IntFunction<ChainedOptionsBuilder> setter, final int value)
    {
        if (!userSet)
        {
            setter.apply(value);
        }
    }

    private static void defaultParam(final ChainedOptionsBuilder b, final CommandLineOptions cmd, final String name, final String... values)
    {
        if (!cmd.getParameter(name).hasValue())
        {
            b.param(name, values);
        }
    }
}
