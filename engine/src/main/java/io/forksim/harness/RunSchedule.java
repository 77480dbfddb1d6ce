package io.forksim.harness;

import java.util.SplittableRandom;

/**
 * When the runs of the default mode run: the order of the timed phase's rounds (one round = one fork of every
 * strategy and one floor pass, in the order of a {@link WilliamsOrder} row), each round belonging to one run.
 *
 * <ul>
 *   <li>{@link #SHUFFLED} (the default): the {@code runs x iterations} rounds go to the runs in a random order
 *       ({@link #shuffled}), so every run mean samples the whole timed phase. The shared machine slows every fork
 *       and floor pass by 30-60% for episodes of about 0.1-0.5 s (timing.md); in a run that lasts 1-2 s such an
 *       episode moves that run's mean by several percent, while with shuffled rounds it spreads over all runs at
 *       random. The assignment is random, not round-robin, so that the run means stay independent samples of the
 *       phase and their stdev still measures the noise of the phase's mean (a round-robin order would give every run
 *       the same share of an episode and make the run means agree more than the phase can be trusted).</li>
 *   <li>{@link #SEQUENTIAL}: run r's rounds back to back, run r before run r + 1, as the thread's benchmark ran
 *       them ({@code -Dforksim.runOrder=sequential}, for comparison).</li>
 * </ul>
 * Within a run, fork i still takes row {@code (i + r) mod rows} of the design, so every run has the same balance of
 * predecessors in both orders. {@code --reuse-parent} runs blocks of forks of one parent and is always sequential.
 */
public enum RunSchedule
{
    SHUFFLED,
    SEQUENTIAL;

    /** The JVM system property that chooses the order ({@code shuffled} or {@code sequential}); worker JVMs inherit it. */
    public static final String PROPERTY = "forksim.runOrder";

    /** The seed of {@link #shuffled}: fixed, so that every invocation runs the same schedule. */
    static final long SEED = 0x5eed_f0f0_cafeL;

    /**
     * The order chosen by {@link #PROPERTY}, {@link #SHUFFLED} when it is unset.
     *
     * @throws IllegalArgumentException naming the value when it is neither {@code shuffled} nor {@code sequential}
     */
    public static RunSchedule current()
    {
        return parse(System.getProperty(PROPERTY, "shuffled"));
    }

    /**
     * The order named {@code value}: {@code shuffled} or {@code sequential}.
     *
     * @throws IllegalArgumentException naming the value otherwise
     */
    static RunSchedule parse(final String value)
    {
        return switch (value)
        {
            case "shuffled" -> SHUFFLED;
            case "sequential" -> SEQUENTIAL;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + " must be shuffled or sequential, not '" + value + "'");
        };
    }

    /**
     * The run of every round of the timed phase, in the order the rounds run: {@code runs * iterations} entries in
     * which every run 0 .. runs - 1 appears {@code iterations} times. {@link #SEQUENTIAL}: 0 ... 0 1 ... 1 ...;
     * {@link #SHUFFLED}: that sequence shuffled (Fisher-Yates, {@link #SEED}).
     *
     * @throws IllegalArgumentException naming the value when runs or iterations is below 1 or their product exceeds
     *                                  {@code Integer.MAX_VALUE}
     */
    public int[] rounds(final int runs, final int iterations)
    {
        if (runs < 1 || iterations < 1 || (long)runs * iterations > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("a run schedule needs runs >= 1 and iterations >= 1, not " + runs + " and "
                + iterations);
        }
        final int[] out = new int[runs * iterations];
        for (int k = 0; k < out.length; k++)
        {
            out[k] = k / iterations;
        }
        if (this == SHUFFLED)
        {
            shuffle(out, new SplittableRandom(SEED));
        }
        return out;
    }

    /** Fisher-Yates shuffle of {@code a} in place. */
    private static void shuffle(final int[] a, final SplittableRandom rnd)
    {
        for (int k = a.length - 1; k > 0; k--)
        {
            final int j = rnd.nextInt(k + 1);
            final int t = a[k];
            a[k] = a[j];
            a[j] = t;
        }
    }
}
