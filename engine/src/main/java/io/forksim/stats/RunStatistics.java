package io.forksim.stats;

import org.hipparchus.distribution.continuous.TDistribution;
import org.hipparchus.stat.descriptive.DescriptiveStatistics;

/**
 * The statistics of forksim's reports, in the engine so that the fork harness and the JMH report (the bench module's
 * {@code report} package) compute them with the same code: mean, sample standard deviation and relative standard
 * deviation of run means, and confidence intervals for the ratio of two configurations' times. The arithmetic is Hipparchus's
 * ({@link DescriptiveStatistics}, {@link TDistribution}); this class only chooses what to compute.
 *
 * <h2>The paired ratio ({@link #pairedRatio}): the ratio against legacy</h2>
 * Run {@code r} of a strategy and run {@code r} of legacy run together (interleaved fork by fork in the default
 * mode, back to back blocks with {@code --reuse-parent}), so whatever slowed the machine during run {@code r} (another
 * tenant, the host, a migration between cores) slowed both. The comparison is
 * therefore made run by run: with {@code d_r = ln(a_r / b_r)} for the {@code n} runs,
 * <pre>
 *   ratio = exp(mean(d))                                  the geometric mean of the per-run ratios
 *   95% interval = exp(mean(d) -+ t(0.975, n - 1) * stdev(d) / sqrt(n))
 * </pre>
 * a Student t interval on the mean of the per-run log ratios, transformed back. Why these choices:
 * <ul>
 *   <li><b>Paired</b>: the per-run ratio cancels what the two runs shared, so the interval measures the noise
 *       of the ratio itself; an unpaired interval would add the run-to-run drift of both sides.</li>
 *   <li><b>Logarithms</b>: a ratio is multiplicative. On the log scale the interval of {@code b/a} is the
 *       reciprocal of that of {@code a/b}, the back-transformed bounds are always positive, and ratios of run
 *       times are closer to log-normal than to normal.</li>
 *   <li><b>Student t with n - 1 degrees of freedom</b>: reports have 3 to 8 runs, far too few for the normal
 *       quantile (1.96 against t(0.975, 3) = 3.18).</li>
 * </ul>
 * The point estimate is the geometric mean of the per-run ratios, the centre of that interval on the log scale.
 * It differs from the ratio of the two means (the thread's "mean" column) by terms of the order of the runs'
 * variance, so a report shows both where both matter.
 *
 * <h2>The unpaired ratio ({@link #unpairedRatio})</h2>
 * For samples that were not taken in pairs (JMH forks of different configurations run one after the other):
 * the delta method on {@code ln(mean(a) / mean(b))}, {@code var = s_a^2 / (n_a m_a^2) + s_b^2 / (n_b m_b^2)}, with
 * Welch–Satterthwaite degrees of freedom, transformed back.
 */
public final class RunStatistics
{
    /** The confidence of the intervals the reports print against legacy. */
    public static final double CONFIDENCE_95 = 0.95;

    /** What a ratio of times (lower is faster) says when its interval is taken into account. */
    public enum Verdict
    {
        /** The whole interval lies below 1: the first configuration is faster. */
        FASTER("faster"),
        /** The whole interval lies above 1: the first configuration is slower. */
        SLOWER("slower"),
        /** The interval contains 1 (a change of 0%), or there is no interval (one run). */
        NO_SIGNIFICANT_CHANGE("no significant change");

        private final String label;

        Verdict(final String label)
        {
            this.label = label;
        }

        /** The words a report prints: "faster", "slower", "no significant change". */
        public String label()
        {
            return label;
        }
    }

    /**
     * A ratio of two times with its confidence interval.
     *
     * @param value the point estimate
     * @param low   the interval's lower bound; NaN when there is no interval
     * @param high  the interval's upper bound; NaN when there is no interval
     */
    public record Ratio(double value, double low, double high)
    {
        /** The interval lies entirely above {@code limit} (false without an interval). */
        public boolean surelyAbove(final double limit)
        {
            return low > limit;
        }

        /** The interval lies entirely below {@code limit} (false without an interval). */
        public boolean surelyBelow(final double limit)
        {
            return high < limit;
        }

        /** Faster when the interval lies below 1, slower when above, else no significant change. */
        public Verdict verdict()
        {
            return surelyBelow(1) ? Verdict.FASTER : surelyAbove(1) ? Verdict.SLOWER : Verdict.NO_SIGNIFICANT_CHANGE;
        }
    }

    private RunStatistics()
    {
    }

    /** The arithmetic mean; NaN for no values. */
    public static double mean(final double[] v)
    {
        return new DescriptiveStatistics(v).getMean();
    }

    /** The sample standard deviation (n - 1 in the denominator); 0 for fewer than two values. */
    public static double stdev(final double[] v)
    {
        return v.length < 2 ? 0 : new DescriptiveStatistics(v).getStandardDeviation();
    }

    /** {@link #stdev} relative to {@link #mean} (0.02 = 2%); NaN for no values. */
    public static double relativeStdev(final double[] v)
    {
        final DescriptiveStatistics s = new DescriptiveStatistics(v);
        return (v.length < 2 ? 0 : s.getStandardDeviation()) / s.getMean();
    }

    /** The smallest value; NaN for no values. */
    public static double min(final double[] v)
    {
        return new DescriptiveStatistics(v).getMin();
    }

    /**
     * The two-sided Student t quantile: {@code t} with {@code P(|T| <= t) = confidence} for {@code df} degrees of
     * freedom, e.g. 3.182 for 0.95 and 3. Infinite when {@code df < 1} (no interval can be given).
     *
     * @param confidence in (0, 1)
     */
    public static double tQuantile(final double confidence, final double df)
    {
        requireConfidence(confidence);
        if (!(df >= 1))
        {
            return Double.POSITIVE_INFINITY;
        }
        return new TDistribution(df).inverseCumulativeProbability(0.5 + confidence / 2);
    }

    /**
     * The half-width of the Student t confidence interval of a mean: {@code t(confidence, n - 1) * stdev / sqrt(n)},
     * e.g. 3.182 * stdev / 2 for 0.95 and four values.
     *
     * @param stdev      the sample standard deviation of the values, finite and not negative
     * @param n          the number of values, at least 2
     * @param confidence in (0, 1)
     * @throws IllegalArgumentException when {@code n < 2} or {@code stdev} is negative or not finite (the message
     *                                  names the value)
     */
    public static double meanHalfWidth(final double stdev, final int n, final double confidence)
    {
        if (n < 2)
        {
            throw new IllegalArgumentException("a confidence interval of a mean needs at least two values, not " + n);
        }
        if (!(stdev >= 0 && Double.isFinite(stdev)))
        {
            throw new IllegalArgumentException("a standard deviation must be finite and not negative: " + stdev);
        }
        return tQuantile(confidence, n - 1) * stdev / Math.sqrt(n);
    }

    /**
     * The paired ratio of {@code a} to {@code b} (see the class comment): a t interval on the per-run log ratios,
     * transformed back. With one run the interval is NaN and the verdict "no significant change".
     *
     * @param a          run means of the configuration compared, run {@code r} at index {@code r}
     * @param b          run means of the reference (legacy), paired with {@code a} by index
     * @param confidence e.g. {@link #CONFIDENCE_95}, in (0, 1)
     * @throws IllegalArgumentException when the lengths differ, there are no runs, or a value is not finite and
     *                                  positive (the message names it)
     */
    public static Ratio pairedRatio(final double[] a, final double[] b, final double confidence)
    {
        requireConfidence(confidence);
        if (a.length != b.length || a.length == 0)
        {
            throw new IllegalArgumentException("a paired ratio needs the same number of runs on both sides, at least one: "
                + a.length + " and " + b.length);
        }
        final DescriptiveStatistics d = new DescriptiveStatistics(a.length);
        for (int r = 0; r < a.length; r++)
        {
            d.addValue(Math.log(requirePositive(a[r], "a", r) / requirePositive(b[r], "b", r)));
        }
        final double m = d.getMean();
        if (a.length == 1)
        {
            return new Ratio(Math.exp(m), Double.NaN, Double.NaN);
        }
        final double half = tQuantile(confidence, a.length - 1) * d.getStandardDeviation() / Math.sqrt(a.length);
        return new Ratio(Math.exp(m), Math.exp(m - half), Math.exp(m + half));
    }

    /**
     * The unpaired ratio {@code mean(a) / mean(b)} (see the class comment). Without variance on either side the
     * interval is the point itself.
     *
     * @param a          samples of the configuration compared, at least one, positive
     * @param b          samples of the reference, at least one, positive
     * @param confidence in (0, 1)
     * @throws IllegalArgumentException when a side has no samples
     */
    public static Ratio unpairedRatio(final double[] a, final double[] b, final double confidence)
    {
        requireConfidence(confidence);
        if (a.length == 0 || b.length == 0)
        {
            throw new IllegalArgumentException("a ratio needs samples on both sides: " + a.length + " and " + b.length);
        }
        final DescriptiveStatistics sa = new DescriptiveStatistics(a);
        final DescriptiveStatistics sb = new DescriptiveStatistics(b);
        final double r = sa.getMean() / sb.getMean();
        // relative variance of each mean: s^2 / (n m^2)
        final double va = a.length > 1 ? sa.getVariance() / (a.length * sa.getMean() * sa.getMean()) : 0;
        final double vb = b.length > 1 ? sb.getVariance() / (b.length * sb.getMean() * sb.getMean()) : 0;
        final double v = va + vb;
        if (v == 0)
        {
            return new Ratio(r, r, r);
        }
        final double df = v * v / ((a.length > 1 ? va * va / (a.length - 1) : 0) + (b.length > 1 ? vb * vb / (b.length - 1) : 0));
        final double half = tQuantile(confidence, df) * Math.sqrt(v);
        return new Ratio(r, r * Math.exp(-half), r * Math.exp(half));
    }

    private static void requireConfidence(final double confidence)
    {
        if (!(confidence > 0 && confidence < 1))
        {
            throw new IllegalArgumentException("confidence must be in (0, 1), not " + confidence);
        }
    }

    private static double requirePositive(final double v, final String side, final int run)
    {
        if (!(v > 0 && Double.isFinite(v)))
        {
            throw new IllegalArgumentException("run " + run + " of " + side + " is not a positive time: " + v);
        }
        return v;
    }
}
