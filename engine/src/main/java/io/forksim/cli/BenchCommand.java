package io.forksim.cli;

import io.forksim.harness.BenchOptions;
import io.forksim.harness.BenchOptions.Profile;
import io.forksim.harness.JvmFlags;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code forksim bench}: the JMH suite in {@code bench/target/benchmarks.jar}, run in a child JVM (this
 * JVM's {@code java}, the engine's JVM flags), which writes JMH's JSON result, prints the report and runs the
 * regression gate. The child's exit code is the command's: 0 ok, 1 regression, 2 bad input or a failed run.
 *
 * <p>The launcher builds the jar when {@code bench} is the command and exports {@code FORKSIM_BENCH_JAR};
 * without it the jar is looked up under {@code $FORKSIM_HOME/bench/target}. All the benchmark, report and
 * gate logic lives in the bench module ({@code io.forksim.bench.BenchMain}), so the engine does not depend
 * on JMH; this class parses and validates the options once into a {@link BenchOptions}, which the child receives as
 * JSON ({@link BenchOptions#ARGUMENT}), and starts the child.
 */
@Command(name = "bench",
    mixinStandardHelpOptions = true,
    description = {
        "Runs forksim's JMH benchmarks and their regression gate.",
        "",
        "The benchmarks (ForkBench, ZapBench, CowFaultBench, PteBatchBench, LoopBaseline) run in a child JVM. It prints "
            + "every result with ns per 4 KiB page, the tables of the linux-mm thread \"mm: Batch-copy PTE ranges during "
            + "fork()\" (December 2023) with each strategy against legacy (95%% confidence interval and verdict), and the "
            + "arm64 contpte cliff. The gate: order-0 arch-batch/legacy and folio-batch/legacy <= 1.01 on x86_64 and arm64, "
            + "order-9 folio-batch >= 3x faster than legacy on x86_64; exit 1 naming the configuration on a regression.",
        "",
        "Without JMH args: the quick gate set (ForkBench.fork, every config, orders 0/4/9, 3 forks x 30 iterations).",
        "JMH args go after --, e.g.:",
        "  forksim bench -- PteBatchBench -f 1",
        "The jar also runs alone:",
        "  java -jar bench/target/benchmarks.jar [JMH args]",
        ""},
    footer = {"",
        "The seed table and the quick set run their forks as rounds: one fork of every configuration per round, the "
            + "first one rotating, merged into one JMH result (unless -f or a profiler is given).",
        "Examples:",
        "  forksim bench --seed-table",
        "  forksim bench --profile async -- PteBatchBench -f 1 -p arch=x86_64",
        "  forksim bench --profile gc -- ForkBench.fork -p order=0 -f 1",
        "  forksim bench --baseline old.json -- ForkBench.fork -p order=0,9",
        "Results: forksim-results/bench-<time>.json (JMH JSON);",
        "flame graphs: profile/bench-<time>/."})
public final class BenchCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--seed-table",
        description = "The thread's experiment: ForkBench.fork as 8 forks x 100 single-shot iterations per configuration, orders 0 and 9; prints its tables (mean and stdev %% vs legacy) and ns per page.")
    boolean seedTable;

    @Option(names = "--profile", paramLabel = "async|gc",
        description = "async: async-profiler flame graphs (HTML per benchmark; event cpu with perf events, else ctimer). gc: JMH's GC profiler (bytes allocated per op), over 1 s avgt iterations unless -bm is given.")
    Profile profile;

    @Option(names = "--event", paramLabel = "EVENT",
        description = "async-profiler event instead of the detected one: cpu, ctimer, itimer, wall, alloc.")
    String event;

    @Option(names = "--baseline", paramLabel = "FILE",
        description = "Also compare with a stored JMH JSON result, taking both error bars into account.")
    Path baseline;

    @Option(names = "--tolerance", paramLabel = "PCT",
        description = "Extra margin for the --baseline comparison, in percent (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    double tolerance;

    @Option(names = "--json", paramLabel = "FILE", description = "Where JMH's JSON result goes (default forksim-results/bench-<time>.json).")
    Path json;

    @Option(names = "--report", paramLabel = "FILE", description = "Run nothing: report and gate an existing JMH JSON result.")
    Path report;

    @Option(names = "--no-gate", description = "Report only, no regression gate.")
    boolean noGate;

    @Mixin
    DebugOption debug;

    @Parameters(paramLabel = "JMH_ARGS", arity = "0..*",
        description = "JMH arguments, after --: benchmark patterns, -f, -i, -wi, -p name=v1,v2, -bm, -prof ...")
    List<String> jmhArgs = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        final CommandLine cl = spec.commandLine();
        final BenchOptions options = options();
        final Path jar = benchmarksJar();
        if (!Files.isReadable(jar))
        {
            throw new Main.UsageException(cl, "benchmarks jar not found: " + jar
                + " (./forksim bench builds it; or: mvn -f pom.xml package -DskipTests)");
        }
        final List<String> cmd = command(jar, options);
        if (debug.enabled())
        {
            cl.getErr().println("forksim bench: " + String.join(" ", cmd));
        }
        final Process p = new ProcessBuilder(cmd).inheritIO().start();
        final Thread killer = new Thread(p::destroy, "forksim-bench-child-killer");
        Runtime.getRuntime().addShutdownHook(killer);
        try
        {
            return p.waitFor();
        }
        finally
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(killer);
            }
            catch (final IllegalStateException ignored)
            {
                // shutting down already: the hook runs
            }
        }
    }

    /**
     * The options, parsed once here and validated (files readable, values in range).
     *
     * @throws Main.UsageException naming the bad value
     */
    BenchOptions options()
    {
        final CommandLine cl = spec.commandLine();
        if (baseline != null && !Files.isReadable(baseline))
        {
            throw new Main.UsageException(cl, "--baseline file not readable: " + baseline);
        }
        if (report != null && !Files.isReadable(report))
        {
            throw new Main.UsageException(cl, "--report file not readable: " + report);
        }
        try
        {
            return new BenchOptions(seedTable, profile, event, absolute(baseline), tolerance / 100, absolute(json), absolute(report),
                !noGate, jmhArgs);
        }
        catch (final IllegalArgumentException e)
        {
            throw new Main.UsageException(cl, e.getMessage());
        }
    }

    private static Path absolute(final Path p)
    {
        return p == null ? null : p.toAbsolutePath();
    }

    /** The child JVM's command line: same java, the engine's flags, the jar's main with the options as one JSON argument. */
    static List<String> command(final Path jar, final BenchOptions options)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JvmFlags.fromClasspath());
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.add(BenchOptions.ARGUMENT);
        cmd.add(options.toJson());
        return cmd;
    }

    /** {@code $FORKSIM_BENCH_JAR}, else {@code $FORKSIM_HOME/bench/target/benchmarks.jar}, else relative to the working directory. */
    static Path benchmarksJar()
    {
        final String env = System.getenv("FORKSIM_BENCH_JAR");
        if (env != null && !env.isBlank())
        {
            return Path.of(env);
        }
        final String home = System.getenv().getOrDefault("FORKSIM_HOME", ".");
        return Path.of(home, "bench", "target", "benchmarks.jar");
    }
}
