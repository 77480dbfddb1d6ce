package io.forksim.cli;

import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.ProcessCheckpoint;
import io.forksim.mm.VmFlags;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code forksim scale}: one process with a lot of memory (64 GiB of order-0 pages, 1 TiB of order-9 folios, ...)
 * populated, forked and torn down, with the same fork measured at a small baseline size (1 GiB) in the same JVM, so
 * that the ns per page of both can be compared (linear scaling: within 15%).
 *
 * <h2>Method</h2>
 * <ol>
 *   <li>Baseline ({@code --baseline}, default 1 GiB): a machine as {@code forksim fork} builds it, the parent
 *       populated, {@code --baseline-forks} untimed warm-up forks of both shapes (JIT), then that many timed forks from a
 *       fresh parent (restored from a {@link ProcessCheckpoint} before each), and batches of as many timed forks from
 *       the parent as the previous fork left it (write-protected: what every fork but the first of a process sees):
 *       one batch before the large setup and one right before each repeated large fork, so that both are measured
 *       under the same conditions on a shared host. Each child exits before the next fork.</li>
 *   <li>Large setup ({@code --size}): simulated RAM of at least twice the populated size plus both processes' page
 *       tables; populated in steps (a progress bar on a terminal; pages/s); then {@code --forks} forks, each child
 *       exiting before the next: the first from the fresh parent (it also pays for the host committing the child's
 *       table memory), the others from the write-protected parent; then the parent exits.</li>
 *   <li>Reported: populate pages/s, fork ns per 4 KiB page as wall-clock time and as the forking thread's CPU time
 *       (fresh and repeated, against the baseline's; on a shared host only the CPU time is a fair comparison), child and
 *       parent tear-down, off-heap bytes the machine reserves and the resident memory it adds per populated page,
 *       and the JVM's peak RSS (reset before the large setup where Linux allows).</li>
 * </ol>
 * No checkpoint is taken of the large setup (it would double its memory); {@code --check} runs the invariant checker
 * on the large machine with a live child (an {@code int} of heap per simulated page).
 */
@Command(name = "scale",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Populates one process with SIZE of memory (e.g. 64G of order-0 pages or 1T of order-9 folios), forks it and",
        "tears it down, and compares fork ns per page with the same fork at --baseline size in the same JVM.",
        "Reports populate pages/s, fork ns/page (fresh and repeated), tear-down, off-heap bytes per simulated page and",
        "peak RSS. With --strict, exit 1 if the repeated forks' CPU ns/page is more than --tolerance above the baseline's."})
public final class ScaleCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "64G", converter = Units.SizeConverter.class,
        description = "Populated memory of the large process (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--order", paramLabel = "ORDER", defaultValue = "0",
        description = "Folio order 0..9 (default: ${DEFAULT-VALUE}).")
    int order;

    @Option(names = "--arch", paramLabel = "ARCH", defaultValue = "x86_64", converter = ForkCommand.ArchConverter.class,
        description = "x86_64 or arm64 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--strategy", paramLabel = "STRATEGY", defaultValue = "folio-batch",
        converter = ForkCommand.StrategyConverter.class,
        description = "Copy strategy (default: ${DEFAULT-VALUE}).")
    StrategyChoice strategy;

    @Option(names = "--ram", paramLabel = "SIZE", converter = Units.SizeConverter.class,
        description = "Simulated RAM of the large machine (default: 2 x SIZE + 4 x its page tables, rounded up to 1G).")
    Long ram;

    @Option(names = "--baseline", paramLabel = "SIZE", defaultValue = "1G", converter = Units.SizeConverter.class,
        description = "Size of the baseline measurement (default: ${DEFAULT-VALUE}).")
    long baseline;

    @Option(names = "--baseline-forks", paramLabel = "N", defaultValue = "20",
        description = "Warm-up forks, and timed forks of each kind, at the baseline size (default: ${DEFAULT-VALUE}).")
    int baselineForks;

    @Option(names = "--forks", paramLabel = "N", defaultValue = "3",
        description = "Forks of the large process, each child exiting before the next (default: ${DEFAULT-VALUE}).")
    int forks;

    @Option(names = "--tolerance", paramLabel = "PCT", defaultValue = "15",
        description = "Allowed ns/page excess over the baseline, percent (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--strict", description = "Exit 1 when the repeated fork's ns/page exceeds the baseline's by more than --tolerance.")
    boolean strict;

    @Option(names = "--check", description = "Run the invariant checker on the large machine with a live child (slow, heap: 4 B per simulated page).")
    boolean check;

    @Option(names = "--no-progress", description = "No progress output.")
    boolean noProgress;

    @Option(names = "--debug", description = "Print stack traces of errors.")
    boolean debug;

    /** What to run. */
    public record Plan(String arch, int order, StrategyChoice strategy, long sizeBytes, long ramBytes, long baselineBytes,
                       int baselineForks, int forks, boolean check)
    {
    }

    /**
     * Per-page times of a series of forks: wall clock and the forking thread's CPU time (which a busy shared host does
     * not inflate by descheduling the thread; cache pollution by other processes it does include).
     */
    public record Series(double[] wallNs, double[] cpuNs)
    {
        public double medianWall() { return median(wallNs); }
        public double bestWall() { return Arrays.stream(wallNs).min().orElse(Double.NaN); }
        public double medianCpu() { return median(cpuNs); }
        public double bestCpu() { return Arrays.stream(cpuNs).min().orElse(Double.NaN); }
    }

    /**
     * Fork and tear-down figures of one setup: {@code fresh} = forks of a freshly populated parent (the large setup has
     * one, the first), {@code repeat} = later forks of the same, now write-protected parent.
     */
    public record Measured(long sizeBytes, long ramBytes, long pages, double populateSeconds, double populatePagesPerSec,
                           Series fresh, Series repeat, double childTeardownNsPerPage, double parentTeardownSeconds,
                           long offHeapReservedBytes, long residentDeltaBytes, long peakRssBytes, long tablePages)
    {
    }

    /**
     * Both setups. The ratios are large / baseline ns per page of the repeated forks (the same work in both): wall-clock
     * medians, and medians of CPU time, which {@code --strict} and the 15% check use, since wall time on a
     * shared host mostly measures the other tenants.
     */
    public record Result(Plan plan, Measured baseline, Measured large, String hostNote)
    {
        public double wallRatio() { return large.repeat().medianWall() / baseline.repeat().medianWall(); }
        public double cpuRatio() { return large.repeat().medianCpu() / baseline.repeat().medianCpu(); }
        public double freshCpuRatio() { return large.fresh().medianCpu() / baseline.fresh().medianCpu(); }
    }

    /** Progress of a scale run (all calls outside timed sections). */
    public interface Listener
    {
        default void status(final String text)
        {
        }

        default void step(final int done, final int total, final String text)
        {
        }
    }

    /** Default simulated RAM for {@code size}: twice the memory plus four times its page tables, rounded up to 1 GiB. */
    public static long defaultRam(final long size)
    {
        final long tables = ((size >>> 21) + (size >>> 30) + 8) * 4096;
        return Math.max(4L << 30, roundUp(2 * size + 4 * tables, 1L << 30));
    }

    private static long roundUp(final long v, final long to)
    {
        return (v + to - 1) / to * to;
    }

    private Main.UsageException bad(final String message)
    {
        return new Main.UsageException(spec.commandLine(), message);
    }

    Plan plan()
    {
        if (order < 0 || order > 9)
        {
            throw bad("Invalid value for option '--order': " + order + " (must be 0..9)");
        }
        final long folio = 4096L << order;
        for (final long s : new long[] {size, baseline})
        {
            if (s <= 0 || s % folio != 0)
            {
                throw bad("Invalid size " + Units.formatSize(s) + " (must be a positive multiple of the order-" + order
                    + " folio, " + Units.formatSize(folio) + ")");
            }
            if (s > io.forksim.pgtable.PageTables.TASK_SIZE - ForkPlan.BASE_VA)
            {
                throw bad("Invalid size " + Units.formatSize(s) + ": does not fit the user address space above 1 TiB");
            }
        }
        if (strategy == StrategyChoice.CONTPTE_BASIC && !arch.equals("arm64"))
        {
            throw bad("Invalid combination: --strategy contpte-basic exists only on arm64");
        }
        if (baselineForks < 1 || forks < 1)
        {
            throw bad("Invalid value: --forks and --baseline-forks must be at least 1");
        }
        final long r = ram != null ? ram : defaultRam(size);
        final long need = size + 2 * (((size >>> 21) + 8) * 4096);
        if (r < need || r > (1L << 43) || r % 4096 != 0)
        {
            throw bad("Invalid value for option '--ram': " + Units.formatSize(r) + " (needs at least "
                + Units.formatSize(roundUp(need, 1L << 20)) + ", at most 8 TiB, a multiple of 4 KiB)");
        }
        return new Plan(arch, order, strategy, size, r, baseline, baselineForks, forks, check);
    }

    @Override
    public Integer call()
    {
        final Plan plan = plan();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final int populateSteps = populateSteps(plan.sizeBytes(), plan.order());
        final int total = 1 + populateSteps + plan.forks() + 1;
        final Progress progress = new Progress(err, Progress.chooseMode(noProgress), total);
        final Result r;
        try
        {
            r = run(plan, new Listener()
            {
                @Override
                public void status(final String text)
                {
                    progress.status(text);
                }

                @Override
                public void step(final int done, final int t, final String text)
                {
                    progress.step(done, text);
                }
            });
        }
        finally
        {
            progress.finish();
        }
        for (final String line : report(r))
        {
            out.println(line);
        }
        out.flush();
        if (strict && r.cpuRatio() > 1 + tolerance / 100)
        {
            throw new Main.CheckFailedException(String.format(Locale.ROOT, "repeated fork at %s costs %.2f ns/page of CPU, %.1f%%"
                + " above the %s baseline (tolerance %.0f%%)", Units.formatSize(plan.sizeBytes()), r.large().repeat().medianCpu(),
                (r.cpuRatio() - 1) * 100, Units.formatSize(plan.baselineBytes()), tolerance));
        }
        return Main.EXIT_OK;
    }

    static int populateSteps(final long size, final int order)
    {
        final long gib = (size + (1L << 30) - 1) >>> 30;
        return (int)Math.max(1, Math.min(gib, 256));
    }

    private static Machine.Config config(final Plan plan, final long ramBytes)
    {
        return Machine.Config.of(plan.strategy().variant(plan.arch()), ramBytes);
    }

    /** Runs the baseline and the large setup; see the class comment. */
    public static Result run(final Plan plan, final Listener listener)
    {
        final int populateSteps = populateSteps(plan.sizeBytes(), plan.order());
        final int total = 1 + populateSteps + plan.forks() + 1;
        listener.status("baseline: " + Units.formatSize(plan.baselineBytes()) + " of order-" + plan.order() + " folios");
        try (Baseline base = new Baseline(plan))
        {
            listener.step(1, total, String.format(Locale.ROOT, "baseline %s: fork %.2f ns/page (fresh, cpu %.2f)",
                Units.formatSize(plan.baselineBytes()), median(base.freshWall), median(base.freshCpu)));
            final String hostNote = Rss.resetPeak() ? "peak RSS reset before the large setup" : "peak RSS of the whole run";
            final Measured large = large(plan, listener, total, base);
            return new Result(plan, base.finish(), large, hostNote + "; load average " + Rss.loadAverage());
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** A timed fork: wall and CPU ns per page go to {@code wall[i]} and {@code cpu[i]}; returns the child. */
    private static Mm timedFork(final Mm parent, final StrategyChoice s, final long pages, final double[] wall, final double[] cpu,
        final int i)
    {
        final long c0 = THREADS.getCurrentThreadCpuTime();
        final long t0 = System.nanoTime();
        final Mm child = Fork.fork(parent, s.strategy());
        final long t1 = System.nanoTime();
        final long c1 = THREADS.getCurrentThreadCpuTime();
        wall[i] = (double)(t1 - t0) / pages;
        cpu[i] = c0 < 0 || c1 < 0 ? Double.NaN : (double)(c1 - c0) / pages;
        return child;
    }

    /**
     * The baseline machine, alive for the whole run: after its fresh-parent forks, its repeated forks are sampled right
     * before each large fork, so that both see the same conditions on a shared host.
     */
    private static final class Baseline implements AutoCloseable
    {
        final Plan plan;
        final long ramBytes;
        final Machine m;
        final Mm parent;
        final long pages;
        final double popS;
        final long resident;
        final double[] freshWall;
        final double[] freshCpu;
        final double[] teardown;
        final List<double[]> repeatWall = new ArrayList<>();
        final List<double[]> repeatCpu = new ArrayList<>();
        final long tables;
        final long peak;

        Baseline(final Plan plan)
        {
            this.plan = plan;
            this.ramBytes = Math.max(4L << 30, roundUp((long)Math.ceil(plan.baselineBytes() * 2.5), 1L << 30));
            final long rss0 = Rss.current();
            this.m = new Machine(config(plan, ramBytes));
            try
            {
                parent = m.newProcess();
                parent.mmap(ForkPlan.BASE_VA, plan.baselineBytes(), VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
                final long p0 = System.nanoTime();
                parent.populate(ForkPlan.BASE_VA, plan.baselineBytes(), plan.order());
                popS = (System.nanoTime() - p0) / 1e9;
                pages = plan.baselineBytes() >>> 12;
                resident = Rss.current() - rss0;
                tables = m.tableStore().slotsInUse();
                final int n = plan.baselineForks();
                freshWall = new double[n];
                freshCpu = new double[n];
                teardown = new double[n];
                try (ProcessCheckpoint cp = ProcessCheckpoint.capture(parent))
                {
                    // warm-up of both shapes (fresh parent, write-protected parent): no deoptimisation in a timed fork
                    for (int i = 0; i < n; i++)
                    {
                        cp.restore();
                        Fork.fork(parent, plan.strategy().strategy()).exit();
                        Fork.fork(parent, plan.strategy().strategy()).exit();
                    }
                    for (int i = 0; i < n; i++)
                    {
                        cp.restore();
                        final Mm child = timedFork(parent, plan.strategy(), pages, freshWall, freshCpu, i);
                        final long t1 = System.nanoTime();
                        child.exit();
                        teardown[i] = (double)(System.nanoTime() - t1) / pages;
                    }
                    cp.restore();
                }
                Fork.fork(parent, plan.strategy().strategy()).exit();   // from now on the write-protected shape
                peak = Rss.peak();
            }
            catch (final RuntimeException | Error e)
            {
                m.close();
                throw e;
            }
        }

        /** {@code baselineForks} timed repeated forks of the baseline parent. */
        void sample()
        {
            final int n = plan.baselineForks();
            final double[] w = new double[n];
            final double[] c = new double[n];
            for (int i = 0; i < n; i++)
            {
                timedFork(parent, plan.strategy(), pages, w, c, i).exit();
            }
            repeatWall.add(w);
            repeatCpu.add(c);
        }

        Measured finish()
        {
            final long e0 = System.nanoTime();
            parent.exit();
            final double parentS = (System.nanoTime() - e0) / 1e9;
            return new Measured(plan.baselineBytes(), ramBytes, pages, popS, pages / popS, new Series(freshWall, freshCpu),
                new Series(flatten(repeatWall), flatten(repeatCpu)), median(teardown), parentS, m.offHeapBytes(), resident,
                peak, tables);
        }

        private static double[] flatten(final List<double[]> l)
        {
            return l.stream().flatMapToDouble(Arrays::stream).toArray();
        }

        @Override
        public void close()
        {
            m.close();
        }
    }

    private static Measured large(final Plan plan, final Listener listener, final int total, final Baseline base)
    {
        final long rss0 = Rss.current();
        final long pages = plan.sizeBytes() >>> 12;
        try (Machine m = new Machine(config(plan, plan.ramBytes())))
        {
            final Mm parent = m.newProcess();
            parent.mmap(ForkPlan.BASE_VA, plan.sizeBytes(), VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            final int steps = populateSteps(plan.sizeBytes(), plan.order());
            final long folio = 4096L << plan.order();
            final long chunk = roundUp((plan.sizeBytes() + steps - 1) / steps, folio);
            final long p0 = System.nanoTime();
            long done = 0;
            int step = 0;
            while (done < plan.sizeBytes())
            {
                final long n = Math.min(chunk, plan.sizeBytes() - done);
                parent.populate(ForkPlan.BASE_VA + done, n, plan.order());
                done += n;
                step++;
                final double s = (System.nanoTime() - p0) / 1e9;
                listener.step(1 + step, total, String.format(Locale.ROOT, "populating %s of %s: %.1f M pages/s",
                    Units.formatSize(done), Units.formatSize(plan.sizeBytes()), (done >>> 12) / s / 1e6));
            }
            final double popS = (System.nanoTime() - p0) / 1e9;
            final long residentPopulated = Rss.current() - rss0;
            final int n = plan.forks();
            final double[] wall = new double[n];
            final double[] cpu = new double[n];
            final double[] teardown = new double[n];
            for (int i = 0; i < n; i++)
            {
                listener.status("baseline forks next to large fork " + (i + 1));
                base.sample();
                listener.status("fork " + (i + 1) + "/" + n + " of " + Units.formatSize(plan.sizeBytes()));
                final Mm child = timedFork(parent, plan.strategy(), pages, wall, cpu, i);
                if (plan.check() && i == 0)
                {
                    listener.status("checking invariants with a live child");
                    InvariantChecker.check(m);
                }
                listener.status(String.format(Locale.ROOT, "fork %d/%d: %.2f ns/page; child exiting", i + 1, n, wall[i]));
                final long t2 = System.nanoTime();
                child.exit();
                teardown[i] = (double)(System.nanoTime() - t2) / pages;
                listener.step(1 + steps + i + 1, total, String.format(Locale.ROOT,
                    "fork %d/%d: %.2f ns/page (cpu %.2f), child tear-down %.2f ns/page", i + 1, n, wall[i], cpu[i], teardown[i]));
            }
            final long offHeap = m.offHeapBytes();
            final long tables = m.tableStore().slotsInUse();
            listener.status("parent exiting");
            final long e0 = System.nanoTime();
            parent.exit();
            final double parentS = (System.nanoTime() - e0) / 1e9;
            listener.step(total, total, String.format(Locale.ROOT, "parent tear-down %.2f s", parentS));
            final Series fresh = new Series(new double[] {wall[0]}, new double[] {cpu[0]});
            final Series repeat = n > 1 ? new Series(Arrays.copyOfRange(wall, 1, n), Arrays.copyOfRange(cpu, 1, n)) : fresh;
            return new Measured(plan.sizeBytes(), plan.ramBytes(), pages, popS, pages / popS, fresh, repeat,
                median(teardown), parentS, offHeap, residentPopulated, Rss.peak(), tables);
        }
    }

    static double median(final double[] v)
    {
        final double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The report lines. */
    public static List<String> report(final Result r)
    {
        final Plan p = r.plan();
        final List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "forksim scale: %s, order-%d folios (%s each), %s, on %d cores, %s host RAM, Java %s",
            p.arch(), p.order(), Units.formatSize(4096L << p.order()), p.strategy().cliName(),
            Runtime.getRuntime().availableProcessors(), Units.formatSize(Rss.hostRam()), Runtime.version()));
        out.add("");
        out.add(String.format(Locale.ROOT, "%-26s %26s   %s", "", Units.formatSize(r.baseline().sizeBytes()) + " (baseline)",
            Units.formatSize(r.large().sizeBytes())));
        final Measured b = r.baseline();
        final Measured l = r.large();
        out.add(row("simulated RAM", Units.formatSize(b.ramBytes()), Units.formatSize(l.ramBytes())));
        out.add(row("populated pages", String.format(Locale.ROOT, "%,d", b.pages()), String.format(Locale.ROOT, "%,d", l.pages())));
        out.add(row("populate", String.format(Locale.ROOT, "%.2f s", b.populateSeconds()), String.format(Locale.ROOT, "%.2f s", l.populateSeconds())));
        out.add(row("populate rate", String.format(Locale.ROOT, "%.2f M pages/s", b.populatePagesPerSec() / 1e6),
            String.format(Locale.ROOT, "%.2f M pages/s", l.populatePagesPerSec() / 1e6)));
        out.add(row("fork, fresh parent", ns(b.fresh().medianWall(), b.fresh().medianCpu()),
            ns(l.fresh().medianWall(), l.fresh().medianCpu()) + pct(r.freshCpuRatio())));
        out.add(row("fork, repeated (median)", ns(b.repeat().medianWall(), b.repeat().medianCpu()),
            ns(l.repeat().medianWall(), l.repeat().medianCpu()) + pct(r.cpuRatio())));
        out.add(row("fork, repeated (best)", ns(b.repeat().bestWall(), b.repeat().bestCpu()),
            ns(l.repeat().bestWall(), l.repeat().bestCpu())));
        out.add(row("fork wall time", String.format(Locale.ROOT, "%.2f ms", b.repeat().medianWall() * b.pages() / 1e6),
            String.format(Locale.ROOT, "%.2f s (first), %.2f s (repeated)", l.fresh().medianWall() * l.pages() / 1e9,
                l.repeat().medianWall() * l.pages() / 1e9)));
        out.add(row("child tear-down", String.format(Locale.ROOT, "%.3f ns/page", b.childTeardownNsPerPage()),
            String.format(Locale.ROOT, "%.3f ns/page (%.2f s)", l.childTeardownNsPerPage(), l.childTeardownNsPerPage() * l.pages() / 1e9)));
        out.add(row("parent tear-down", String.format(Locale.ROOT, "%.3f s", b.parentTeardownSeconds()),
            String.format(Locale.ROOT, "%.2f s", l.parentTeardownSeconds())));
        out.add(row("page-table pages (parent)", String.format(Locale.ROOT, "%,d", b.tablePages()), String.format(Locale.ROOT, "%,d", l.tablePages())));
        out.add(row("off-heap reserved", Units.formatSize(b.offHeapReservedBytes()), Units.formatSize(l.offHeapReservedBytes())));
        out.add(row("  per page of RAM", perPage(b.offHeapReservedBytes(), b.ramBytes() >>> 12), perPage(l.offHeapReservedBytes(), l.ramBytes() >>> 12)));
        out.add(row("resident, populated", Units.formatSize(Math.max(0, b.residentDeltaBytes())), Units.formatSize(Math.max(0, l.residentDeltaBytes()))));
        out.add(row("  per populated page", perPage(b.residentDeltaBytes(), b.pages()), perPage(l.residentDeltaBytes(), l.pages())));
        out.add(row("peak RSS (JVM)", Units.formatSize(b.peakRssBytes()), Units.formatSize(l.peakRssBytes())));
        out.add("");
        out.add(String.format(Locale.ROOT, "ns/page as wall / cpu (the forking thread's CPU time); (+x%%) = large vs baseline, cpu."
            + " Repeated forks, cpu median: %+.1f%% (wall %+.1f%%); %s.", (r.cpuRatio() - 1) * 100, (r.wallRatio() - 1) * 100,
            r.hostNote()));
        out.add("fresh = forks of a freshly populated parent (the large setup's first fork also pays for the host committing the"
            + " child's table memory); repeated = later forks of the same, now write-protected parent.");
        return out;
    }

    private static String ns(final double wall, final double cpu)
    {
        return String.format(Locale.ROOT, "%.2f / %.2f ns", wall, cpu);
    }

    private static String pct(final double ratio)
    {
        return String.format(Locale.ROOT, "  (%+.1f%%)", (ratio - 1) * 100);
    }

    private static String row(final String label, final String a, final String b)
    {
        return String.format(Locale.ROOT, "%-26s %26s   %s", label, a, b);
    }

    private static String perPage(final long bytes, final long pages)
    {
        return pages == 0 ? "-" : String.format(Locale.ROOT, "%.2f B", (double)bytes / pages);
    }

    /** The JVM's resident memory, from /proc/self/status (0 where that does not exist). */
    static final class Rss
    {
        private Rss()
        {
        }

        static long current()
        {
            return field("VmRSS:");
        }

        static long peak()
        {
            return field("VmHWM:");
        }

        static String loadAverage()
        {
            try
            {
                final String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
                return f[0] + " " + f[1] + " " + f[2];
            }
            catch (final IOException | RuntimeException e)
            {
                return "n/a";
            }
        }

        static long hostRam()
        {
            try
            {
                for (final String l : Files.readAllLines(Path.of("/proc/meminfo")))
                {
                    if (l.startsWith("MemTotal:"))
                    {
                        return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            }
            catch (final IOException | RuntimeException e)
            {
                // not Linux
            }
            return 0;
        }

        /** Resets the peak RSS ({@code echo 5 > /proc/self/clear_refs}); false where that is not possible. */
        static boolean resetPeak()
        {
            try
            {
                Files.writeString(Path.of("/proc/self/clear_refs"), "5");
                return true;
            }
            catch (final IOException | RuntimeException e)
            {
                return false;
            }
        }

        private static long field(final String name)
        {
            try
            {
                for (final String l : Files.readAllLines(Path.of("/proc/self/status")))
                {
                    if (l.startsWith(name))
                    {
                        return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            }
            catch (final IOException | RuntimeException e)
            {
                // not Linux
            }
            return 0;
        }
    }
}
