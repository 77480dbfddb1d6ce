package io.forksim.bench;

import io.forksim.bench.report.JmhResult;
import io.forksim.bench.report.RegressionGate;
import io.forksim.bench.report.Report;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.ProfilersFailedException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Main class of {@code benchmarks.jar}.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar [JMH args]                       JMH's own command line
 * java -jar bench/target/benchmarks.jar [forksim options] [--] [JMH args] run, report, gate
 * </pre>
 *
 * With JMH arguments only it behaves as {@code org.openjdk.jmh.Main}, except that every JMH fork gets the
 * engine's JVM flags appended (from the {@code forksim-jvm.flags} resource), so the jar works with a plain
 * {@code java -jar}. With any forksim option (which is what {@code ./forksim bench} always passes) it
 * writes JMH's JSON result, prints the report (every result with ns per page, the seed thread's tables, the
 * contpte cliff, the dispatch comparison), runs the regression gate and exits 1 when it fails.
 *
 * <p>Exit codes: 0 ok, 1 regression gate failed, 2 bad usage or the run failed.
 */
public final class BenchMain
{
    static final String USAGE = """
        usage: java -jar benchmarks.jar [forksim options] [--] [JMH args]
               ./forksim bench [forksim options] [-- JMH args]
        forksim options:
          --seed-table        the seed thread's experiment: ForkBench.fork, 8 forks x 100 single-shot iterations
                              (50 warm-up forks each), orders 0 and 9, mode fresh; then its tables
          --profile async     async-profiler flame graphs, one HTML per benchmark under profile/bench-<time>/
                              (event cpu when perf events are fully usable, else ctimer; see --event)
          --profile gc        JMH's GC profiler (gc.alloc.rate.norm = bytes per op); runs 1 s avgt iterations
                              unless -bm is given, so JMH's per-iteration bookkeeping is amortised
          --event EVENT       async-profiler event instead of the detected one (cpu, ctimer, itimer, wall, alloc)
          --baseline FILE     also compare with a stored JMH JSON result, using both error bars
          --tolerance PCT     extra margin for the baseline comparison (default 5)
          --json FILE         where JMH's JSON result goes (default forksim-results/bench-<time>.json)
          --report FILE       run nothing: report and gate an existing JMH JSON result
          --no-gate           report only
          --forksim           forksim mode without any other option (report + gate)
          --help              this text
        Without benchmark patterns in the JMH args, forksim mode runs the quick gate set: ForkBench.fork, all
        configs, orders 0/4/9, mode fresh, 3 forks x 30 iterations (30 warm-up). The seed table and the quick set
        run their forks as rounds (one fork of every config per round, merged into one result) unless -f is given.
        Exit: 0 ok, 1 regression, 2 error.
        Examples:
          ./forksim bench --seed-table                 ./forksim bench -- PteBatchBench
          ./forksim bench --profile async -- PteBatchBench -f 1 -p arch=x86_64
          ./forksim bench --profile gc -- ForkBench.fork -p order=0 -p config=x86_64:legacy -f 1
          ./forksim bench --baseline old.json -- ForkBench.fork -p order=0,9
        """;

    /** Parsed forksim options; {@code jmhArgs} is everything else. */
    record Options(boolean forksimMode, boolean seedTable, String profile, String event, Path baseline, double tolerance,
        Path json, Path reportOnly, boolean gate, boolean help, List<String> jmhArgs)
    {
    }

    /** Warm-up forks per JMH fork in the seed table and the quick set (see {@link ForkBench} on JIT settling). */
    static final int SEED_WARMUP = 50;
    static final int QUICK_WARMUP = 30;
    /** JMH forks (the thread's runs) per configuration in the seed table and in the quick set. */
    static final int SEED_FORKS = 8;
    static final int QUICK_FORKS = 3;

    private BenchMain()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(run(args, System.out, System.err));
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        final Options o;
        try
        {
            o = parse(args);
        }
        catch (final IllegalArgumentException e)
        {
            err.println("forksim bench: " + e.getMessage());
            err.println("try --help");
            return 2;
        }
        if (o.help())
        {
            out.print(USAGE);
            return 0;
        }
        try
        {
            if (o.reportOnly() != null)
            {
                return reportAndGate(o, o.reportOnly(), out, err);
            }
            return o.forksimMode() ? runForksim(o, out, err) : runJmh(o.jmhArgs(), err);
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

    static Options parse(final String[] args)
    {
        boolean forksim = false;
        boolean seed = false;
        String profile = null;
        String event = null;
        Path baseline = null;
        double tolerance = 0.05;
        Path json = null;
        Path report = null;
        boolean gate = true;
        boolean help = false;
        final List<String> jmh = new ArrayList<>();
        for (int i = 0; i < args.length; i++)
        {
            final String a = args[i];
            if (a.equals("--"))
            {
                jmh.addAll(Arrays.asList(args).subList(i + 1, args.length));
                break;
            }
            switch (a)
            {
                case "--seed-table" -> seed = forksim = true;
                case "--profile" ->
                {
                    profile = value(args, ++i, a).toLowerCase(Locale.ROOT);
                    if (!profile.equals("async") && !profile.equals("gc"))
                    {
                        throw new IllegalArgumentException("--profile must be async or gc, not " + profile);
                    }
                    forksim = true;
                }
                case "--event" ->
                {
                    event = value(args, ++i, a);
                    if (event.contains(",") || event.contains(";"))
                    {
                        throw new IllegalArgumentException("--event takes one event name, not " + event);
                    }
                    forksim = true;
                }
                case "--baseline" ->
                {
                    baseline = Path.of(value(args, ++i, a));
                    if (!Files.isReadable(baseline))
                    {
                        throw new IllegalArgumentException("baseline file not readable: " + baseline);
                    }
                    forksim = true;
                }
                case "--tolerance" ->
                {
                    final String v = value(args, ++i, a);
                    try
                    {
                        tolerance = Double.parseDouble(v.endsWith("%") ? v.substring(0, v.length() - 1) : v) / 100;
                    }
                    catch (final NumberFormatException e)
                    {
                        throw new IllegalArgumentException("--tolerance takes a percentage, not " + v);
                    }
                    if (!(tolerance >= 0 && tolerance < 10))
                    {
                        throw new IllegalArgumentException("--tolerance out of range: " + v);
                    }
                    forksim = true;
                }
                case "--json" ->
                {
                    json = Path.of(value(args, ++i, a));
                    forksim = true;
                }
                case "--report" ->
                {
                    report = Path.of(value(args, ++i, a));
                    if (!Files.isReadable(report))
                    {
                        throw new IllegalArgumentException("result file not readable: " + report);
                    }
                    forksim = true;
                }
                case "--no-gate" ->
                {
                    gate = false;
                    forksim = true;
                }
                case "--forksim" -> forksim = true;
                case "--help" -> help = true;
                default ->
                {
                    if (a.startsWith("--"))
                    {
                        throw new IllegalArgumentException("unknown option " + a + " (JMH options take one dash; put JMH args after --)");
                    }
                    jmh.add(a);
                }
            }
        }
        return new Options(forksim, seed, profile, event, baseline, tolerance, json, report, gate, help, List.copyOf(jmh));
    }

    private static String value(final String[] args, final int i, final String option)
    {
        if (i >= args.length || args[i].equals("--"))
        {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** JMH's own Main, plus the engine's flags for the forks. */
    static int runJmh(final List<String> jmhArgs, final PrintStream err) throws CommandLineOptionException
    {
        final CommandLineOptions cmd = new CommandLineOptions(jmhArgs.toArray(String[]::new));
        if (listingOnly(cmd))
        {
            return 0;
        }
        final ChainedOptionsBuilder b = new OptionsBuilder().parent(cmd);
        appendFlags(b, cmd, List.of());
        return execute(b, err) == null ? 2 : 0;
    }

    private static boolean listingOnly(final CommandLineOptions cmd)
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

    private static void appendFlags(final ChainedOptionsBuilder b, final CommandLineOptions cmd, final List<String> extra)
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

    /** Runs JMH; null when it failed (already reported). */
    private static Object execute(final ChainedOptionsBuilder b, final PrintStream err)
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

    static int runForksim(final Options o, final PrintStream out, final PrintStream err) throws CommandLineOptionException, IOException
    {
        final CommandLineOptions cmd = new CommandLineOptions(o.jmhArgs().toArray(String[]::new));
        if (listingOnly(cmd))
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
        // -prof gc normalises the iteration's allocation by its ops; in single-shot mode an iteration is one op, so
        // JMH's own per-iteration bookkeeping would be charged to it. Averaged 1 s iterations amortise it.
        final boolean gcAvgt = "gc".equals(o.profile()) && cmd.getBenchModes().isEmpty() && !o.seedTable();
        if (gcAvgt)
        {
            b.mode(org.openjdk.jmh.annotations.Mode.AverageTime);
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
            }
            if (cmd.getBenchModes().isEmpty())
            {
                b.mode(org.openjdk.jmh.annotations.Mode.SingleShotTime);
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
        if ("gc".equals(o.profile()))
        {
            b.addProfiler(GCProfiler.class);
        }
        else if ("async".equals(o.profile()))
        {
            final Path lib = asyncProfilerLibrary();
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
        appendFlags(b, cmd, extraJvm);
        b.parent(cmd);
        // The gate's ratios compare configurations measured minutes apart; JMH runs all forks of one configuration
        // before the next, so a change in the machine's state between them (another tenant, the host) reads as a
        // regression (seen: a seed table with x86_64 order-0 folio-batch/legacy 1.18, CI 1.02-1.36, that a rerun put
        // at 0.85). So the default sets run as rounds of one JMH fork of every configuration, the first
        // configuration rotating per round, as the main job interleaves its runs, and the rounds are merged into one
        // JMH result. A user's -f or a profiler keeps JMH's own order.
        final int rounds = o.profile() == null && !cmd.getForkCount().hasValue()
            && (o.seedTable() || !userIncludes) ? (o.seedTable() ? SEED_FORKS : QUICK_FORKS) : 1;
        if (rounds > 1)
        {
            if (!runRounds(b.build(), cmd, rounds, json, out, err))
            {
                return 2;
            }
        }
        else if (execute(b, err) == null)
        {
            return 2;
        }
        if (profileDir != null)
        {
            printFlameGraphs(profileDir, out);
        }
        out.println("forksim bench: JMH result " + json.toAbsolutePath());
        return reportAndGate(o, json, out, err);
    }

    /**
     * Runs {@code rounds} JMH runs of one fork each over {@code base}'s benchmarks, the {@code config} values rotated by
     * one per round, and merges their JSON into {@code json}. False when a round failed (already reported).
     */
    private static boolean runRounds(final org.openjdk.jmh.runner.options.Options base, final CommandLineOptions cmd,
        final int rounds, final Path json, final PrintStream out, final PrintStream err) throws IOException
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
                if (execute(rb, err) == null)
                {
                    return false;
                }
            }
            io.forksim.bench.report.RoundMerge.merge(files, json);
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
            return List.of(ForkBench.class.getField("config").getAnnotation(org.openjdk.jmh.annotations.Param.class).value());
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

    private static void defaultInt(final boolean userSet, final java.util.function.IntFunction<ChainedOptionsBuilder> setter, final int value)
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

    /** The report and the gate over a JMH JSON file. */
    static int reportAndGate(final Options o, final Path json, final PrintStream out, final PrintStream err) throws IOException
    {
        final List<JmhResult> results = JmhResult.load(json);
        out.println();
        out.print(Report.render(results));
        if (!o.gate())
        {
            return 0;
        }
        int rc = 0;
        final RegressionGate.Verdict ratios = RegressionGate.checkRatios(results);
        out.println();
        out.println("Regression gate (in-run ratios, " + (int)(RegressionGate.CONFIDENCE * 100) + "% CI):");
        out.print(ratios.render());
        if (ratios.failed())
        {
            rc = 1;
        }
        if (o.baseline() != null)
        {
            final RegressionGate.Verdict base = RegressionGate.compareWithBaseline(results, JmhResult.load(o.baseline()), o.tolerance());
            out.println();
            out.println("Regression gate (vs baseline " + o.baseline() + "):");
            out.print(base.render());
            if (base.failed())
            {
                rc = 1;
            }
        }
        if (rc != 0)
        {
            err.println("forksim bench: REGRESSION");
            final List<RegressionGate.Check> all = new ArrayList<>(ratios.failures());
            if (o.baseline() != null)
            {
                all.addAll(RegressionGate.compareWithBaseline(results, JmhResult.load(o.baseline()), o.tolerance()).failures());
            }
            for (final RegressionGate.Check c : all)
            {
                err.println("  " + c.name() + ": " + c.detail());
            }
        }
        else
        {
            out.println(ratios.applicable() || o.baseline() != null ? "gate: ok" : "gate: nothing to check in this run");
        }
        return rc;
    }

    /**
     * The async-profiler library for this platform, unpacked by the bench build next to the benchmarks jar:
     * {@code target/async-profiler/linux-x64/libasyncProfiler.so} (or {@code linux-arm64}).
     */
    static Path asyncProfilerLibrary()
    {
        final String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        final String arch = System.getProperty("os.arch", "");
        final String platform;
        if (os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64")))
        {
            platform = "linux-x64";
        }
        else if (os.contains("linux") && arch.equals("aarch64"))
        {
            platform = "linux-arm64";
        }
        else
        {
            throw new IllegalStateException("async-profiler is unpacked for linux-x64 and linux-arm64 only, not " + os + "/" + arch);
        }
        final Path dir;
        try
        {
            final Path jar = Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // target/benchmarks.jar -> target/; target/classes (IDE, tests) -> target/
            dir = jar.getParent();
        }
        catch (final URISyntaxException e)
        {
            throw new IllegalStateException(e);
        }
        final Path lib = dir.resolve("async-profiler").resolve(platform).resolve("libasyncProfiler.so").toAbsolutePath();
        if (!Files.isReadable(lib))
        {
            throw new IllegalStateException("async-profiler library not found at " + lib
                + " (the bench build unpacks it: mvn -f bench/pom.xml package, or ./forksim bench)");
        }
        return lib;
    }

    private static void printFlameGraphs(final Path dir, final PrintStream out) throws IOException
    {
        final List<Path> html;
        try (Stream<Path> s = Files.walk(dir))
        {
            html = s.filter(p -> p.toString().endsWith(".html")).sorted().toList();
        }
        out.println();
        if (html.isEmpty())
        {
            out.println("forksim bench: no flame graph was written under " + dir + " (see the profiler output above)");
            return;
        }
        out.println("forksim bench: flame graphs (" + html.size() + "):");
        for (final Path p : html)
        {
            out.println("  " + p);
        }
    }
}
