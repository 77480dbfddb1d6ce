package io.forksim.harness;

import io.forksim.check.Compare;
import io.forksim.check.MachineImage;
import io.forksim.check.Verifier;
import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.mm.Mm;
import io.forksim.stats.Events;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The measurement loop of {@code forksim fork} for one arch, in the current JVM (a worker JVM by default).
 *
 * <h2>Method</h2>
 * For each order: a fresh machine (one more for contpte-basic, which needs its own arm64 backend) with a parent
 * whose region of {@code --size} at {@link ForkPlan#BASE_VA} is populated with folios of that order, then
 * {@link io.forksim.mm.ProcessCheckpoint#capture captured}. Then:
 * <ol>
 *   <li>warm-up (JIT): untimed forks per strategy of a 32 MiB parent on a machine of its own
 *       ({@link SmallParentWarmup}), then at least {@link ForkPlan#warmup()} untimed forks per strategy of the real
 *       parent, then rounds of {@link SteadyState#WINDOW} forks per strategy and floor passes for at least
 *       {@link #MIN_WARMUP_NANOS} and until all of them were {@link SteadyState steady} in the same round in which the
 *       JIT compiled nothing ({@link JitActivity}) (capped);
 *       warm-up forks take the timed forks' code path;</li>
 *   <li>runs: in the default mode, run r of every strategy and of the {@link FloorLoop} (on arm64, but at 9pmd, followed
 *       by the {@link Arm64FloorLoop} of the order: {@link Floors}) is interleaved fork by fork
 *       ({@link #timedRounds}): a round is fork i of every strategy and floor pass i back to back, the strategies in
 *       the order of row {@code i + r} of a {@link WilliamsOrder Williams design}, then the floor (each strategy follows
 *       the floor and each other strategy equally often), so the paired ratios of run r compare forks made
 *       milliseconds apart; the rounds of all runs run in a random order ({@link RunSchedule}), so an episode of the
 *       shared machine spreads over the runs; warm-up windows are interleaved the same way. With
 *       {@code --reuse-parent}, run r is a block of {@code iterations} forks per strategy (a true tight loop over one
 *       process), the blocks one after the other, the first at
 *       position {@code r mod (S + 1)} ({@link #blocks});</li>
 *   <li>the measuring thread is pinned to one CPU ({@link CpuAffinity}) for the whole arch and unpinned after, and the
 *       JVM's other threads (JIT compilers, GC) are moved off that CPU meanwhile;</li>
 *   <li>a run of a strategy = {@code iterations} forks (its run mean is what the reports pair and average), each timed with {@link System#nanoTime()} around
 *       {@link Fork#fork} only and recorded in the configuration's HdrHistogram; then the child exits (timed separately: tear-down) and, in the default mode, the
 *       parent is restored to its freshly populated state (untimed). With {@code --reuse-parent} the parent is
 *       restored only at the start of each run, so a run is a true tight loop over one process, as in the
 *       thread's benchmark (after the first fork the parent is write-protected, on arm64 legacy unfolded);</li>
 *   <li>per-fork events = the machine's events after minus before the fork; in the default mode they must be
 *       identical for every timed fork of a configuration (a difference is reported as a problem);</li>
 *   <li>{@code --verify}: one more fork per strategy from the fresh parent with the child alive: the invariant
 *       checker, then {@link Compare} of every strategy's parent and child against legacy's.</li>
 * </ol>
 * Nothing here runs inside the copy loop: the live counters and progress are updated once per fork or run,
 * outside the timed section, and the harness allocates nothing per fork (events are read into arrays of the slot).
 */
public final class ForkRun
{
    /** Progress and live-counter hooks; all calls happen outside the timed section. */
    public interface Listener
    {
        /** A phase that takes a while (populating, warming up, verifying). */
        default void status(final String text)
        {
        }

        /** Run {@code run} (1-based) of a configuration is done: one progress step. */
        default void runDone(final String arch, final int order, final StrategyChoice strategy, final int run)
        {
        }

        /** A block of timed forks of one configuration starts. */
        default void configStart(final String label, final int run)
        {
        }

        /**
         * After each fork of the real parent, warm-up forks included ({@code iteration} 0 for them): its events and
         * time. The warm-up calls it too so that the timed forks run the code the warm-up compiled.
         */
        default void fork(final long[] events, final long forkNs, final int iteration)
        {
        }
    }

    /**
     * Results of one arch, the problems found (event drift, invariant violations, verify mismatches) and, with
     * {@code --snapshot}, where each populated parent came from.
     */
    public record Outcome(List<RawResult> results, List<String> problems, List<ParentSource> parents)
    {
        /** An outcome without snapshot parents. */
        public Outcome(final List<RawResult> results, final List<String> problems)
        {
            this(results, problems, List.of());
        }
    }

    private final ForkPlan plan;
    private final String arch;
    private final Listener listener;
    private final List<String> problems = new ArrayList<>();
    private final List<ParentSource> parents = new ArrayList<>();
    /** The orders of an interleaved pass's forks ({@link WilliamsOrder}), set per order of folios. */
    private int[][] williams = WilliamsOrder.rows(1);
    /** Page faults and preemptions of the measuring thread around each timed fork (created on that thread). */
    private final ThreadUsage usage = new ThreadUsage();
    /** The diagnostic trace ({@code -Dforksim.diag=DIR}); off by default. */
    private final RunDiagnostics diag = RunDiagnostics.open();

    private ForkRun(final ForkPlan plan, final String arch, final Listener listener)
    {
        this.plan = plan;
        this.arch = arch;
        this.listener = listener;
    }

    /**
     * The JVM system property that turns the pinning of the measuring thread off ({@code -Dforksim.pin=false}, e.g.
     * through {@code FORKSIM_JAVA_OPTS}; worker JVMs inherit it), for comparing pinned and unpinned runs.
     */
    public static final String PIN_PROPERTY = "forksim.pin";

    /**
     * The JVM system property that keeps the JVM's other threads (JIT compilers, GC) on the measuring thread's CPU
     * ({@code -Dforksim.isolate=false}; default true: {@link CpuAffinity#moveOtherThreadsOff} while pinned), for
     * comparison.
     */
    public static final String ISOLATE_PROPERTY = "forksim.isolate";

    /**
     * The JVM system property that maps the machines' memmap and table arenas (and the floor loop's data) without
     * transparent huge pages ({@code -Dforksim.hugePages=false}; default true), for comparing the two placements.
     */
    public static final String HUGE_PAGES_PROPERTY = "forksim.hugePages";

    /** Measures every (order, strategy) of {@code arch} under {@code plan}. */
    public static Outcome run(final ForkPlan plan, final String arch, final Listener listener)
    {
        final ForkRun b = new ForkRun(plan, arch, listener);
        final List<RawResult> results = new ArrayList<>();
        final java.util.Optional<CpuAffinity.Pin> pin = Boolean.parseBoolean(System.getProperty(PIN_PROPERTY, "true"))
            ? CpuAffinity.pinToLastAllowedCpu() : java.util.Optional.empty();
        final java.util.Optional<CpuAffinity.Moved> moved = pin.isPresent()
            && Boolean.parseBoolean(System.getProperty(ISOLATE_PROPERTY, "true"))
            ? CpuAffinity.moveOtherThreadsOff(pin.get().cpu()) : java.util.Optional.empty();
        b.diag.line("%s pinned to CPU %d; %d other threads moved off it", arch, pin.map(CpuAffinity.Pin::cpu).orElse(-1),
            moved.map(CpuAffinity.Moved::threads).orElse(0));
        try
        {
            for (final int order : plan.orders())
            {
                results.addAll(b.runOrder(order, pin.map(CpuAffinity.Pin::cpu).orElse(-1)));
            }
        }
        finally
        {
            moved.ifPresent(CpuAffinity.Moved::close);
            pin.ifPresent(CpuAffinity.Pin::close);
            b.usage.close();
            b.diag.close();
        }
        return new Outcome(results, b.problems, b.parents);
    }

    /** Builds a machine and a parent with {@code sizeBytes} of anon memory populated with order-{@code order} folios. */
    public static PopulatedParent setup(final ForkPlan plan, final String arch, final int order, final boolean contpteBasic)
    {
        return OrderSetups.build(plan, arch, order, contpteBasic, text -> { }, source -> { });
    }

    /** Per-strategy state of one order. */
    private final class Slot
    {
        final StrategyChoice strategy;
        final PopulatedParent setup;
        final String label;
        final double[] runMeans = new double[plan.runs()];
        final long[] first = new long[Events.NAMES.length];
        final long[] delta = new long[Events.NAMES.length];
        final long[] before = new long[Events.NAMES.length];
        final long[] after = new long[Events.NAMES.length];
        /** Every timed fork of the configuration, in ns. */
        final Histogram forkTimes = newHistogram();
        final SteadyState warm = new SteadyState();
        int warmupForks;
        /** Page faults of the measuring thread inside timed forks (first touches of off-heap memory). */
        long forkFaults;
        /** Timed forks during which the measuring thread was preempted at least once. */
        long preemptedForks;
        boolean haveFirst;
        boolean identical = true;
        double teardownSum;
        long restores;
        long recordsDrifted;
        double restoreSum;
        long teardownCount;

        Slot(final StrategyChoice strategy, final PopulatedParent setup, final int order)
        {
            this.strategy = strategy;
            this.setup = setup;
            this.label = arch + " " + FolioOrder.name(order) + " " + strategy.cliName();
        }

        /** Forgets the times and usage the warm-up forks recorded (the events check keeps its first fork). */
        void resetTimes()
        {
            forkTimes.reset();
            forkFaults = 0;
            preemptedForks = 0;
            teardownSum = 0;
            restoreSum = 0;
            teardownCount = 0;
        }
    }

    private List<RawResult> runOrder(final int order, final int pinnedCpu)
    {
        final String orderLabel = arch + " " + FolioOrder.name(order);
        try (OrderSetups setups = new OrderSetups(plan, arch, order, orderLabel + ": ", listener::status, parents::add);
             Floors floors = Floors.of(arch, order, plan.pages(),
                 Boolean.parseBoolean(System.getProperty(HUGE_PAGES_PROPERTY, "true"))))
        {
            final List<Slot> slots = new ArrayList<>();
            for (final StrategyChoice s : plan.strategies())
            {
                slots.add(new Slot(s, setups.forStrategy(s), order));
            }

            if (plan.warmup() > 0)
            {
                listener.status(orderLabel + ": JIT warm-up on a " + Units.formatSize(SmallParentWarmup.PARENT_BYTES) + " parent");
                SmallParentWarmup.run(plan, arch, order, plan.strategies());
            }
            System.gc(); // the garbage of populating and of the previous order goes now, not in a timed fork
            diag.anonHugePages(orderLabel + " populated:");
            // warm-up window: fork i of position p (strategy p, floor k at position S + k); the passes allocate nothing
            final long[][] times = new long[slots.size() + floors.count()][SteadyState.WINDOW];
            williams = WilliamsOrder.strategiesThenFloor(slots.size());
            final int warmupRounds = warmUp(orderLabel, slots, floors, times);
            for (final Slot slot : slots)
            {
                slot.resetTimes();
            }
            diag.line("%s warm-up rounds %d", orderLabel, warmupRounds);

            final double[][] floorRunMeans = new double[floors.count()][plan.runs()];
            final int n = slots.size();
            // fork i of position p in run r: byRun[r][p][i]
            final long[][][] byRun = new long[plan.runs()][n + floors.count()][plan.iterations()];
            if (!plan.reuseParent())
            {
                timedRounds(orderLabel, slots, floors, order, byRun);
            }
            for (int r = 0; r < plan.runs(); r++)
            {
                final long[][] run = byRun[r];
                if (plan.reuseParent())
                {
                    blocks(slots, floors, plan.iterations(), r, r + 1, run);
                }
                for (int k = 0; k < floors.count(); k++)
                {
                    final String name = k == Floors.FLOOR ? "floor" : "arch floor";
                    floorRunMeans[k][r] = mean(run[n + k], plan.iterations());
                    diag.line("%s run %d %s %.1f", orderLabel, r, name, floorRunMeans[k][r]);
                    diag.forkTimes(orderLabel + " run " + r + " " + name, run[n + k], plan.iterations());
                }
                for (int p = 0; p < n; p++)
                {
                    final Slot slot = slots.get(p);
                    slot.runMeans[r] = mean(run[p], plan.iterations());
                    diag.line("%s run %d %s %.1f", orderLabel, r, slot.strategy.cliName(), slot.runMeans[r]);
                    diag.forkTimes(orderLabel + " run " + r + " " + slot.strategy.cliName(), run[p], plan.iterations());
                    if (plan.reuseParent())
                    {
                        listener.runDone(arch, order, slot.strategy, r + 1);
                    }
                }
            }

            if (plan.verify())
            {
                listener.status(orderLabel + ": verifying");
                verify(order, slots);
            }

            final List<RawResult> out = new ArrayList<>();
            for (final Slot slot : slots)
            {
                out.add(new RawResult(arch, slot.strategy.cliName(), order, plan.pages(), slot.runMeans.clone(),
                    slot.teardownCount == 0 ? 0 : slot.teardownSum / slot.teardownCount,
                    slot.teardownCount == 0 ? 0 : slot.restoreSum / slot.teardownCount,
                    (plan.reuseParent() ? slot.delta : slot.first).clone(), !plan.reuseParent() && slot.identical,
                    floorRunMeans[Floors.FLOOR].clone(), ForkTimes.of(slot.forkTimes), slot.warmupForks,
                    warmupRounds < SteadyState.MAX_ROUNDS || plan.warmup() == 0, pinnedCpu,
                    ThreadUsage.available() ? slot.forkFaults : -1, ThreadUsage.available() ? slot.preemptedForks : -1,
                    floors.count() > Floors.ARCH_FLOOR ? floorRunMeans[Floors.ARCH_FLOOR].clone() : null));
            }
            return out;
        }
    }

    /**
     * The warm-up of one order: {@link ForkPlan#warmup()} untimed forks per strategy, then rounds of
     * {@link SteadyState#WINDOW} forks per strategy (and as many floor passes) for at least
     * {@link #MIN_WARMUP_NANOS}, then until every one of them was steady in a round in which the JIT compiled
     * nothing, at most {@link SteadyState#MAX_ROUNDS} rounds after the minimum time. Nothing with {@code --warmup 0}.
     *
     * @return the rounds of windows after the minimum time ({@link SteadyState#MAX_ROUNDS} when it stopped at the cap)
     */
    private int warmUp(final String orderLabel, final List<Slot> slots, final Floors floors,
        final long[][] times)
    {
        if (plan.warmup() == 0)
        {
            return 0;
        }
        listener.status(orderLabel + ": warming up (" + plan.warmup() + " untimed forks per strategy, then until steady)");
        for (final Slot slot : slots)
        {
            slot.setup.checkpoint().restore();
            for (int w = 0; w < plan.warmup(); w++)
            {
                forkOnce(slot, 0);
            }
            slot.warmupForks = plan.warmup();
        }
        final SteadyState[] floorWarm = new SteadyState[floors.count()];
        for (int k = 0; k < floorWarm.length; k++)
        {
            floorWarm[k] = new SteadyState();
        }
        final long start = System.nanoTime();
        int round = 0;
        for (int all = 1; round < SteadyState.MAX_ROUNDS; all++)
        {
            final boolean minimumDone = System.nanoTime() - start >= MIN_WARMUP_NANOS;
            if (minimumDone)
            {
                round++;
            }
            final long jit = JitActivity.compileMillis();
            if (plan.reuseParent())
            {
                blocks(slots, floors, SteadyState.WINDOW, 0, 0, times);
            }
            else
            {
                restoreAll(slots);
                interleave(slots, floors, SteadyState.WINDOW, all, times);
            }
            final boolean jitQuiet = JitActivity.quietSince(jit);
            boolean allSteady = jitQuiet;
            for (int p = 0; p < slots.size(); p++)
            {
                final Slot slot = slots.get(p);
                for (int w = 0; w < SteadyState.WINDOW; w++)
                {
                    slot.warm.add(times[p][w]);
                }
                slot.warmupForks += SteadyState.WINDOW;
                allSteady &= slot.warm.steady();
            }
            for (int k = 0; k < floorWarm.length; k++)
            {
                for (int w = 0; w < SteadyState.WINDOW; w++)
                {
                    floorWarm[k].add(times[slots.size() + k][w]);
                }
                allSteady &= floorWarm[k].steady();
            }
            if (diag.on())
            {
                final StringBuilder sb = new StringBuilder();
                for (final Slot slot : slots)
                {
                    sb.append(' ').append(slot.strategy.cliName()).append(String.format(" %.0f", slot.warm.lastMedian()));
                }
                diag.line("%s warm-up round %d:%s floor %.0f%s%s", orderLabel, all, sb, floorWarm[Floors.FLOOR].lastMedian(),
                    jitQuiet ? "" : " jit", allSteady ? " steady" : "");
            }
            if (allSteady && minimumDone)
            {
                return round;
            }
        }
        return SteadyState.MAX_ROUNDS;
    }

    /**
     * The timed phase of the default mode: the rounds of all runs in the order of the {@link RunSchedule} (shuffled
     * by default). Round k is fork i of run r = {@code rounds[k]} (its i-th round) of every strategy and floor pass i,
     * back to back in the order of row {@code (i + r) mod rows} of {@link #williams} (S strategies, then the floor at
     * position S), so each strategy follows the floor and every other strategy equally often within every run, and
     * a drift of the machine hits every strategy of the round alike. {@code byRun[r][p][i]} gets the time of fork i
     * of position p in run r. Every {@code iterations} rounds (a part, as many rounds as a run has) the parents are
     * restored in full and the listener sees one {@link Listener#configStart} and one {@link Listener#runDone} per
     * strategy. Allocates nothing per fork.
     *
     * <p>Preconditions: the default mode (not {@code --reuse-parent}): every fork restores its parent after the
     * child's exit, so strategies sharing one machine each fork the same fresh parent; {@code byRun} has
     * {@code runs x (S + F) x iterations} entries (F = {@link Floors#count}).
     */
    private void timedRounds(final String orderLabel, final List<Slot> slots, final Floors floors, final int order,
        final long[][][] byRun)
    {
        final RunSchedule schedule = RunSchedule.current();
        final int[] rounds = schedule.rounds(plan.runs(), plan.iterations());
        final int[] next = new int[plan.runs()];
        final int n = slots.size();
        for (int k = 0; k < rounds.length; k++)
        {
            final int part = k / plan.iterations();
            if (k % plan.iterations() == 0)
            {
                listener.configStart(orderLabel + " (" + n + " strategies and the floor, interleaved fork by fork"
                    + (schedule == RunSchedule.SHUFFLED ? ", the runs' rounds shuffled) part " : ") run ") + (part + 1)
                    + "/" + plan.runs(), part + 1);
                restoreAll(slots);
            }
            final int r = rounds[k];
            final int i = next[r]++;
            row(slots, floors, williams[(i + r) % williams.length], i, i + 1, byRun[r]);
            if ((k + 1) % plan.iterations() == 0)
            {
                for (final Slot slot : slots)
                {
                    listener.runDone(arch, order, slot.strategy, part + 1);
                }
            }
        }
    }

    /**
     * One interleaved pass of warm-up forks: for i = 0 .. {@code forks - 1}, fork i of every strategy and floor pass
     * i back to back, in the order of row {@code (i + rotation) mod rows} of {@link #williams}, as in
     * {@link #timedRounds}. {@code times[p][i]} gets the time of fork i of position p. Allocates nothing.
     *
     * <p>Preconditions: as {@link #timedRounds}; every parent was restored before the pass; {@code times} has S + F
     * rows of at least {@code forks} entries.
     */
    private void interleave(final List<Slot> slots, final Floors floors, final int forks,
        final int rotation, final long[][] times)
    {
        for (int i = 0; i < forks; i++)
        {
            row(slots, floors, williams[(i + rotation) % williams.length], i, 0, times);
        }
    }

    /**
     * One round: a fork of every strategy and a floor pass, in the order of {@code row} (strategy indices, the floor
     * at S); {@code times[p][i]} gets position p's time. The floor's position times each of the {@link Floors} in
     * turn: the floor into {@code times[S]}, on arm64 (but at 9pmd) then the arm64 floor into {@code times[S + 1]}.
     *
     * @param iteration the forks' 1-based iteration in their run, 0 for warm-up forks
     */
    private void row(final List<Slot> slots, final Floors floors, final int[] row, final int i,
        final int iteration, final long[][] times)
    {
        final int n = slots.size();
        for (final int which : row)
        {
            if (which < n)
            {
                times[which][i] = forkOnce(slots.get(which), iteration);
                continue;
            }
            for (int k = 0; k < floors.count(); k++)
            {
                times[n + k][i] = floors.timedPass(k);
            }
        }
    }

    /**
     * One pass of {@code --reuse-parent}: blocks of {@code forks} forks, strategy after strategy, each a true tight
     * loop over one process (its parent restored once, before the block, and write-protected by its first fork),
     * then the floor's block; the first block at position {@code rotation mod (S + 1)}. {@code times[p][i]} gets the
     * time of fork i of position p (the floors' blocks one after the other, floor k into {@code times[S + k]}).
     * Precondition: {@code times} has S + F rows of at least {@code forks} entries.
     *
     * @param run the 1-based run for the listener's {@link Listener#configStart}, 0 for a warm-up pass (as timed 0)
     */
    private void blocks(final List<Slot> slots, final Floors floors, final int forks,
        final int rotation, final int run, final long[][] times)
    {
        final int n = slots.size();
        final int timed = Math.min(run, 1);
        for (int k = 0; k <= n; k++)
        {
            final int which = position(k, rotation, n + 1);
            if (which == n)
            {
                for (int f = 0; f < floors.count(); f++)
                {
                    for (int i = 0; i < forks; i++)
                    {
                        times[n + f][i] = floors.timedPass(f);
                    }
                }
                continue;
            }
            final Slot slot = slots.get(which);
            if (run > 0)
            {
                listener.configStart(slot.label + " run " + run + "/" + plan.runs(), run);
            }
            slot.setup.checkpoint().restore();
            for (int i = 0; i < forks; i++)
            {
                times[which][i] = forkOnce(slot, (i + 1) * timed);
            }
        }
    }

    /**
     * The position (strategy index, or S for the floor) that runs k-th when the rotation is {@code rotation}:
     * {@code (k + rotation) mod positions}. Preconditions: {@code 0 <= k < positions}, {@code rotation >= 0}.
     */
    static int position(final int k, final int rotation, final int positions)
    {
        return (k + rotation) % positions;
    }

    /** Restores every strategy's parent in full (untimed), before an interleaved pass. */
    private static void restoreAll(final List<Slot> slots)
    {
        for (final Slot slot : slots)
        {
            slot.setup.checkpoint().restore();
        }
    }

    /** The mean of {@code t[0 .. count)}, in ns. Precondition: count &gt; 0. */
    private static double mean(final long[] t, final int count)
    {
        long sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += t[i];
        }
        return (double)sum / count;
    }

    /**
     * The shortest warm-up by windows, in ns: 0.5 s. Windows of a few fast forks (a PMD-mapped parent forks in tens
     * of microseconds) look steady long before the JIT's background compilations of the fork's once-per-fork paths
     * have landed; timing.md has the run that showed it.
     */
    static final long MIN_WARMUP_NANOS = 500_000_000L;

    /** A histogram of fork times from 1 ns to 10 minutes at 3 significant digits; allocates nothing when recording. */
    static Histogram newHistogram()
    {
        return new Histogram(1, 600_000_000_000L, 3);
    }

    /**
     * One fork of the slot's parent: returns the fork's time in ns; tears the child down and restores the parent.
     * Warm-up forks and timed forks take this same path through the same code, recording into the slot (the
     * warm-up's records are {@link Slot#resetTimes reset} before the runs): a branch that only timed forks took would
     * be compiled by C2 as an uncommon trap during the warm-up and deoptimise at the first timed fork, so the first
     * run would time the recompilation of this method.
     *
     * @param iteration the fork's 1-based iteration in its run, 0 for a warm-up fork
     */
    private long forkOnce(final Slot slot, final int iteration)
    {
        final PopulatedParent s = slot.setup;
        final Events ev = s.machine().events();
        final long[] before = ev.copyInto(slot.before);
        usage.sample();
        final long faults0 = usage.faults();
        final long preempt0 = usage.preemptions();
        final long t0 = System.nanoTime();
        final Mm child = Fork.fork(s.parent(), slot.strategy.strategy());
        final long t1 = System.nanoTime();
        usage.sample();
        final long[] after = ev.copyInto(slot.after);
        final long t2 = System.nanoTime();
        child.exit();
        final long t3 = System.nanoTime();
        child.mmdrop();   // untimed: the mm and its VMAs go back to the machine's slab caches for the next fork
        if (!plan.reuseParent())
        {
            // the child's exit already put the folio records back; every 16th restore (and the first) checks that
            final boolean verify = (slot.restores++ & 15) == 0;
            if (!s.checkpoint().restoreAfterChildExit(verify) && slot.recordsDrifted++ == 0)
            {
                problems.add("folio records of " + slot.label + " differed from the checkpoint after the child's exit"
                    + " (restored in full; the fork/exit cycle is not its own inverse here)");
            }
        }
        final long t4 = System.nanoTime();
        for (int i = 0; i < after.length; i++)
        {
            slot.delta[i] = after[i] - before[i];
        }
        slot.forkTimes.recordValue(t1 - t0);
        slot.forkFaults += usage.faults() - faults0;
        if (usage.preemptions() != preempt0)
        {
            slot.preemptedForks++;
        }
        slot.teardownSum += t3 - t2;
        slot.restoreSum += t4 - t3;
        slot.teardownCount++;
        if (!slot.haveFirst)
        {
            System.arraycopy(slot.delta, 0, slot.first, 0, slot.first.length);
            slot.haveFirst = true;
        }
        else if (slot.identical && !plan.reuseParent() && !Arrays.equals(slot.delta, slot.first))
        {
            slot.identical = false;
            problems.add("per-fork events of " + slot.label + " differ between iterations (fresh parent each time, so they must not): "
                + describeDiff(slot.first, slot.delta));
        }
        listener.fork(slot.delta, t1 - t0, iteration);
        return t1 - t0;
    }

    static String describeDiff(final long[] a, final long[] b)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.length; i++)
        {
            if (a[i] != b[i])
            {
                sb.append(sb.isEmpty() ? "" : ", ").append(Events.NAMES[i]).append(' ').append(a[i]).append(" then ").append(b[i]);
            }
        }
        return sb.toString();
    }

    private void verify(final int order, final List<Slot> slots)
    {
        final Map<StrategyChoice, MachineImage> images = new LinkedHashMap<>();
        for (final Slot slot : slots)
        {
            final PopulatedParent s = slot.setup;
            s.checkpoint().restore();
            final long freeBefore = s.machine().phys().freePageCount();
            final Mm child = Fork.fork(s.parent(), slot.strategy.strategy());
            for (final String v : Verifier.invariants(s.machine()))
            {
                problems.add("invariant violated after a " + slot.label + " fork (child alive): " + v);
            }
            images.put(slot.strategy, MachineImage.ofFork(s.machine(), s.parent(), child, ForkPlan.BASE_VA,
                ForkPlan.BASE_VA + plan.sizeBytes()));
            child.exit();
            for (final String v : Verifier.invariants(s.machine()))
            {
                problems.add("invariant violated after the " + slot.label + " child exited: " + v);
            }
            if (s.machine().phys().freePageCount() != freeBefore)
            {
                problems.add("leak: after the " + slot.label + " child exited, " + s.machine().phys().freePageCount()
                    + " pages are free, " + freeBefore + " were before the fork");
            }
            s.checkpoint().restore();
        }
        final boolean contpte = arch.equals("arm64");
        problems.addAll(Compare.crossCheck(arch + " " + FolioOrder.name(order), images, contpte));
    }
}
