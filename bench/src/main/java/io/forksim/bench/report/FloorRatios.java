package io.forksim.bench.report;

import io.forksim.stats.RunStatistics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * ForkBench's fork times against the FFM floor measured in the same JMH run ({@code LoopBaseline}, the engine's
 * {@code io.forksim.harness.FloorLoop}): per-PTE for order 0, batched for larger folios, same JMH mode and size.
 * These in-run ratios replace absolute ns/page targets, which hold only on the machine they were set on. The targets
 * (issue 15, the same as {@code forksim fork}'s "x floor" column):
 * <ul>
 *   <li>order-0 legacy and folio-batch: at most {@link #ORDER0_MAX} x the per-PTE floor;</li>
 *   <li>order-4 folio-batch: at most {@link #ORDER4_MAX} x the batched floor;</li>
 *   <li>order-9 folio-batch: at most {@link #ORDER9_MAX} x the batched floor;</li>
 * </ul>
 * on x86_64 and on arm64 against the same floor. The ratio's interval is {@link Stats#ratio} (the floor's forks and
 * ForkBench's are not pairs unless they ran in the same rounds).
 */
public final class FloorRatios
{
    public static final double ORDER0_MAX = 1.5;
    public static final double ORDER4_MAX = 1.5;
    public static final double ORDER9_MAX = 1.1;

    /** One target: strategy and order with its limit. */
    public record Target(String strategy, int order, double max)
    {
    }

    public static final List<Target> TARGETS = List.of(new Target("legacy", 0, ORDER0_MAX),
        new Target("folio-batch", 0, ORDER0_MAX), new Target("folio-batch", 4, ORDER4_MAX),
        new Target("folio-batch", 9, ORDER9_MAX));

    private FloorRatios()
    {
    }

    /**
     * The floor result for {@code order} in {@code g}'s JMH mode and size, or null: the one of LoopBaseline's default
     * arena ({@code engine}, or no arena parameter), else a {@code confined} one (results recorded before
     * {@code engine} was the default).
     */
    public static JmhResult floor(final List<JmhResult> results, final ForkResults.Group g, final int order)
    {
        final String method = order == 0 ? "LoopBaseline.perPte" : "LoopBaseline.batched";
        JmhResult confined = null;
        for (final JmhResult r : results)
        {
            if (r.simpleName().equals(method) && r.mode().equals(g.jmhMode()) && String.valueOf(order).equals(r.param("order"))
                && g.size().equals(r.param("size")))
            {
                final String arena = r.param("arena");
                if (arena == null || arena.equals("engine"))
                {
                    return r;
                }
                if (arena.equals("confined") && confined == null)
                {
                    confined = r;
                }
            }
        }
        return confined;
    }

    /** The table "x floor" per arch, strategy and order; empty when no floor ran. */
    public static String table(final List<JmhResult> results, final ForkResults.Group g, final List<Integer> orders)
    {
        final StringBuilder sb = new StringBuilder();
        boolean any = false;
        final StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "| %-26s |", "x floor (same run)"));
        for (final int o : orders)
        {
            head.append(String.format(Locale.ROOT, " %-24s |", "order-" + o + (o == 0 ? " (per-PTE)" : " (batched)")));
        }
        sb.append(head).append('\n');
        for (final String arch : ForkResults.ARCHES)
        {
            for (final String strategy : ForkResults.STRATEGIES)
            {
                final StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %-26s |", arch + " " + strategy));
                boolean rowAny = false;
                for (final int o : orders)
                {
                    final JmhResult f = g.get(ForkResults.FORK, arch, strategy, o);
                    final JmhResult fl = floor(results, g, o);
                    if (f == null || fl == null)
                    {
                        row.append(String.format(Locale.ROOT, " %-24s |", "-"));
                        continue;
                    }
                    final Stats.Ratio r = Stats.ratio(f.primary(), fl.primary(), RunStatistics.CONFIDENCE_95);
                    row.append(String.format(Locale.ROOT, " %5.2f (95%% CI %.2f-%.2f) |", r.ratio().value(), r.ratio().low(),
                        r.ratio().high()));
                    rowAny = true;
                }
                if (rowAny)
                {
                    sb.append(row).append('\n');
                    any = true;
                }
            }
        }
        final StringBuilder fl = new StringBuilder(String.format(Locale.ROOT, "| %-26s |", "floor ns/page"));
        for (final int o : orders)
        {
            final JmhResult f = floor(results, g, o);
            fl.append(String.format(Locale.ROOT, " %-24s |", f == null ? "-"
                : String.format(Locale.ROOT, "%.2f", f.primary().score() * JmhResult.nanosPer(f.primary().unit()) / g.pages())));
        }
        sb.append(fl).append('\n');
        return any ? sb.toString() : "";
    }

    /** The gate's floor checks of group {@code g}: FAIL when the interval lies above the target, WARN when only the point does. */
    public static List<RegressionGate.Check> checks(final List<JmhResult> results, final ForkResults.Group g, final double confidence)
    {
        final List<RegressionGate.Check> out = new ArrayList<>();
        final String where = "[" + g.title() + "]";
        for (final String arch : ForkResults.ARCHES)
        {
            for (final Target t : TARGETS)
            {
                final String name = String.format(Locale.ROOT, "%s order-%d %s/floor <= %.1f %s", arch, t.order(), t.strategy(),
                    t.max(), where);
                final JmhResult f = g.get(ForkResults.FORK, arch, t.strategy(), t.order());
                final JmhResult fl = floor(results, g, t.order());
                if (f == null || fl == null)
                {
                    out.add(new RegressionGate.Check(RegressionGate.Status.SKIP, name, "not measured (needs ForkBench.fork config="
                        + arch + ":" + t.strategy() + " and LoopBaseline." + (t.order() == 0 ? "perPte" : "batched")
                        + " at order " + t.order() + ", same size and JMH mode)"));
                    continue;
                }
                final Stats.Ratio r = Stats.ratio(f.primary(), fl.primary(), confidence);
                final RegressionGate.Status st = r.ratio().surelyAbove(t.max()) ? RegressionGate.Status.FAIL
                    : r.ratio().value() > t.max() ? RegressionGate.Status.WARN : RegressionGate.Status.PASS;
                out.add(new RegressionGate.Check(st, name, String.format(Locale.ROOT, "ratio %.3f, %d%% CI [%.3f, %.3f]%s",
                    r.ratio().value(), (int)Math.round(confidence * 100), r.ratio().low(), r.ratio().high(),
                    st == RegressionGate.Status.FAIL ? " -> above the floor target in config=" + arch + ":" + t.strategy()
                        + " order=" + t.order() : st == RegressionGate.Status.WARN ? " -> above the target but within noise" : "")));
            }
        }
        return out;
    }
}
