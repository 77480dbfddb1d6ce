package io.forksim.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The text report printed after a run: every result with ns per page, then the views that answer the
 * project's questions when their benchmarks ran: the linux-mm thread's tables ({@link SeedTable}), the arm64
 * contpte cliff, and PteBatchBench's dispatched-versus-hand-specialised comparison.
 */
public final class Report
{
    private Report()
    {
    }

    public static String render(final List<JmhResult> results)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(results(results));
        final String seed = SeedTable.render(results);
        if (!seed.isEmpty())
        {
            sb.append('\n').append(seed);
        }
        final String cliff = contpteCliff(results);
        if (!cliff.isEmpty())
        {
            sb.append('\n').append(cliff);
        }
        final String dispatch = pteBatchDispatch(results);
        if (!dispatch.isEmpty())
        {
            sb.append('\n').append(dispatch);
        }
        return sb.toString();
    }

    /** One line per result: score with JMH's error, ns per 4 KiB page (score / pages of {@code size}), allocation per op. */
    public static String results(final List<JmhResult> results)
    {
        final StringBuilder sb = new StringBuilder("Results (score +- 99.9% error; ns/page = score / pages of the size param)\n");
        int w = 10;
        for (final JmhResult r : results)
        {
            w = Math.max(w, r.label().length());
        }
        for (final JmhResult r : results)
        {
            final JmhResult.Metric m = r.primary();
            sb.append(String.format(Locale.ROOT, "  %-" + w + "s  %12.4f +- %-10.4f %-8s", r.label(), m.score(), m.error(), m.unit()));
            final long pages = r.param("size") == null ? 0 : ForkResults.pagesOf(r.param("size"));
            final double nsPage = SeedTable.nsPerPage(r, pages);
            if (!Double.isNaN(nsPage))
            {
                sb.append(String.format(Locale.ROOT, "  %9.3f ns/page", nsPage));
            }
            final JmhResult.Metric gc = r.secondary().get("gc.alloc.rate.norm");
            if (gc != null)
            {
                sb.append(String.format(Locale.ROOT, "  gc.alloc.rate.norm %.1f %s", gc.score(), gc.unit()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * arm64 fork time of each strategy relative to folio-batch, per order: the contpte cliff of the thread
     * (contpte-basic order-9 fork +1948% on Ampere Altra) and the per-PTE unfolds of legacy.
     */
    public static String contpteCliff(final List<JmhResult> results)
    {
        final StringBuilder sb = new StringBuilder();
        for (final ForkResults.Group g : ForkResults.groups(results))
        {
            final List<Integer> orders = new ArrayList<>();
            for (final int o : g.orders(ForkResults.FORK))
            {
                if (g.get(ForkResults.FORK, "arm64", "folio-batch", o) != null)
                {
                    orders.add(o);
                }
            }
            if (orders.isEmpty())
            {
                continue;
            }
            sb.append("arm64 contpte cliff: fork time vs folio-batch (").append(g.title()).append(")\n");
            sb.append("| strategy      |");
            for (final int o : orders)
            {
                sb.append(SeedTable.center("order-" + o, 22)).append("|");
            }
            sb.append('\n');
            for (final String s : ForkResults.STRATEGIES)
            {
                sb.append("| ").append(SeedTable.pad(s, 14)).append("|");
                for (final int o : orders)
                {
                    final JmhResult r = g.get(ForkResults.FORK, "arm64", s, o);
                    final JmhResult f = g.get(ForkResults.FORK, "arm64", "folio-batch", o);
                    if (r == null)
                    {
                        sb.append(SeedTable.lpad("-", 21)).append(" |");
                        continue;
                    }
                    final double ratio = r.primary().score() / f.primary().score();
                    sb.append(SeedTable.lpad(String.format(Locale.ROOT, "%+.1f%% (x%.2f)", (ratio - 1) * 100, ratio), 21)).append(" |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * PteBatchBench: the engine's Arch-dispatched folio_pte_batch versus the hand-specialised static loop over
     * the same table, per (arch, order). Near 1.00 means the dispatched hot loop was inlined and
     * constant-folded (monomorphic); the polluted row shows what a bimorphic profile costs.
     */
    public static String pteBatchDispatch(final List<JmhResult> results)
    {
        final Map<String, Map<String, JmhResult>> rows = new LinkedHashMap<>();
        for (final JmhResult r : results)
        {
            if (!r.simpleName().equals("PteBatchBench.scan") || r.param("dispatch") == null)
            {
                continue;
            }
            final String row = r.param("arch") + " order-" + r.param("order") + " size=" + r.param("size");
            rows.computeIfAbsent(row, k -> new LinkedHashMap<>()).put(r.param("dispatch"), r);
        }
        if (rows.isEmpty())
        {
            return "";
        }
        final StringBuilder sb = new StringBuilder("PteBatchBench: folio_pte_batch scan, ns per PTE (ratio to the hand-specialised loop)\n");
        sb.append("| table                        |      specialised |             arch |    arch-polluted |\n");
        for (final Map.Entry<String, Map<String, JmhResult>> e : rows.entrySet())
        {
            final Map<String, JmhResult> m = e.getValue();
            final JmhResult spec = m.get("specialised");
            sb.append("| ").append(SeedTable.pad(e.getKey(), 29)).append("|");
            for (final String d : List.of("specialised", "arch", "arch-polluted"))
            {
                final JmhResult r = m.get(d);
                if (r == null)
                {
                    sb.append(SeedTable.lpad("-", 17)).append(" |");
                    continue;
                }
                final double ns = SeedTable.nsPerPage(r, ForkResults.pagesOf(r.param("size")));
                final String cell = spec == null ? String.format(Locale.ROOT, "%.3f", ns)
                    : String.format(Locale.ROOT, "%.3f (x%.2f)", ns, r.primary().score() / spec.primary().score());
                sb.append(SeedTable.lpad(cell, 17)).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
