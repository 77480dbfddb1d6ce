package io.forksim.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.forksim.fork.StrategyChoice;
import io.forksim.harness.FolioOrder;
import io.forksim.harness.ForkPlan;
import io.forksim.harness.ForkRun;
import io.forksim.harness.HtmlReport;
import io.forksim.harness.JsonReport;
import io.forksim.harness.KernelSection;
import io.forksim.harness.LiveCounters;
import io.forksim.harness.MachineInfo;
import io.forksim.harness.ParentReport;
import io.forksim.harness.ParentSource;
import io.forksim.harness.Progress;
import io.forksim.harness.RawResult;
import io.forksim.harness.Report;
import io.forksim.harness.Result;
import io.forksim.harness.Units;
import io.forksim.harness.Workers;
import io.forksim.host.SimShapes;
import io.forksim.host.ThpSysfs;
import io.forksim.pgtable.PageTables;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code forksim fork}: the fork() microbenchmark of the linux-mm thread "mm: Batch-copy PTE ranges during fork()"
 * (December 2023). A process with {@code --size} of populated memory is forked {@code --runs} x {@code --iterations} times per configuration (arch x order x strategy); the report shows
 * the mean and stdev of the fork time relative to legacy, absolute times, and the exact per-fork events.
 * See {@link ForkBench} for the method.
 */
@Command(name = "fork",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Runs the fork() microbenchmark of the linux-mm thread \"mm: Batch-copy PTE ranges during fork()\" (December 2023)"
            + " on simulated page tables.",
        "",
        "A process with SIZE of populated anon memory is forked RUNS x ITERATIONS times per configuration (arch x folio"
            + " order x strategy). Only fork() is timed; each child is torn down outside the timed section (reported as"
            + " teardown) and the parent is restored to its freshly populated state before the next fork (or not, with"
            + " --reuse-parent).",
        "",
        "Prints the thread's tables (mean and stdev relative to legacy, per order), absolute ns per 4 KiB page, and the"
            + " exact per-fork events (PTE reads and writes, batches, refcount and rmap updates, TLBIs, folds, unfolds).",
        ""},
    footer = {"",
        "Exit status: 0 ok; 1 a check failed (a --verify mismatch, an invariant violation, per-fork events that differ"
            + " between iterations); 2 bad option values.",
        "",
        "While it runs, 'forksim stat' in another terminal shows the live counters."})
public final class ForkCommand implements Callable<Integer>
{
    static final List<String> ARCHES = List.of("x86_64", "arm64");
    static final int MAX_ORDER = 9;
    /** Simulated RAM a machine can have (Machine.Config's limit). */
    static final long MAX_RAM = 1L << 43;

    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "1G", converter = SizeConverter.class,
        description = "Populated anon memory of the parent, with K/M/G/T suffix (default: ${DEFAULT-VALUE}). A multiple"
            + " of the largest folio size.")
    long size;

    @Option(names = "--orders", paramLabel = "ORDERS", split = ",", defaultValue = "0,4,9,9pmd",
        converter = Converters.OrderConverter.class,
        description = "Folio orders to populate with, each 0..9 or 9pmd: 0 = 4 KiB pages, 4 = 64 KiB (one contpte block),"
            + " 9 = PTE-mapped 2 MiB, 9pmd = PMD-mapped 2 MiB THPs (default: ${DEFAULT-VALUE}).")
    List<Integer> orders;

    @Option(names = "--arch", paramLabel = "ARCHES", split = ",", defaultValue = "x86_64,arm64",
        converter = Converters.ArchConverter.class,
        description = "Simulated architectures: x86_64, arm64 (default: ${DEFAULT-VALUE}).")
    List<String> archs;

    @Option(names = "--strategy", paramLabel = "STRATEGIES", split = ",", defaultValue = "legacy,arch-batch,folio-batch",
        converter = Converters.StrategyConverter.class,
        description = "Copy strategies: legacy, arch-batch, folio-batch, contpte-basic (arm64 only) (default: ${DEFAULT-VALUE}).")
    List<StrategyChoice> strategies;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "8",
        description = "Runs per configuration (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--iterations", paramLabel = "N",
        description = "Timed forks per run of every order (default: " + ForkPlan.DEFAULT_ITERATIONS + ", and "
            + ForkPlan.DEFAULT_PMD_ITERATIONS + " for 9pmd, whose forks are the shortest).")
    Integer iterations;

    @Option(names = "--ram", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Simulated RAM per machine (default: max(4G, 2.5 x SIZE rounded up to 1G)).")
    Long ram;

    @Option(names = "--reuse-parent",
        description = "Fork the same parent again and again within a run (a true tight loop) instead of restoring it"
            + " to its freshly populated state after every fork.")
    boolean reuseParent;

    @Option(names = "--json", paramLabel = "FILE",
        description = "Also write the JSON report to FILE ('-' = stdout; the tables then go to stderr).")
    String json;

    @Option(names = "--html", paramLabel = "FILE",
        description = "Also write the report as one self-contained HTML page to FILE: the thread's tables and a chart of"
            + " ns/page by order per strategy and arch with error bars (inline SVG; no script, nothing from the network).")
    Path html;

    @Option(names = "--verify",
        description = "After the runs of each order, check the invariants with a live child and compare every"
            + " strategy's parent and child page tables and folio metadata with legacy's; exit 1 on any mismatch.")
    boolean verify;

    @Mixin
    ProgressOption progressOption;

    @Option(names = "--in-process",
        description = "Run everything in this JVM instead of one worker JVM per arch and order (faster to start; the"
            + " arch call sites of the copy loop become bimorphic, and code compiled for one order runs the others).")
    boolean inProcess;

    @Option(names = "--counters", paramLabel = "FILE",
        description = "Live counters file for 'forksim stat' (default: ${java.io.tmpdir}/forksim-<user>/counters.dat).")
    Path counters;

    @Option(names = "--kernel", negatable = true, defaultValue = "${sys:forksim.kernel:-true}", fallbackValue = "true",
        description = "Also measure this host's real fork() on the shapes of the orders (default: on; --no-kernel skips it;"
            + " the system property forksim.kernel=false, which the test suite sets, turns the default off).")
    boolean kernelOn;

    @Option(names = "--kernel-iterations", paramLabel = "N", defaultValue = "" + KernelSection.DEFAULT_ITERATIONS,
        description = "Kernel forks with the region per run (default: ${DEFAULT-VALUE}; runs as --runs).")
    int kernelIterations;

    @Option(names = "--no-counters", description = "Do not publish live counters.")
    boolean noCounters;

    @Option(names = "--warmup", paramLabel = "N",
        description = "Untimed warm-up forks per strategy and order before the warm-up waits for steady fork times"
            + " (default: enough for ~2M PTE copies, 3..200; 0 = no warm-up at all).")
    Integer warmup;

    @Mixin
    TlbiRangeOption tlbiRange;

    @Option(names = "--snapshot", paramLabel = "FILE",
        description = "Reuse the populated parent from FILE when it holds this configuration, else populate it and save it "
            + "there. With several configurations each gets FILE.<arch>[-basic]-o<order>.<ext>; a directory holds one file "
            + "per configuration.")
    java.nio.file.Path snapshot;

    @Mixin
    DebugOption debug;

    @Option(names = "--worker", hidden = true, description = "Internal: run as the worker JVM of one arch.")
    boolean worker;

    /**
     * The most timed forks per configuration ({@code --runs} x {@code --iterations}): a worker keeps every fork's time
     * until the runs end (8 bytes per fork and position: 40 MB for three strategies and the floor at this bound) and
     * an order-0 round of 1 GiB takes about 10 ms, so this is hours of forks.
     */
    static final long MAX_TIMED_ROUNDS = 1_000_000;

    private Main.UsageException bad(final String message)
    {
        return new Main.UsageException(spec.commandLine(), message);
    }

    /** Validates the options into a plan; every rejection names the value. */
    ForkPlan plan()
    {
        final List<Integer> os = new ArrayList<>(new LinkedHashSet<>(orders));
        final List<String> as = new ArrayList<>(new LinkedHashSet<>(archs));
        final List<StrategyChoice> ss = new ArrayList<>(new LinkedHashSet<>(strategies));
        // "--orders ," splits into an empty list: nothing would run and the exit status would say it did
        if (os.isEmpty())
        {
            throw bad("Invalid value for option '--orders': the list is empty (give at least one order 0..9)");
        }
        if (as.isEmpty())
        {
            throw bad("Invalid value for option '--arch': the list is empty (give x86_64, arm64 or both)");
        }
        if (ss.isEmpty())
        {
            throw bad("Invalid value for option '--strategy': the list is empty (give at least one of legacy, arch-batch,"
                + " folio-batch, contpte-basic)");
        }
        for (final int o : os)
        {
            if (FolioOrder.order(o) > MAX_ORDER)
            {
                throw bad("Invalid value for option '--orders': " + FolioOrder.label(o) + " (each order must be 0..9 or 9pmd)");
            }
        }
        if (runs < 1)
        {
            throw bad("Invalid value for option '--runs': " + runs + " (must be at least 1)");
        }
        if (iterations != null && iterations < 1)
        {
            throw bad("Invalid value for option '--iterations': " + iterations + " (must be at least 1)");
        }
        for (final int o : os)
        {
            final int n = iterations != null ? iterations : ForkPlan.defaultIterations(o);
            if ((long)runs * n > MAX_TIMED_ROUNDS)
            {
                throw bad("Invalid values for options '--runs' and '--iterations': " + runs + " x " + n
                    + (iterations != null ? "" : " (the default for " + FolioOrder.label(o) + ")")
                    + " timed forks per configuration (at most " + MAX_TIMED_ROUNDS + ")");
            }
        }
        if (warmup != null && warmup < 0)
        {
            throw bad("Invalid value for option '--warmup': " + warmup + " (must be 0 or more)");
        }
        if (size <= 0 || size % ForkPlan.PAGE_SIZE != 0)
        {
            throw bad("Invalid value for option '--size': " + size + " bytes (must be a positive multiple of 4 KiB)");
        }
        final int maxOrder = os.stream().mapToInt(FolioOrder::order).max().orElse(0);
        final long folio = ForkPlan.PAGE_SIZE << maxOrder;
        if (size % folio != 0)
        {
            throw bad("Invalid value for option '--size': " + Units.formatSize(size) + " is not a multiple of the order-"
                + maxOrder + " folio size (" + Units.formatSize(folio) + ")");
        }
        if (size > PageTables.TASK_SIZE - ForkPlan.BASE_VA)
        {
            throw bad("Invalid value for option '--size': " + Units.formatSize(size) + " does not fit in the 128 TiB user"
                + " address space above " + String.format("0x%x", ForkPlan.BASE_VA));
        }
        if (ss.contains(StrategyChoice.CONTPTE_BASIC) && as.contains("x86_64"))
        {
            throw bad("Invalid combination: --strategy contpte-basic exists only on arm64, but --arch includes x86_64"
                + " (use --arch arm64)");
        }
        // parent: data pages + its tables; child: tables only (COW); + upper levels and slack
        final long tables = 2 * ((size >>> 21) + 1) * ForkPlan.PAGE_SIZE;
        final long need = size + tables + (8L << 20);
        final long r;
        if (ram != null)
        {
            if (ram % ForkPlan.PAGE_SIZE != 0 || ram < (4L << 20) || ram > MAX_RAM)
            {
                throw bad("Invalid value for option '--ram': " + Units.formatSize(ram) + " (must be a multiple of 4 KiB"
                    + " between 4 MiB and 8 TiB)");
            }
            if (ram < need)
            {
                throw bad("Invalid value for option '--ram': " + Units.formatSize(ram) + " is too small for --size "
                    + Units.formatSize(size) + " (needs at least " + Units.formatSize(roundUp(need, 1L << 20))
                    + ": the populated memory plus the parent's and the child's page tables)");
            }
            r = ram;
        }
        else
        {
            r = Math.max(4L << 30, roundUp((long)Math.ceil(size * 2.5), 1L << 30));
            if (r > MAX_RAM)
            {
                throw bad("Invalid value for option '--size': " + Units.formatSize(size) + " needs more simulated RAM than"
                    + " a machine can have (8 TiB); give --ram explicitly (at least " + Units.formatSize(roundUp(need, 1L << 20)) + ")");
            }
        }
        if (json != null && !json.equals("-"))
        {
            final Path parent = Path.of(json).toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent))
            {
                throw bad("Invalid value for option '--json': " + json + " (directory " + parent + " does not exist)");
            }
        }
        if (html != null)
        {
            final Path parent = html.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent))
            {
                throw bad("Invalid value for option '--html': " + html + " (directory " + parent + " does not exist)");
            }
            if (Files.isDirectory(html))
            {
                throw bad("Invalid value for option '--html': " + html + " is a directory (give a file name)");
            }
        }
        if (worker && as.size() != 1)
        {
            throw bad("Invalid value for option '--arch': a worker runs exactly one arch, got " + as);
        }
        final long pages = size / ForkPlan.PAGE_SIZE;
        final java.nio.file.Path snap = snapshot == null ? null : snapshot.toAbsolutePath();
        if (snap != null)
        {
            for (final String a : as)
            {
                for (final int o : os)
                {
                    for (final boolean basic : new boolean[] {false, true})
                    {
                        if (basic && !ss.contains(StrategyChoice.CONTPTE_BASIC))
                        {
                            continue;
                        }
                        try
                        {
                            io.forksim.snapshot.SnapshotCache.refuseForeignFile(io.forksim.snapshot.SnapshotCache.fileFor(
                                snap, a, size, FolioOrder.order(o), FolioOrder.mapping(o), basic, ForkPlan.onlyConfiguration(as, os, ss)));
                        }
                        catch (final java.io.IOException e)
                        {
                            throw bad("Invalid value for option '--snapshot': " + e.getMessage());
                        }
                    }
                }
            }
        }
        final int pteIterations = iterations != null ? iterations : ForkPlan.DEFAULT_ITERATIONS;
        final int pmdIterations = iterations != null ? iterations : ForkPlan.DEFAULT_PMD_ITERATIONS;
        return new ForkPlan(size, os, as, ss, runs, pteIterations, pmdIterations, r, reuseParent, verify,
            warmup != null ? warmup : ForkPlan.defaultWarmup(pages), tlbiRange.tlbiRange(), snap);
    }

    static long roundUp(final long v, final long to)
    {
        return (v + to - 1) / to * to;
    }

    @Override
    public Integer call() throws Exception
    {
        final ForkPlan plan = plan();
        try
        {
            io.forksim.harness.RunSchedule.current();
        }
        catch (final IllegalArgumentException e)
        {
            throw bad(e.getMessage());
        }
        if (worker)
        {
            return runWorker(plan);
        }
        final long wallStart = System.nanoTime();
        final PrintWriter stdout = spec.commandLine().getOut();
        final PrintWriter stderr = spec.commandLine().getErr();
        final PrintWriter human = "-".equals(json) ? stderr : stdout;
        final MachineInfo host = MachineInfo.current();
        final Progress progress = new Progress(stderr, progressOption.mode(), plan.steps());

        LiveCounters live = null;
        Path countersFile = null;
        if (!noCounters)
        {
            countersFile = counters != null ? counters : LiveCounters.defaultFile();
            try
            {
                final var existing = LiveCounters.Reader.open(countersFile);
                if (existing.isPresent())
                {
                    try (LiveCounters.Reader rd = existing.get())
                    {
                        if (rd.alive() && rd.pid() != ProcessHandle.current().pid() && counters == null)
                        {
                            countersFile = countersFile.resolveSibling("counters-" + ProcessHandle.current().pid() + ".dat");
                            progress.message("forksim: another forksim (pid " + rd.pid() + ") publishes live counters; this run"
                                + " uses " + countersFile + " (forksim stat --counters " + countersFile + ")");
                        }
                    }
                }
            }
            catch (final IOException e)
            {
                // not a counters file: replaced below
            }
            try
            {
                live = LiveCounters.create(countersFile, plan.timedForks());
            }
            catch (final IOException | RuntimeException e)
            {
                progress.message("forksim: live counters disabled (" + countersFile + ": " + e.getMessage() + ")");
                live = null;
                countersFile = null;
            }
        }

        final List<RawResult> raws = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        final List<ParentSource> parents = new ArrayList<>();
        try
        {
            int offset = 0;
            for (final String arch : plan.archs())
            {
                for (final int order : plan.orders())
                {
                    // one plan per order, as a worker gets it: ForkRun times each order with its plan's iterations()
                    final ForkPlan one = plan.forArchAndOrder(arch, order);
                    final ForkRun.Outcome o = inProcess
                        ? ForkRun.run(one, arch, listener(progress, live, offset))
                        : Workers.run(workerArgs(one, arch, countersFile, debug.enabled()), arch, progress, offset);
                    raws.addAll(o.results());
                    problems.addAll(o.problems());
                    parents.addAll(o.parents());
                    offset += one.stepsPerArch();
                }
            }
        }
        finally
        {
            progress.finish();
            if (live != null)
            {
                live.finished("done");
                live.close();
            }
        }

        final List<Result> results = Result.of(raws);
        final KernelSection kernel = kernel(plan, progress);
        for (final String line : Report.render(plan, host, results, inProcess, kernel.lines(results, SimShapes.hostArch())))
        {
            human.println(line);
        }
        if (!parents.isEmpty())
        {
            human.println();
            ParentReport.lines(parents).forEach(human::println);
        }
        human.println();
        human.println(Report.wallTime(plan, results, System.nanoTime() - wallStart));
        if (json != null)
        {
            final ObjectNode root = JsonReport.build(plan, host, results);
            kernel.addTo(root);
            ParentReport.addTo(root, parents);
            final String text = JsonReport.toPrettyString(root);
            if (json.equals("-"))
            {
                stdout.println(text);
            }
            else
            {
                Files.writeString(Path.of(json), text + System.lineSeparator(), StandardCharsets.UTF_8);
            }
        }
        if (html != null)
        {
            Files.writeString(html, HtmlReport.render(plan, host, results, parents), StandardCharsets.UTF_8);
            human.println("html report: " + html.toAbsolutePath());
        }
        if (!problems.isEmpty())
        {
            human.println();
            human.println("CHECK FAILED (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):");
            for (final String p : problems)
            {
                human.println("  " + p);
            }
            human.flush();
            stdout.flush();
            return Main.EXIT_FAILED;
        }
        if (plan.verify())
        {
            human.println();
            human.println("verify: every strategy's parent and child page tables and folio metadata equal legacy's"
                + (plan.archs().contains("arm64") ? " (arm64: CONT bits masked against legacy; arch-batch and folio-batch"
                + " exactly equal)" : "") + "; the invariant checker" + (plan.archs().contains("arm64")
                ? " and the contpte block invariants hold" : " holds") + " with a live child and after it exited, and the"
                + " child's exit gave back every page the fork took");
        }
        human.flush();
        stdout.flush();
        return Main.EXIT_OK;
    }

    /** This host's fork() on the shapes of the plan's orders (see {@link KernelSection}), unless --no-kernel. */
    private KernelSection kernel(final ForkPlan plan, final Progress progress)
    {
        if (!kernelOn)
        {
            return KernelSection.off();
        }
        if (kernelIterations < 1)
        {
            throw bad("Invalid value for option '--kernel-iterations': " + kernelIterations + " (must be >= 1)");
        }
        return KernelSection.measure(plan, plan.runs(), kernelIterations, s -> KernelCommand.workerCommand(s, plan.sizeBytes(),
            plan.runs(), kernelIterations, ThpSysfs.DEFAULT_ROOT, debug.enabled()), progress::message);
    }

    private static ForkRun.Listener listener(final Progress progress, final LiveCounters live, final int offset)
    {
        return new ForkRun.Listener()
        {
            private int done;

            @Override
            public void status(final String text)
            {
                progress.status(text);
            }

            @Override
            public void runDone(final String arch, final int order, final StrategyChoice strategy, final int run)
            {
                done++;
                progress.step(offset + done, arch + " " + FolioOrder.name(order) + " " + strategy.cliName() + " run " + run);
            }

            @Override
            public void configStart(final String label, final int run)
            {
                if (live != null)
                {
                    live.setConfig(label, run);
                }
            }

            @Override
            public void fork(final long[] events, final long forkNs, final int iteration)
            {
                if (live != null)
                {
                    live.onFork(events, forkNs, iteration);
                }
            }
        };
    }

    /** The arguments of the worker JVM that runs {@code plan} for {@code arch}: this command in worker mode. */
    static List<String> workerArgs(final ForkPlan plan, final String arch, final Path counters, final boolean debug)
    {
        final List<String> cmd = new ArrayList<>(List.of(Main.class.getName(), "fork", "--worker"));
        cmd.add("--arch=" + arch);
        cmd.add("--size=" + plan.sizeBytes());
        cmd.add("--orders=" + plan.orders().stream().map(FolioOrder::label).collect(Collectors.joining(",")));
        cmd.add("--strategy=" + plan.strategies().stream().map(StrategyChoice::cliName).collect(Collectors.joining(",")));
        cmd.add("--runs=" + plan.runs());
        cmd.add("--iterations=" + plan.iterations());
        cmd.add("--ram=" + plan.ramBytes());
        cmd.add("--warmup=" + plan.warmup());
        cmd.add(plan.tlbiRange() ? "--tlbi-range" : "--no-tlbi-range");
        if (plan.snapshot() != null)
        {
            cmd.add("--snapshot=" + plan.snapshot());
        }
        if (plan.reuseParent())
        {
            cmd.add("--reuse-parent");
        }
        if (plan.verify())
        {
            cmd.add("--verify");
        }
        if (debug)
        {
            cmd.add("--debug");
        }
        if (counters != null)
        {
            cmd.add("--counters=" + counters);
        }
        else
        {
            cmd.add("--no-counters");
        }
        return cmd;
    }

    /** Worker mode: one arch; results as JSON lines on stdout, progress as [k/N] and "~ " lines on stderr. */
    private int runWorker(final ForkPlan plan) throws IOException
    {
        final String arch = plan.archs().getFirst();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        LiveCounters live = null;
        if (!noCounters && counters != null)
        {
            try
            {
                live = LiveCounters.attach(counters);
            }
            catch (final IOException | RuntimeException e)
            {
                err.println("forksim worker: live counters disabled (" + counters + ": " + e.getMessage() + ")");
            }
        }
        final Progress progress = new Progress(err, Progress.Mode.LINES, plan.stepsPerArch());
        final LiveCounters l = live;
        final ForkRun.Listener listener = new ForkRun.Listener()
        {
            private int done;

            @Override
            public void status(final String text)
            {
                err.println(Progress.STATUS_PREFIX + text);
                err.flush();
            }

            @Override
            public void runDone(final String a, final int order, final StrategyChoice strategy, final int run)
            {
                progress.step(++done, a + " " + FolioOrder.name(order) + " " + strategy.cliName() + " run " + run + "/" + plan.runs());
            }

            @Override
            public void configStart(final String label, final int run)
            {
                if (l != null)
                {
                    l.setConfig(label, run);
                }
            }

            @Override
            public void fork(final long[] events, final long forkNs, final int iteration)
            {
                if (l != null)
                {
                    l.onFork(events, forkNs, iteration);
                }
            }
        };
        try
        {
            final ForkRun.Outcome o = ForkRun.run(plan, arch, listener);
            for (final RawResult r : o.results())
            {
                out.println(JsonReport.resultLine(r));
            }
            for (final String p : o.problems())
            {
                out.println(JsonReport.problemLine(p));
            }
            for (final ParentSource p : o.parents())
            {
                out.println(JsonReport.parentLine(p));
            }
            out.flush();
        }
        finally
        {
            if (live != null)
            {
                live.close();
            }
        }
        return Main.EXIT_OK;
    }
}
