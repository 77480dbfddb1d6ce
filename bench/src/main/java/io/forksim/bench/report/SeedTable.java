package io.forksim.bench.report;

import io.forksim.stats.RunStatistics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tables of the linux-mm thread "mm: Batch-copy PTE ranges during fork()" (December 2023), from ForkBench's JMH results:
 *
 * <pre>
 * | x86_64        | order-0 (pte-map) | order-9 (pte-map) |
 * | fork          |-------------------|-------------------|
 * | microbench    |   mean  |  stdev  |   mean  |  stdev  |
 * |---------------|---------|---------|---------|---------|
 * | legacy        |    0.0% |    1.1% |    0.0% |    1.2% |
 * | arch-batch    |   -1.0% |    2.0% |   -0.1% |    1.1% |
 * </pre>
 *
 * One table per arch; "mean" is {@code mean(strategy) / mean(legacy) - 1} and "stdev" the standard
 * deviation of the strategy's runs as a percentage of legacy's mean, both per order. A run is one JMH fork
 * (the thread's "8 runs of 100 iterations" = {@code -f 8 -i 100 -bm ss}); with a single fork the
 * iterations stand in for runs. When the forks ran as rounds, each arch's table is followed by the ratios against
 * legacy paired by round, with 95% confidence intervals and verdicts ({@link PairedRatios}). Then absolute numbers: ns per 4 KiB page and ms per fork, and the child's
 * teardown when {@code ForkBench.teardown} ran.
 */
public final class SeedTable
{
    private SeedTable()
    {
    }

    /** The samples a table row is made of: fork means with two or more forks, iterations otherwise. */
    static double[] runs(final JmhResult.Metric m)
    {
        return m.rawData().size() >= 2 ? m.forkMeans() : m.samples();
    }

    /** Mean and stdev of {@code r} relative to {@code legacy}'s mean, in percent. */
    public static double[] relative(final JmhResult r, final JmhResult legacy)
    {
        final double base = RunStatistics.mean(runs(legacy.primary()));
        final double[] v = runs(r.primary());
        return new double[] {(RunStatistics.mean(v) / base - 1) * 100, RunStatistics.stdev(v) / base * 100};
    }

    /** Everything the seed-table mode prints for the ForkBench results in {@code results}; empty when there are none. */
    public static String render(final List<JmhResult> results)
    {
        final StringBuilder sb = new StringBuilder();
        for (final ForkResults.Group g : ForkResults.groups(results))
        {
            final List<Integer> orders = g.orders(ForkResults.FORK);
            if (orders.isEmpty())
            {
                continue;
            }
            final JmhResult any = g.byKey().values().iterator().next();
            final int runs = any.primary().rawData().size();
            final int iterations = runs == 0 ? 0 : any.primary().rawData().get(0).length;
            sb.append("ForkBench, ").append(g.title()).append(", ").append(runs).append(runs == 1 ? " fork" : " forks")
                .append(" x ").append(iterations).append(" iterations\n");
            sb.append(runs >= 2
                ? "mean = mean over runs (JMH forks) vs legacy; stdev = stdev of the run means, % of legacy's mean\n"
                : "mean vs legacy; stdev = stdev of the iterations, % of legacy's mean (one fork: no runs to compare)\n");
            for (final String arch : ForkResults.ARCHES)
            {
                if (g.hasArch(ForkResults.FORK, arch))
                {
                    sb.append('\n').append(relativeTable(g, arch, orders));
                    final String paired = PairedRatios.table(g, arch, orders);
                    if (!paired.isEmpty())
                    {
                        sb.append('\n').append(paired);
                    }
                }
            }
            sb.append('\n').append(absoluteTable(g, orders)).append('\n').append(bestTable(g, orders)).append('\n');
            final String floor = FloorRatios.table(results, g, orders);
            if (!floor.isEmpty())
            {
                sb.append('\n').append(floor);
            }
        }
        return sb.toString();
    }

    static String relativeTable(final ForkResults.Group g, final String arch, final List<Integer> orders)
    {
        final int first = 15;
        final StringBuilder sb = new StringBuilder();
        final List<String> head = new ArrayList<>();
        final List<String> sub = new ArrayList<>();
        for (final int o : orders)
        {
            head.add(center("order-" + o + " (pte-map)", 19));
            sub.add("-------------------");
        }
        sb.append("| ").append(pad(arch, first - 1)).append("|").append(String.join("|", head)).append("|\n");
        sb.append("| ").append(pad("fork", first - 1)).append("|").append(String.join("|", sub)).append("|\n");
        sb.append("| ").append(pad("microbench", first - 1)).append("|");
        for (int i = 0; i < orders.size(); i++)
        {
            sb.append("  mean   |  stdev  |");
        }
        sb.append('\n').append("|").append("-".repeat(first)).append("|");
        for (int i = 0; i < orders.size(); i++)
        {
            sb.append("---------|---------|");
        }
        sb.append('\n');
        for (final String strategy : ForkResults.STRATEGIES)
        {
            boolean any = false;
            for (final int o : orders)
            {
                any |= g.get(ForkResults.FORK, arch, strategy, o) != null;
            }
            if (!any)
            {
                continue;
            }
            sb.append("| ").append(pad(strategy, first - 1)).append("|");
            for (final int o : orders)
            {
                final JmhResult r = g.get(ForkResults.FORK, arch, strategy, o);
                final JmhResult legacy = g.get(ForkResults.FORK, arch, "legacy", o);
                if (r == null || legacy == null)
                {
                    sb.append(lpad(r == null ? "-" : "n/a", 8)).append(" |").append(lpad(r == null ? "-" : "n/a", 8)).append(" |");
                    continue;
                }
                final double[] rel = relative(r, legacy);
                sb.append(lpad(pct(rel[0]), 8)).append(" |").append(lpad(String.format(Locale.ROOT, "%.1f%%", rel[1]), 8)).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String absoluteTable(final ForkResults.Group g, final List<Integer> orders)
    {
        final long pages = g.pages();
        final boolean teardown = !g.orders(ForkResults.TEARDOWN).isEmpty();
        final StringBuilder sb = new StringBuilder();
        sb.append("ns per 4 KiB page (ms per fork)").append(teardown ? "; child teardown (exit) in ns per page after the slash" : "").append('\n');
        sb.append("| arch   | strategy      |");
        for (final int o : orders)
        {
            sb.append(center("order-" + o, teardown ? 27 : 20)).append("|");
        }
        sb.append('\n').append("|--------|---------------|");
        for (int i = 0; i < orders.size(); i++)
        {
            sb.append("-".repeat(teardown ? 27 : 20)).append("|");
        }
        sb.append('\n');
        for (final String arch : ForkResults.ARCHES)
        {
            for (final String strategy : ForkResults.STRATEGIES)
            {
                boolean any = false;
                for (final int o : orders)
                {
                    any |= g.get(ForkResults.FORK, arch, strategy, o) != null;
                }
                if (!any)
                {
                    continue;
                }
                sb.append("| ").append(pad(arch, 7)).append("| ").append(pad(strategy, 14)).append("|");
                for (final int o : orders)
                {
                    final JmhResult r = g.get(ForkResults.FORK, arch, strategy, o);
                    final JmhResult t = g.get(ForkResults.TEARDOWN, arch, strategy, o);
                    String cell = r == null ? "-" : String.format(Locale.ROOT, "%.2f (%.3f ms)", nsPerPage(r, pages), r.primary().score()
                        * r.primary().toNanos() / 1e6);
                    if (teardown)
                    {
                        cell += t == null ? " / -" : String.format(Locale.ROOT, " / %.2f", nsPerPage(t, pages));
                    }
                    sb.append(lpad(cell, teardown ? 26 : 19)).append(" |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * ns per page of the fastest single fork of each configuration (and the spread of the per-run minima):
     * on a machine shared with other work the minimum is the steadiest estimate of the uncontended cost.
     */
    static String bestTable(final ForkResults.Group g, final List<Integer> orders)
    {
        final long pages = g.pages();
        final StringBuilder sb = new StringBuilder("best single fork: ns per 4 KiB page (min over all iterations; range of the per-run minima)\n");
        sb.append("| arch   | strategy      |");
        for (final int o : orders)
        {
            sb.append(center("order-" + o, 24)).append("|");
        }
        sb.append('\n').append("|--------|---------------|");
        for (int i = 0; i < orders.size(); i++)
        {
            sb.append("-".repeat(24)).append("|");
        }
        sb.append('\n');
        for (final String arch : ForkResults.ARCHES)
        {
            for (final String strategy : ForkResults.STRATEGIES)
            {
                boolean any = false;
                for (final int o : orders)
                {
                    any |= g.get(ForkResults.FORK, arch, strategy, o) != null;
                }
                if (!any)
                {
                    continue;
                }
                sb.append("| ").append(pad(arch, 7)).append("| ").append(pad(strategy, 14)).append("|");
                for (final int o : orders)
                {
                    final JmhResult r = g.get(ForkResults.FORK, arch, strategy, o);
                    String cell = "-";
                    if (r != null && pages > 0)
                    {
                        final double k = r.primary().toNanos() / pages;
                        double lo = Double.NaN;
                        double hi = Double.NaN;
                        for (final double[] run : r.primary().rawData())
                        {
                            final double m = RunStatistics.min(run);
                            lo = Double.isNaN(lo) || m < lo ? m : lo;
                            hi = Double.isNaN(hi) || m > hi ? m : hi;
                        }
                        cell = String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", lo * k, lo * k, hi * k);
                    }
                    sb.append(lpad(cell, 23)).append(" |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /** The score in ns divided by the pages of one operation; NaN without a time unit or pages. */
    public static double nsPerPage(final JmhResult r, final long pages)
    {
        return pages == 0 ? Double.NaN : r.primary().score() * r.primary().toNanos() / pages;
    }

    static String pct(final double v)
    {
        final double z = Math.abs(v) < 0.05 ? 0.0 : v;
        return String.format(Locale.ROOT, "%.1f%%", z);
    }

    static String pad(final String s, final int w)
    {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    static String lpad(final String s, final int w)
    {
        return s.length() >= w ? s : " ".repeat(w - s.length()) + s;
    }

    static String center(final String s, final int w)
    {
        if (s.length() >= w)
        {
            return s;
        }
        final int left = (w - s.length()) / 2;
        return " ".repeat(left) + s + " ".repeat(w - s.length() - left);
    }
}
