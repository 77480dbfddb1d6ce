package io.forksim.bench.report;

import org.apache.commons.math3.distribution.TDistribution;

/**
 * The statistics the report and the gate use: mean, sample standard deviation, and a confidence interval
 * for the ratio of two means.
 *
 * <p>The ratio interval uses the delta method on {@code log(a/b)}: {@code var = sa²/(na·ma²) + sb²/(nb·mb²)}
 * with Welch–Satterthwaite degrees of freedom, so {@code [r·e^(-t·sd), r·e^(+t·sd)]}. Samples are the
 * per-fork means when both sides have at least {@link #MIN_FORKS} forks (a JMH fork is the unit that
 * varies: JIT decisions, memory layout), and the individual iterations otherwise, which understates the
 * noise; the report says which it used.
 */
public final class Stats
{
    public static final int MIN_FORKS = 3;

    private Stats()
    {
    }

    public static double mean(final double[] v)
    {
        double s = 0;
        for (final double x : v)
        {
            s += x;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    /** The smallest value; NaN for none. */
    public static double min(final double[] v)
    {
        double m = Double.NaN;
        for (final double x : v)
        {
            m = Double.isNaN(m) || x < m ? x : m;
        }
        return m;
    }

    /** Sample standard deviation (n - 1); 0 for fewer than two values. */
    public static double stdev(final double[] v)
    {
        if (v.length < 2)
        {
            return 0;
        }
        final double m = mean(v);
        double s = 0;
        for (final double x : v)
        {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    /** Two-sided Student t quantile for {@code confidence} (e.g. 0.99) and {@code df} degrees of freedom. */
    public static double tQuantile(final double confidence, final double df)
    {
        if (!(df >= 1))
        {
            return Double.POSITIVE_INFINITY;
        }
        return new TDistribution(null, df).inverseCumulativeProbability(0.5 + confidence / 2);
    }

    /** A ratio {@code a/b} with its confidence interval. */
    public record Ratio(double value, double low, double high, boolean perFork)
    {
        /** The interval lies entirely above {@code limit}. */
        public boolean surelyAbove(final double limit)
        {
            return low > limit;
        }

        /** The interval lies entirely below {@code limit}. */
        public boolean surelyBelow(final double limit)
        {
            return high < limit;
        }
    }

    /** The ratio of the means of {@code a} and {@code b} with a {@code confidence} interval (see the class comment). */
    public static Ratio ratio(final JmhResult.Metric a, final JmhResult.Metric b, final double confidence)
    {
        final boolean perFork = a.rawData().size() >= MIN_FORKS && b.rawData().size() >= MIN_FORKS;
        final double[] sa = perFork ? a.forkMeans() : a.samples();
        final double[] sb = perFork ? b.forkMeans() : b.samples();
        if (sa.length == 0 || sb.length == 0)
        {
            // No raw data: the scores with JMH's own error bars, treated as independent.
            final double r = a.score() / b.score();
            final double ea = Double.isNaN(a.error()) ? 0 : a.error() / a.score();
            final double eb = Double.isNaN(b.error()) ? 0 : b.error() / b.score();
            final double rel = Math.sqrt(ea * ea + eb * eb);
            return new Ratio(r, r * Math.exp(-rel), r * Math.exp(rel), false);
        }
        return ratio(sa, sb, confidence, perFork);
    }

    public static Ratio ratio(final double[] a, final double[] b, final double confidence, final boolean perFork)
    {
        final double ma = mean(a);
        final double mb = mean(b);
        final double r = ma / mb;
        final double va = a.length > 1 ? sq(stdev(a) / ma) / a.length : 0;
        final double vb = b.length > 1 ? sq(stdev(b) / mb) / b.length : 0;
        final double v = va + vb;
        if (v == 0)
        {
            return new Ratio(r, r, r, perFork);
        }
        final double df = sq(v) / ((a.length > 1 ? sq(va) / (a.length - 1) : 0) + (b.length > 1 ? sq(vb) / (b.length - 1) : 0));
        final double t = tQuantile(confidence, df);
        final double sd = Math.sqrt(v);
        return new Ratio(r, r * Math.exp(-t * sd), r * Math.exp(t * sd), perFork);
    }

    private static double sq(final double x)
    {
        return x * x;
    }
}
