package io.forksim.harness;

import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.mem.CopyBandwidth;
import io.forksim.mem.OffHeapArena;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.ProcessCheckpoint;
import io.forksim.mm.VmFlags;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The scale run ({@code forksim scale}): one process with a lot of memory (64 GiB of order-0 pages, 1 TiB of order-9 folios, ...)
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
 *       under the same conditions on a shared host. Each child exits before the next fork. Before each timed fork,
 *       as before each large one, the table store commits and orders the slots the child will take.</li>
 *   <li>Large setup ({@code --size}): simulated RAM of at least twice the populated size plus both processes' page
 *       tables; populated in steps (a progress bar on a terminal; pages/s); the host memory the child's page tables
 *       will take is committed ({@code TableStore#ensureCommitted}, timed on its own), then {@code --forks} forks, each
 *       child exiting before the next: the first from the fresh parent, the others from the write-protected parent;
 *       then the parent exits. Where a {@link ProcessCheckpoint} of the large parent takes at most
 *       {@value #FRESH_CHECKPOINT_MAX_BYTES} bytes ({@link #freshForks}: 64 GiB of order-0 pages, not 1 TiB), the fresh
 *       fork is timed {@value #FRESH_FORKS} times, the parent restored from the checkpoint before each but the first,
 *       as the baseline's fresh forks are: one fork of 0.1 s is too short a sample on a shared host (64 GiB order-0
 *       runs gave fresh ratios of -15% to +72% from single forks).</li>
 *   <li>Before both, while no fork has run in the JVM (so that the engine's use of the JDK's segment accessors does
 *       not shape the loop's compiled code): the bandwidth floor ({@link CopyBandwidth}), the fork's memory pattern as
 *       an FFM loop over arrays of up to {@value #FLOOR_MAX_PAGES} pages' worth, mapped like the engine's arenas.</li>
 *   <li>Reported: populate pages/s, fork ns per 4 KiB page as wall-clock time and as the forking thread's CPU time
 *       (fresh and repeated, against the baseline's; on a shared host only the CPU time is a fair comparison), child and
 *       parent tear-down, off-heap bytes the machine reserves and the resident memory it adds per populated page,
 *       and the JVM's peak RSS (reset before the large setup where Linux allows); whether the host backs the arenas with
 *       transparent huge pages ({@code AnonHugePages} with the large child alive); the bytes a fork touches and its
 *       ns/page as a multiple of the floor.</li>
 * </ol>
 * A checkpoint of the large setup is taken only where it is small ({@link #freshForks}); {@code --check} runs the invariant checker
 * on the large machine with a live child (an {@code int} of heap per simulated page).
 */
public final class ScaleRun
{
    private ScaleRun()
    {
    }

    /** Largest checkpoint of the large parent taken to time its fresh fork several times ({@link #freshForks}). */
    public static final long FRESH_CHECKPOINT_MAX_BYTES = 1L << 30;
    /** Timed fresh forks of the large parent where its checkpoint fits {@link #FRESH_CHECKPOINT_MAX_BYTES}. */
    public static final int FRESH_FORKS = 5;

    /** Cap of the bandwidth floor's arrays, in pages (about 1.1 GiB of arrays at order 9, 2.1 GiB at order 0). */
    public static final long FLOOR_MAX_PAGES = 1L << 26;

    /** What to run; {@code hugePages}: the machines' arenas ask for transparent huge pages ({@link Machine.Config}). */
    public record Plan(String arch, int order, StrategyChoice strategy, long sizeBytes, long ramBytes, long baselineBytes,
                       int baselineForks, int forks, boolean check, boolean hugePages)
    {
        /** A plan on huge pages. */
        public Plan(final String arch, final int order, final StrategyChoice strategy, final long sizeBytes, final long ramBytes,
            final long baselineBytes, final int baselineForks, final int forks, final boolean check)
        {
            this(arch, order, strategy, sizeBytes, ramBytes, baselineBytes, baselineForks, forks, check, true);
        }
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
     * {@link #freshForks} of them), {@code repeat} = later forks of the same, now write-protected parent; {@code commitSeconds} and
     * {@code commitBytes}: committing the child's table memory before the first timed fork; {@code anonHugePagesBytes}:
     * the process's {@code AnonHugePages} with the first child alive (-1 where not known).
     */
    public record Measured(long sizeBytes, long ramBytes, long pages, double populateSeconds, double populatePagesPerSec,
                           Series fresh, Series repeat, double childTeardownNsPerPage, double parentTeardownSeconds,
                           long offHeapReservedBytes, long residentDeltaBytes, long peakRssBytes, long tablePages,
                           double commitSeconds, long commitBytes, long anonHugePagesBytes)
    {
    }

    /**
     * Both setups. The ratios are large / baseline ns per page of the repeated forks (the same work in both): wall-clock
     * medians, and medians of CPU time, which {@code --strict} and the 15% check use, since wall time on a
     * shared host mostly measures the other tenants.
     */
    public record Result(Plan plan, Measured baseline, Measured large, String hostNote, CopyBandwidth.Floor floor)
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

    /**
     * Host memory a run of {@code plan} needs at its peak, estimated: the large machine's memmap for the populated
     * pages (25 B each; free memory commits none, see {@code PhysMem}), both processes' page tables, the large parent's
     * checkpoint if {@link #freshForks} takes one, the bandwidth floor's arrays and 512 MiB for the baseline and the JVM.
     */
    public static long hostBytesNeeded(final Plan plan)
    {
        final long pages = plan.sizeBytes() >>> 12;
        final long tables = tableBytes(plan.sizeBytes());
        final long floor = (long)(CopyBandwidth.bytesPerPage(plan.order()) * Math.min(pages, FLOOR_MAX_PAGES));
        final long checkpoint = freshForks(plan) > 1 ? checkpointBytes(plan.sizeBytes()) : 0;
        final long large = 25 * pages + 2 * tables + checkpoint;
        return Math.max(large, floor) + (512L << 20);
    }

    /** Page-table bytes of one process populating {@code size}: PTE tables, PMD tables and a few upper ones. */
    private static long tableBytes(final long size)
    {
        return ((size >>> 21) + (size >>> 30) + 8) * 4096;
    }

    /**
     * Host bytes of a {@link ProcessCheckpoint} of a parent populating {@code size}: its page tables, and a record and a
     * PageAnonExclusive byte per page (17 B).
     */
    static long checkpointBytes(final long size)
    {
        return tableBytes(size) + 17 * (size >>> 12);
    }

    /**
     * Timed fresh forks of the large parent: {@value #FRESH_FORKS} where its checkpoint takes at most
     * {@value #FRESH_CHECKPOINT_MAX_BYTES} bytes of host memory (64 GiB of order-0 pages: 400 MiB), else 1 (the fork of
     * the freshly populated parent, e.g. at 1 TiB, where a checkpoint would take 6 GiB).
     */
    public static int freshForks(final Plan plan)
    {
        return checkpointBytes(plan.sizeBytes()) <= FRESH_CHECKPOINT_MAX_BYTES ? FRESH_FORKS : 1;
    }

    /**
     * The default {@code --forks} for a large process of {@code size}: 11 (a median of 10 repeated forks) where the fresh
     * fork is timed several times ({@link #freshForks}; at 64 GiB of order-0 pages a fork takes 0.1 s), else 3 (at 1 TiB
     * a fork takes 0.6-1 s).
     */
    public static int defaultForks(final long size)
    {
        return checkpointBytes(size) <= FRESH_CHECKPOINT_MAX_BYTES ? 11 : 3;
    }

    /** Default simulated RAM for {@code size}: twice the memory plus four times its page tables, rounded up to 1 GiB. */
    public static long defaultRam(final long size)
    {
        return Math.max(4L << 30, roundUp(2 * size + 4 * tableBytes(size), 1L << 30));
    }

    private static long roundUp(final long v, final long to)
    {
        return (v + to - 1) / to * to;
    }

    /** Progress steps of a run of {@code plan}: the baseline, the populate steps, each large fork, the parent's exit. */
    public static int steps(final Plan plan)
    {
        return 1 + populateSteps(plan.sizeBytes(), plan.order()) + freshForks(plan) - 1 + plan.forks() + 1;
    }

    static int populateSteps(final long size, final int order)
    {
        final long gib = (size + (1L << 30) - 1) >>> 30;
        return (int)Math.max(1, Math.min(gib, 256));
    }

    private static Machine.Config config(final Plan plan, final long ramBytes)
    {
        return Machine.Config.of(plan.strategy().variant(plan.arch()), ramBytes).withHugePages(plan.hugePages());
    }

    /** Runs the baseline and the large setup; see the class comment. */
    public static Result run(final Plan plan, final Listener listener)
    {
        final int total = steps(plan);
        // first, while no fork has run in this JVM: measured after the baseline's forks, the floor's loop ran at
        // 1.95 ns/page in most runs and at 0.67 in others (order 9, 16 GiB and 1 TiB runs under cpu measure)
        listener.status("bandwidth floor: the fork's memory pattern as an FFM loop");
        final CopyBandwidth.Floor floor = CopyBandwidth.measure(plan.sizeBytes() >>> 12, plan.order(), FLOOR_MAX_PAGES,
            plan.hugePages(), 3);
        listener.status("baseline: " + Units.formatSize(plan.baselineBytes()) + " of order-" + plan.order() + " folios");
        try (Baseline base = new Baseline(plan))
        {
            listener.step(1, total, String.format(Locale.ROOT, "baseline %s: fork %.2f ns/page (fresh, cpu %.2f)",
                Units.formatSize(plan.baselineBytes()), median(base.freshWall), median(base.freshCpu)));
            final String hostNote = Rss.resetPeak() ? "peak RSS reset before the large setup" : "peak RSS of the whole run";
            final Measured large = large(plan, listener, total, base);
            return new Result(plan, base.finish(), large, hostNote + "; load average " + Rss.loadAverage(), floor);
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
                final long p0 = System.nanoTime();
                parent = PopulatedParent.populate(m, plan.baselineBytes(), plan.order());
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
                        exitAndDrop(Fork.fork(parent, plan.strategy().strategy()));
                        exitAndDrop(Fork.fork(parent, plan.strategy().strategy()));
                    }
                    for (int i = 0; i < n; i++)
                    {
                        cp.restore();
                        m.tableStore().ensureCommitted(m.tableStore().slotsInUse());   // as before a large fork
                        final Mm child = timedFork(parent, plan.strategy(), pages, freshWall, freshCpu, i);
                        final long t1 = System.nanoTime();
                        child.exit();
                        teardown[i] = (double)(System.nanoTime() - t1) / pages;
                        child.mmdrop();
                    }
                    cp.restore();
                }
                exitAndDrop(Fork.fork(parent, plan.strategy().strategy()));   // from now on the write-protected shape
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
                m.tableStore().ensureCommitted(m.tableStore().slotsInUse());   // as before a large fork
                exitAndDrop(timedFork(parent, plan.strategy(), pages, w, c, i));
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
                peak, tables, 0, 0, -1);
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
            listener.status("committing the child's page-table memory");
            final long c0 = System.nanoTime();
            final long commitBytes = m.tableStore().ensureCommitted(m.tableStore().slotsInUse());
            final double commitS = (System.nanoTime() - c0) / 1e9;
            long anonHuge = -1;
            final int nFresh = freshForks(plan);
            final double[] freshWall = new double[nFresh];
            final double[] freshCpu = new double[nFresh];
            if (nFresh > 1)
            {
                listener.status("checkpoint of the parent for " + nFresh + " fresh forks");
                try (ProcessCheckpoint cp = ProcessCheckpoint.capture(parent))
                {
                    for (int i = 1; i < nFresh; i++)   // forks 1.. of the fresh parent; fork 0 is the loop's below
                    {
                        m.tableStore().ensureCommitted(m.tableStore().slotsInUse());
                        exitAndDrop(timedFork(parent, plan.strategy(), pages, freshWall, freshCpu, i));
                        cp.restore();
                        listener.step(1 + steps + i, total, String.format(Locale.ROOT, "fresh fork %d/%d: %.2f ns/page (cpu %.2f)",
                            i, nFresh, freshWall[i], freshCpu[i]));
                    }
                }
            }
            for (int i = 0; i < n; i++)
            {
                listener.status("baseline forks next to large fork " + (i + 1));
                base.sample();
                m.tableStore().ensureCommitted(m.tableStore().slotsInUse());   // nothing to do: the last child's slots are free
                listener.status("fork " + (i + 1) + "/" + n + " of " + Units.formatSize(plan.sizeBytes()));
                final Mm child = timedFork(parent, plan.strategy(), pages, wall, cpu, i);
                if (i == 0)
                {
                    anonHuge = OffHeapArena.anonHugePagesBytes();
                }
                if (plan.check() && i == 0)
                {
                    listener.status("checking invariants with a live child");
                    InvariantChecker.check(m);
                }
                listener.status(String.format(Locale.ROOT, "fork %d/%d: %.2f ns/page; child exiting", i + 1, n, wall[i]));
                final long t2 = System.nanoTime();
                child.exit();
                teardown[i] = (double)(System.nanoTime() - t2) / pages;
                child.mmdrop();
                listener.step(steps + nFresh + i + 1, total, String.format(Locale.ROOT,
                    "fork %d/%d: %.2f ns/page (cpu %.2f), child tear-down %.2f ns/page", i + 1, n, wall[i], cpu[i], teardown[i]));
            }
            final long offHeap = m.offHeapBytes();
            final long tables = m.tableStore().slotsInUse();
            listener.status("parent exiting");
            final long e0 = System.nanoTime();
            parent.exit();
            final double parentS = (System.nanoTime() - e0) / 1e9;
            listener.step(total, total, String.format(Locale.ROOT, "parent tear-down %.2f s", parentS));
            freshWall[0] = wall[0];
            freshCpu[0] = cpu[0];
            final Series fresh = new Series(freshWall, freshCpu);
            final Series repeat = n > 1 ? new Series(Arrays.copyOfRange(wall, 1, n), Arrays.copyOfRange(cpu, 1, n))
                : new Series(new double[] {wall[0]}, new double[] {cpu[0]});
            return new Measured(plan.sizeBytes(), plan.ramBytes(), pages, popS, pages / popS, fresh, repeat,
                median(teardown), parentS, offHeap, residentPopulated, Rss.peak(), tables, commitS, commitBytes, anonHuge);
        }
    }

    static double median(final double[] v)
    {
        final double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }


    /** The child exits and its mm goes back to the machine's slab caches (untimed), so the next fork allocates nothing. */
    private static void exitAndDrop(final Mm child)
    {
        child.exit();
        child.mmdrop();
    }
}
