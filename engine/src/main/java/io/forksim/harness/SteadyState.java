package io.forksim.harness;

import java.util.Arrays;

/**
 * The warm-up's stopping rule for one configuration: fork times arrive in windows of {@link #WINDOW}; the
 * configuration is steady when the median of its last window lies within {@link #TOLERANCE} of the median of the
 * window before. Medians, not means, so that one slow fork (a GC, a page fault, the other core's tenant) neither
 * ends nor prolongs the warm-up. {@link ForkRun} stops warming up when every strategy of an order was steady in the
 * same round, or after {@link #MAX_ROUNDS} rounds (the report says which).
 *
 * <p>Allocates only at construction.
 */
public final class SteadyState
{
    /** Forks per window. */
    public static final int WINDOW = 5;
    /** Largest relative change of the window median that counts as steady (0.02 = 2%). */
    public static final double TOLERANCE = 0.02;
    /** Cap on the rounds of windows (each strategy gets one window per round). */
    public static final int MAX_ROUNDS = 40;

    private final long[] window = new long[WINDOW];
    private final long[] sorted = new long[WINDOW];
    private int filled;
    private double previousMedian = Double.NaN;
    private double lastMedian = Double.NaN;
    private boolean steady;

    /**
     * Adds one fork time. When it completes a window, the window's median is compared with the previous one's and
     * {@link #steady} is updated; returns true when it completed a window.
     *
     * @param ns a fork time, positive
     */
    public boolean add(final long ns)
    {
        window[filled++] = ns;
        if (filled < WINDOW)
        {
            return false;
        }
        filled = 0;
        System.arraycopy(window, 0, sorted, 0, WINDOW);
        Arrays.sort(sorted);
        final double m = sorted[WINDOW / 2];
        previousMedian = lastMedian;
        lastMedian = m;
        steady = !Double.isNaN(previousMedian) && Math.abs(m - previousMedian) <= TOLERANCE * previousMedian;
        return true;
    }

    /** Whether the last complete window's median was within {@link #TOLERANCE} of the one before. */
    public boolean steady()
    {
        return steady;
    }

    /** The median of the last complete window; NaN before the first. */
    public double lastMedian()
    {
        return lastMedian;
    }
}
