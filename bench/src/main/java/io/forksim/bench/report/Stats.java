package io.forksim.bench.report;

import io.forksim.stats.RunStatistics;

/**
 * Which samples of a JMH metric the gate's ratios are computed over; the statistics themselves are
 * {@link RunStatistics}'s.
 *
 * <p>Samples are the per-fork means when both sides have at least {@link #MIN_FORKS} forks (a JMH fork is the unit
 * that varies: JIT decisions, memory layout), and the individual iterations otherwise, which understates the
 * noise; the report says which it used. The interval is {@link RunStatistics#unpairedRatio}: JMH's forks of two
 * configurations are not pairs unless they ran as rounds.
 */
public final class Stats
{
    public static final int MIN_FORKS = 3;

    private Stats()
    {
    }

    /**
     * A ratio {@code a/b} with its confidence interval.
     *
     * @param ratio   the ratio and its interval
     * @param perFork whether the samples were the per-fork means (else the iterations)
     */
    public record Ratio(RunStatistics.Ratio ratio, boolean perFork)
    {
    }

    /**
     * The ratio of the means of {@code a} and {@code b} with a {@code confidence} interval (see the class comment).
     * Without raw data it is the ratio of the scores, with JMH's own error bars treated as independent.
     */
    public static Ratio ratio(final JmhResult.Metric a, final JmhResult.Metric b, final double confidence)
    {
        final boolean perFork = a.rawData().size() >= MIN_FORKS && b.rawData().size() >= MIN_FORKS;
        final double[] sa = perFork ? a.forkMeans() : a.samples();
        final double[] sb = perFork ? b.forkMeans() : b.samples();
        if (sa.length == 0 || sb.length == 0)
        {
            final double r = a.score() / b.score();
            final double ea = Double.isNaN(a.error()) ? 0 : a.error() / a.score();
            final double eb = Double.isNaN(b.error()) ? 0 : b.error() / b.score();
            final double rel = Math.hypot(ea, eb);
            return new Ratio(new RunStatistics.Ratio(r, r * Math.exp(-rel), r * Math.exp(rel)), false);
        }
        return new Ratio(RunStatistics.unpairedRatio(sa, sb, confidence), perFork);
    }
}
