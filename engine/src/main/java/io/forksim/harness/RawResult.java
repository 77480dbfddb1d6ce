package io.forksim.harness;

/**
 * The measurements of one configuration (arch x order x strategy) as a worker reports them: per-run mean fork
 * times, the mean tear-down time and the per-fork events ({@code Events.NAMES} order).
 *
 * @param restoreNs       mean time of putting the parent back after a timed fork (untimed in the results; 0 with
 *                        --reuse-parent)
 * @param eventsIdentical true when every timed fork of the configuration had exactly these events; false in
 *                        reuse-parent mode, where {@code events} are the last fork's
 */
public record RawResult(String arch, String strategy, int order, long pages, double[] runMeansNs, double teardownNs,
    double restoreNs, long[] events, boolean eventsIdentical)
{
}
