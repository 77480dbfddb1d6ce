package io.forksim.harness;

import org.hipparchus.stat.inference.MannWhitneyUTest;

import java.util.Arrays;

/**
 * The warm-up's stopping rule for one configuration: fork times arrive in windows of {@link #WINDOW}; the
 * configuration is steady when its last window shows no drift against the window before: their medians lie within
 * {@link #TOLERANCE} of each other, or the two windows do not differ significantly (two-sided Mann–Whitney U test,
 * Hipparchus's {@link MannWhitneyUTest}, p &ge; {@link #ALPHA}). Medians and ranks, not means, so that one slow fork
 * (a GC, a page fault, the other core's tenant) neither ends nor prolongs the warm-up. {@link ForkRun} stops warming
 * up when every strategy of an order (and the floor loop) was steady in the same round, or after
 * {@link #MAX_ROUNDS} rounds (the report says which).
 *
 * <p>Why the test: the median of 5 forks of a memory-bound 1 GiB fork moves by 2-4% from window to window without
 * any drift (per-fork jitter of a few percent on this 2-core VM), so a 2% rule alone, which four configurations must
 * pass in the same round, stopped at the cap for most order-0 configurations; a real drift (the JIT's next tier, a
 * cache or TLB state settling) moves every fork of a window and shows in the ranks.
 *
 * <p>Allocates at construction and when a window completes (the test's arrays; warm-up only, never in a timed fork).
 */
public final class SteadyState
{
    /** Forks per window. */
    public static final int WINDOW = 5;
    /** Largest relative change of the window median that counts as steady (0.02 = 2%). */
    public static final double TOLERANCE = 0.02;
    /** The test's level: windows whose Mann–Whitney p-value is at least this do not differ significantly. */
    public static final double ALPHA = 0.05;
    /** Cap on the rounds of windows (each strategy gets one window per round). */
    public static final int MAX_ROUNDS = 40;

    private final long[] window = new long[WINDOW];
    private final long[] sorted = new long[WINDOW];
    private final double[] last = new double[WINDOW];
    private final double[] previous = new double[WINDOW];
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
        System.arraycopy(last, 0, previous, 0, WINDOW);
        for (int i = 0; i < WINDOW; i++)
        {
            last[i] = window[i];
        }
        steady = !Double.isNaN(previousMedian) && (Math.abs(m - previousMedian) <= TOLERANCE * previousMedian
            || new MannWhitneyUTest().mannWhitneyUTest(previous, last) >= ALPHA);
        return true;
    }

    /** Whether the last complete window showed no drift against the one before (see the class comment). */
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
