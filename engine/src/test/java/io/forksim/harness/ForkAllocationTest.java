package io.forksim.harness;

import io.forksim.arch.ArchVariant;
import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.mm.FolioMapping;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.stats.Events;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a timed fork allocates on the Java heap, measured with the thread's allocation counter after warm-up (not a
 * timing test). The harness's own work around a fork (reading the events, the thread's faults and preemptions before
 * and after, recording the time) allocates nothing, and neither does the engine's fork, the child's exit and mmdrop,
 * or the parent's restore.
 */
class ForkAllocationTest
{
    private static final com.sun.management.ThreadMXBean MX =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private static long allocated()
    {
        return MX.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    @Test
    void theHarnessAroundATimedForkAllocatesNothing()
    {
        final Events ev = new Events();
        final long[] before = new long[Events.NAMES.length];
        final long[] after = new long[Events.NAMES.length];
        final Histogram h = ForkRun.newHistogram();
        try (ThreadUsage usage = new ThreadUsage())
        {
            measureHarness(ev, before, after, h, usage);
        }
    }

    private static void measureHarness(final Events ev, final long[] before, final long[] after, final Histogram h,
        final ThreadUsage usage)
    {
        for (int i = 0; i < 20_000; i++)
        {
            harnessWork(ev, before, after, h, usage);
        }
        // the smallest of a few measurements: the counter's own first calls and a JIT compilation finishing on this
        // thread may allocate once; the work itself must allocate nothing in at least one of them
        long least = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            final long a0 = allocated();
            for (int i = 0; i < 10_000; i++)
            {
                harnessWork(ev, before, after, h, usage);
            }
            least = Math.min(least, allocated() - a0);
        }
        assertThat(least).isZero();
    }

    private static void harnessWork(final Events ev, final long[] before, final long[] after, final Histogram h,
        final ThreadUsage usage)
    {
        ev.copyInto(before);
        usage.sample();
        final long f0 = usage.faults();
        final long t0 = System.nanoTime();
        ev.ptepGet++;
        final long t1 = System.nanoTime();
        usage.sample();
        ev.pteLoad += usage.faults() - f0;
        ev.copyInto(after);
        h.recordValue(Math.max(1, t1 - t0));
    }

    /** Bytes the calling thread allocated in the three steps of one measurement cycle, each the least of a few tries. */
    private record CycleBytes(long fork, long exit, long restore)
    {
    }

    private static CycleBytes cycleBytes(final ArchVariant arch, final StrategyChoice s, final int order,
        final FolioMapping mapping)
    {
        try (PopulatedParent p = PopulatedParent.build(Machine.Config.of(arch, 64L << 20), 2L << 20, order, mapping))
        {
            for (int w = 0; w < 20; w++)
            {
                cycle(p, s, new long[3]);
            }
            // the least of a few cycles: the counter's own first calls and a JIT compilation finishing on this thread
            // may allocate once; the cycle itself must allocate nothing in at least one of them
            final long[] least = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
            final long[] bytes = new long[3];
            for (int i = 0; i < 5; i++)
            {
                cycle(p, s, bytes);
                for (int k = 0; k < 3; k++)
                {
                    least[k] = Math.min(least[k], bytes[k]);
                }
            }
            return new CycleBytes(least[0], least[1], least[2]);
        }
    }

    /** The measurement loop's cycle: fork, the child's exit and mmdrop, the parent's restore; bytes of each in {@code out}. */
    private static void cycle(final PopulatedParent p, final StrategyChoice s, final long[] out)
    {
        final long a0 = allocated();
        final Mm child = Fork.fork(p.parent(), s.strategy());
        final long a1 = allocated();
        child.exit();
        child.mmdrop();
        final long a2 = allocated();
        p.checkpoint().restoreAfterChildExit(false);
        final long a3 = allocated();
        out[0] = a1 - a0;
        out[1] = a2 - a1;
        out[2] = a3 - a2;
    }

    /**
     * After warm-up, the cycle the measurement loop runs (fork, the child's exit and mmdrop, restore) allocates 0 bytes
     * on the Java heap in each of its steps, for every arch, strategy and folio shape (orders 0, 4 and 9 PTE-mapped,
     * order 9 PMD-mapped): the child's mm, VMA and anon_vma come from the machine's slab caches that the previous
     * child's mmdrop filled, and the per-VMA copy and zap state is reused.
     */
    @Test
    void aForkExitAndRestoreCycleAllocatesNothingForEveryArchStrategyAndMapping()
    {
        assumeTrue(MX.isThreadAllocatedMemorySupported() && MX.isThreadAllocatedMemoryEnabled(),
            "this JVM does not count the bytes a thread allocates (ThreadMXBean.isThreadAllocatedMemorySupported)");
        final List<String> allocating = new ArrayList<>();
        for (final ArchVariant arch : ArchVariant.values())
        {
            for (final StrategyChoice s : StrategyChoice.values())
            {
                for (final String shape : new String[] {"0", "4", "9", "9pmd"})
                {
                    final boolean pmd = shape.equals("9pmd");
                    final CycleBytes b = cycleBytes(arch, s, pmd ? 9 : Integer.parseInt(shape),
                        pmd ? FolioMapping.PMD : FolioMapping.PTE);
                    if (b.fork() != 0 || b.exit() != 0 || b.restore() != 0)
                    {
                        allocating.add(arch.label() + " " + s + " order " + shape + ": " + b);
                    }
                }
            }
        }
        assertThat(allocating).as("configurations whose cycle allocates").isEmpty();
    }
}
