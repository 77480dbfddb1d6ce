package io.forksim.bench.report;

import io.forksim.stats.RunStatistics;

import java.util.List;
import java.util.Locale;

/**
 * Each strategy's fork time against legacy, paired by round, with a 95% confidence interval and a verdict: the
 * thread's "faster", "slower" or "no significant change".
 *
 * <pre>
 * x86_64 vs legacy, paired by round: ...
 * | strategy      | order | vs legacy |       95% CI       | verdict               |
 * |---------------|-------|-----------|--------------------|-----------------------|
 * | arch-batch    |     0 |     -0.7% |     [-1.9%, +0.5%] | no significant change |
 * </pre>
 *
 * Only results that ran as rounds ({@link JmhResult#pairedByRound}) are paired: fork {@code r} of the strategy and
 * fork {@code r} of legacy ran within the same round, so the ratio of their means is one paired observation. The
 * interval is {@link RunStatistics#pairedRatio} over the fork means (a t interval on the log ratios); "vs legacy" is
 * its point estimate, the geometric mean of the per-round ratios, which can differ a little from the thread's "mean"
 * column (the ratio of the means).
 */
public final class PairedRatios
{
    private static final String HEAD = "| strategy      | order | vs legacy |       95% CI       | verdict               |\n"
        + "|---------------|-------|-----------|--------------------|-----------------------|\n";

    private PairedRatios()
    {
    }

    /** {@code r}'s fork time against {@code legacy}'s, paired by round; null when they did not run as the same rounds. */
    public static RunStatistics.Ratio ratio(final JmhResult r, final JmhResult legacy)
    {
        if (!r.pairedByRound(legacy))
        {
            return null;
        }
        return RunStatistics.pairedRatio(r.primary().forkMeans(), legacy.primary().forkMeans(), RunStatistics.CONFIDENCE_95);
    }

    /** The table of {@code arch}'s strategies in group {@code g}; empty when no result of the arch is paired with legacy. */
    static String table(final ForkResults.Group g, final String arch, final List<Integer> orders)
    {
        final StringBuilder rows = new StringBuilder();
        int rounds = 0;
        for (final String strategy : ForkResults.STRATEGIES)
        {
            if (strategy.equals("legacy"))
            {
                continue;
            }
            for (final int o : orders)
            {
                final JmhResult r = g.get(ForkResults.FORK, arch, strategy, o);
                final JmhResult legacy = g.get(ForkResults.FORK, arch, "legacy", o);
                final RunStatistics.Ratio ratio = r == null || legacy == null ? null : ratio(r, legacy);
                if (ratio == null)
                {
                    continue;
                }
                rounds = r.rounds();
                final String ci = Double.isNaN(ratio.low()) ? "n/a (one round)"
                    : "[" + pct(ratio.low()) + ", " + pct(ratio.high()) + "]";
                rows.append(String.format(Locale.ROOT, "| %-14s| %5d | %9s | %18s | %-21s |\n", strategy, o, pct(ratio.value()), ci,
                    ratio.verdict().label()));
            }
        }
        if (rows.isEmpty())
        {
            return "";
        }
        return arch + " vs legacy, paired by round (" + rounds + " rounds; fork r of both ran in round r): geometric mean of the\n"
            + "per-round ratios of fork time, 95% confidence interval (t on the log ratios), verdict\n" + HEAD + rows;
    }

    private static String pct(final double ratio)
    {
        final double v = (ratio - 1) * 100;
        return String.format(Locale.ROOT, "%+.1f%%", Math.abs(v) < 0.05 ? 0.0 : v);
    }
}
