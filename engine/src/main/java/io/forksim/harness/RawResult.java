package io.forksim.harness;

/**
 * The measurements of one configuration (arch x order x strategy) as a worker reports them: per-run mean fork
 * times, the mean tear-down time and the per-fork events ({@code Events.NAMES} order).
 *
 * @param restoreNs         mean time of putting the parent back after a timed fork (untimed in the results; 0 with
 *                          --reuse-parent)
 * @param eventsIdentical   true when every timed fork of the configuration had exactly these events; false in
 *                          reuse-parent mode, where {@code events} are the last fork's
 * @param floorRunMeansNs   per-run mean time of one pass of the {@link FloorLoop} over as many pages (per-PTE for
 *                          order 0, batched otherwise), run {@code r} in the same round as run {@code r} of the
 *                          strategies; the same array for every strategy of an (arch, order)
 * @param forkTimes         the distribution of every timed fork
 * @param warmupForks       untimed warm-up forks of the full-size parent before the runs
 * @param warmupSteady      whether the warm-up ended because every strategy was steady (false: it hit the cap)
 * @param pinnedCpu         the CPU the measuring thread was pinned to, -1 when it was not pinned
 * @param forkPageFaults    page faults of the measuring thread inside all timed forks together (first touches of
 *                          off-heap memory); -1 when unknown (no getrusage)
 * @param preemptedForks    timed forks during which the measuring thread was preempted (an involuntary context
 *                          switch: other work took the CPU); -1 when unknown
 * @param archFloorRunMeansNs per-run mean time of one pass of the {@link Arm64FloorLoop} over as many pages, in the
 *                          same rounds as {@code floorRunMeansNs}; null where there is none (every arch and order but
 *                          arm64 order 0)
 */
public record RawResult(String arch, String strategy, int order, long pages, double[] runMeansNs, double teardownNs,
    double restoreNs, long[] events, boolean eventsIdentical, double[] floorRunMeansNs, ForkTimes forkTimes,
    int warmupForks, boolean warmupSteady, int pinnedCpu, long forkPageFaults, long preemptedForks,
    double[] archFloorRunMeansNs)
{
    /** A result without an arch floor. */
    public RawResult(final String arch, final String strategy, final int order, final long pages,
        final double[] runMeansNs, final double teardownNs, final double restoreNs, final long[] events,
        final boolean eventsIdentical, final double[] floorRunMeansNs, final ForkTimes forkTimes,
        final int warmupForks, final boolean warmupSteady, final int pinnedCpu, final long forkPageFaults,
        final long preemptedForks)
    {
        this(arch, strategy, order, pages, runMeansNs, teardownNs, restoreNs, events, eventsIdentical, floorRunMeansNs,
            forkTimes, warmupForks, warmupSteady, pinnedCpu, forkPageFaults, preemptedForks, null);
    }
}
