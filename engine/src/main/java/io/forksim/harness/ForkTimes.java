package io.forksim.harness;

import org.HdrHistogram.Histogram;

/**
 * The distribution of one configuration's timed forks, from the HdrHistogram that recorded every one of them (3
 * significant digits): how many, the fastest, the median, the 90th and 99th percentiles and the slowest, in ns. The
 * report prints it next to the means so that a slow tail (a GC, a page fault, a migration) shows as what it is.
 *
 * @param count every timed fork of the configuration (runs x iterations)
 */
public record ForkTimes(long count, long minNs, long p50Ns, long p90Ns, long p99Ns, long maxNs)
{
    /** No forks recorded. */
    public static final ForkTimes NONE = new ForkTimes(0, 0, 0, 0, 0, 0);

    /** The summary of {@code h}; {@link #NONE} when it is empty. */
    public static ForkTimes of(final Histogram h)
    {
        if (h.getTotalCount() == 0)
        {
            return NONE;
        }
        return new ForkTimes(h.getTotalCount(), h.getMinValue(), h.getValueAtPercentile(50), h.getValueAtPercentile(90),
            h.getValueAtPercentile(99), h.getMaxValue());
    }

    /** The slowest fork relative to the median (1.0 = no tail); NaN without forks. */
    public double maxOverMedian()
    {
        return count == 0 ? Double.NaN : (double)maxNs / p50Ns;
    }
}
