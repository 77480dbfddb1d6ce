package io.forksim.host;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Times the host kernel's {@code fork()} of this JVM with and without a region, the method of the linux-mm thread "mm: Batch-copy PTE ranges during fork()": {@code runs}
 * runs of {@code iterations} iterations; each iteration forks once with the region and once without it (the region
 * MADV_DONTFORK, so dup_mmap skips its VMA), in an order that alternates by iteration. Only {@code fork()} is timed,
 * with {@link System#nanoTime()} in the parent; the child does nothing but {@code _exit(0)} and is reaped (untimed)
 * before the next fork. A child the {@link Children} had to kill drops its sample.
 *
 * <p>Per run: mean with, mean without. The shape's cost is (with − without): the JVM's own mappings are copied by
 * both forks and cancel out.
 */
public final class ForkTimer
{
    /** Untimed forks of each kind before the first run (the page-table pages and the child's memory warm). */
    public static final int WARMUP = 5;
    /**
     * Untimed forks without the region before those: enough calls of {@link LibC#forkChild} for the JIT to compile it
     * (the worker JVM runs C1 without profiling, {@code -XX:TieredStopAtLevel=1}), so that the child runs compiled code
     * that calls nothing in the JVM's runtime between fork and _exit. An interpreted child can call into the runtime
     * (a compile request, a safepoint poll) and wait there forever on a lock held by a thread that exists only in
     * the parent.
     */
    public static final int JIT_WARMUP = 300;

    /**
     * The per-run means in ns and the samples dropped.
     *
     * @param withNs per run, the mean fork time with the region
     * @param withoutNs per run, the mean fork time without it (the baseline)
     * @param dropped samples dropped because their child had to be killed
     * @param withCpuNs per run, the mean CPU time of this thread across fork() with the region (user and system,
     *     {@code CLOCK_THREAD_CPUTIME_ID}): what the kernel spent on the fork, without the time the thread waited for a
     *     CPU, which on a busy machine the wall time includes
     * @param withoutCpuNs the same without the region
     */
    public record Timing(double[] withNs, double[] withoutNs, long dropped, double[] withCpuNs, double[] withoutCpuNs)
    {
        /** Per run, with − without of the CPU time in ns. */
        public double[] diffCpuNs()
        {
            final double[] d = new double[withCpuNs.length];
            for (int i = 0; i < d.length; i++)
            {
                d[i] = withCpuNs[i] - withoutCpuNs[i];
            }
            return d;
        }

        /** Per run, with − without in ns. */
        public double[] diffNs()
        {
            final double[] d = new double[withNs.length];
            for (int i = 0; i < d.length; i++)
            {
                d[i] = withNs[i] - withoutNs[i];
            }
            return d;
        }
    }

    private ForkTimer()
    {
    }

    /**
     * Times forks of this process with and without {@code region}.
     *
     * <p>Preconditions: {@code runs >= 1}, {@code iterations >= 1}; the region is built (its shape verified).
     *
     * @throws HostException when fork, madvise or waitpid fails, or every sample of a run was dropped
     */
    public static Timing time(final HostRegion region, final int runs, final int iterations, final Children children,
        final LibC.ChildAction action)
    {
        return time(region, runs, iterations, children, action, JIT_WARMUP);
    }

    /** {@link #time(HostRegion, int, int, Children, LibC.ChildAction)} with {@code jitWarmup} baseline warm-up forks. */
    public static Timing time(final HostRegion region, final int runs, final int iterations, final Children children,
        final LibC.ChildAction action, final int jitWarmup)
    {
        if (runs < 1 || iterations < 1)
        {
            throw new IllegalArgumentException("runs and iterations must be >= 1: " + runs + " x " + iterations);
        }
        final long droppedBefore = children.killed();
        final long[] cpu = new long[1];
        for (int w = 0; w < jitWarmup; w++)
        {
            forkOnce(region, false, children, action, cpu);
        }
        for (int w = 0; w < WARMUP; w++)
        {
            forkOnce(region, true, children, action, cpu);
            forkOnce(region, false, children, action, cpu);
        }
        final long droppedWarmup = children.killed();
        final double[] with = new double[runs];
        final double[] without = new double[runs];
        final double[] withCpu = new double[runs];
        final double[] withoutCpu = new double[runs];
        try
        {
            for (int r = 0; r < runs; r++)
            {
                long sumWith = 0;
                long sumWithout = 0;
                long cpuWith = 0;
                long cpuWithout = 0;
                int nWith = 0;
                int nWithout = 0;
                for (int i = 0; i < iterations; i++)
                {
                    final boolean withFirst = ((i + r) & 1) == 0;
                    for (int k = 0; k < 2; k++)
                    {
                        final boolean withRegion = withFirst == (k == 0);
                        final long t = forkOnce(region, withRegion, children, action, cpu);
                        if (t < 0)
                        {
                            continue;
                        }
                        if (withRegion)
                        {
                            sumWith += t;
                            cpuWith += cpu[0];
                            nWith++;
                        }
                        else
                        {
                            sumWithout += t;
                            cpuWithout += cpu[0];
                            nWithout++;
                        }
                    }
                }
                if (nWith == 0 || nWithout == 0)
                {
                    throw new HostException("every child of run " + (r + 1) + " had to be killed (" + (children.killed() - droppedBefore)
                        + " killed so far): fork of this JVM does not reach _exit here");
                }
                with[r] = (double)sumWith / nWith;
                without[r] = (double)sumWithout / nWithout;
                withCpu[r] = (double)cpuWith / nWith;
                withoutCpu[r] = (double)cpuWithout / nWithout;
            }
        }
        finally
        {
            LibC.madvise(region.start(), region.len(), LibC.MADV_DOFORK);
        }
        return new Timing(with, without, children.killed() - droppedWarmup, withCpu, withoutCpu);
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * One timed fork; the child is reaped before returning. Returns the fork's wall ns (and its CPU ns in
     * {@code cpuOut[0]}), or -1 if the child was killed.
     */
    private static long forkOnce(final HostRegion region, final boolean withRegion, final Children children,
        final LibC.ChildAction action, final long[] cpuOut)
    {
        LibC.madvise(region.start(), region.len(), withRegion ? LibC.MADV_DOFORK : LibC.MADV_DONTFORK);
        final long c0 = THREADS.getCurrentThreadCpuTime();
        final long t0 = System.nanoTime();
        final int pid = children.fork(action);
        final long t1 = System.nanoTime();
        final long c1 = THREADS.getCurrentThreadCpuTime();
        cpuOut[0] = c1 - c0;
        return children.reap(pid) ? t1 - t0 : -1;
    }
}
