package io.forksim.harness;

import io.forksim.fork.StrategyChoice;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code forksim fork --html FILE}: the results as one self-contained HTML page. It holds the header of the text
 * report, then per arch a bar chart of ns/page by folio order with one bar per strategy and its error bar
 * ({@link ErrorBars}), the thread's table (mean and stdev relative to legacy, per order) and the absolute times,
 * and, under {@code --snapshot}, where each parent came from. Charts are inline SVG; there is no script, no font or
 * style sheet from elsewhere, and no URL but the SVG namespace. The markup is well-formed XML as well as HTML.
 *
 * <p>Arches and strategies are drawn as the results have them (the plan's first, then any others), so result rows
 * of another kind, such as the host kernel's, get a chart of their own beside the simulated arches.
 */
public final class HtmlReport
{
    /** Bar colours per strategy (Tableau 10); other rows get {@link #OTHER_COLOUR}. */
    public static final Map<String, String> COLOURS = Map.of(
        StrategyChoice.LEGACY.cliName(), "#4e79a7",
        StrategyChoice.ARCH_BATCH.cliName(), "#f28e2b",
        StrategyChoice.FOLIO_BATCH.cliName(), "#59a14f",
        StrategyChoice.CONTPTE_BASIC.cliName(), "#e15759");
    public static final String OTHER_COLOUR = "#9c755f";

    static final String THREAD = "the linux-mm thread \"mm: Batch-copy PTE ranges during fork()\" (December 2023)";

    private HtmlReport()
    {
    }

    /** The page. Preconditions: {@code results} are {@link Result#of} of one run under {@code plan}. */
    public static String render(final ForkPlan plan, final MachineInfo host, final List<Result> results,
        final List<ParentSource> parents)
    {
        final StringBuilder b = new StringBuilder(32 * 1024);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>forksim fork: ")
            .append(Units.formatSize(plan.sizeBytes())).append(", ").append(plan.runs()).append(" runs x ")
            .append(plan.iterationsText("forks")).append("</title>\n<style>\n")
            .append("body { font-family: sans-serif; color: #222222; background: #ffffff; margin: 24px; max-width: 1100px; }\n")
            .append("h1 { font-size: 20px; } h2 { font-size: 18px; margin-top: 32px; } h3 { font-size: 15px; }\n")
            .append("table { border-collapse: collapse; margin: 8px 0 16px 0; font-size: 13px; }\n")
            .append("th, td { border: 1px solid #bbbbbb; padding: 3px 8px; } td.num { text-align: right; font-variant-numeric: tabular-nums; }\n")
            .append("th { background: #f0f0f0; } dl { font-size: 13px; } dt { font-weight: bold; float: left; width: 90px; }\n")
            .append("dd { margin-left: 100px; margin-bottom: 4px; } svg.chart { display: block; margin: 8px 0; }\n")
            .append("</style>\n</head>\n<body>\n");
        b.append("<h1>forksim fork: the fork() microbenchmark of ").append(Html.escape(THREAD))
            .append(", on simulated page tables</h1>\n<dl>\n");
        dd(b, "parent", Units.formatSize(plan.sizeBytes()) + String.format(Locale.ROOT, " (%,d pages)", plan.pages())
            + " of anon private memory, populated with folios of each order, PTE-mapped or PMD-mapped as each column says");
        dd(b, "method", plan.runs() + " runs x " + plan.iterationsText("iterations per configuration") + "; only fork() is timed;"
            + " mean = mean of the run means, stdev = stdev of the run means / mean");
        dd(b, "mode", plan.modeName());
        dd(b, "host", host.cpu() + ", " + host.cores() + " cores, JDK " + host.jdk() + "; simulated RAM "
            + Units.formatSize(plan.ramBytes()) + " per machine");
        b.append("</dl>\n");
        final List<String> strategies = strategies(plan, results);
        for (final String arch : arches(plan, results))
        {
            final List<Result> rs = results.stream().filter(r -> r.arch().equals(arch)).toList();
            final List<Integer> orders = orders(plan, rs);
            b.append("<h2>").append(Html.escape(arch)).append("</h2>\n");
            b.append(chart(arch, rs, orders, strategies, plan.runs()));
            b.append("<h3>The thread's table: fork time relative to legacy</h3>\n");
            relativeTable(b, arch, rs, orders, strategies);
            b.append("<h3>Absolute times</h3>\n");
            absoluteTable(b, rs, orders, strategies);
        }
        if (!parents.isEmpty())
        {
            b.append("<h2>Parents (--snapshot)</h2>\n<table>\n<tr><th>configuration</th><th>origin</th><th>what happened</th></tr>\n");
            for (final ParentSource p : parents)
            {
                b.append("<tr><td>").append(Html.escape(ParentReport.label(p))).append("</td><td>").append(Html.escape(p.origin()))
                    .append("</td><td>").append(Html.escape(ParentReport.describe(p))).append("</td></tr>\n");
            }
            b.append("</table>\n");
        }
        b.append("</body>\n</html>\n");
        return b.toString();
    }

    /** The chart of one arch: ns/page by order, one bar per strategy, error bars from {@code runs} run means each. */
    static String chart(final String arch, final List<Result> rs, final List<Integer> orders, final List<String> strategies,
        final int runs)
    {
        final List<String> groups = orders.stream().map(o -> "order-" + FolioOrder.order(o) + " ("
            + Units.formatSize(ForkPlan.PAGE_SIZE << FolioOrder.order(o))
            + (FolioOrder.mapping(o) == io.forksim.mm.FolioMapping.PMD ? ", pmd-map)" : ")")).toList();
        final List<SvgBarChart.Series> series = new ArrayList<>();
        for (final String s : strategies)
        {
            final double[] v = new double[orders.size()];
            final double[] lo = new double[orders.size()];
            final double[] hi = new double[orders.size()];
            boolean any = false;
            for (int g = 0; g < orders.size(); g++)
            {
                final Result r = find(rs, orders.get(g), s);
                if (r == null || !Double.isFinite(r.nsPerPage()))
                {
                    v[g] = lo[g] = hi[g] = Double.NaN;
                    continue;
                }
                final double[] bar = ErrorBars.of(r, runs);
                v[g] = r.nsPerPage();
                lo[g] = bar[0];
                hi[g] = bar[1];
                any = true;
            }
            if (any)
            {
                series.add(new SvgBarChart.Series(s, COLOURS.getOrDefault(s, OTHER_COLOUR), v, lo, hi));
            }
        }
        return SvgBarChart.render(arch + ": fork time per 4 KiB page by folio order", "ns per page", groups, series,
            ErrorBars.LEGEND);
    }

    private static void relativeTable(final StringBuilder b, final String arch, final List<Result> rs, final List<Integer> orders,
        final List<String> strategies)
    {
        table(b, "thread", arch + " / fork / microbench", rs, orders, strategies, List.of("mean", "stdev"),
            r -> List.of(pct(r.vsLegacyPct()), pct(r.stdevPct())));
    }

    private static void absoluteTable(final StringBuilder b, final List<Result> rs, final List<Integer> orders,
        final List<String> strategies)
    {
        table(b, "absolute", "strategy", rs, orders, strategies, List.of("ns/page", "ms/fork", "teardown ms"),
            r -> List.of(String.format(Locale.ROOT, "%.2f", r.nsPerPage()), String.format(Locale.ROOT, "%.3f", r.meanNs() / 1e6),
                String.format(Locale.ROOT, "%.3f", r.teardownNs() / 1e6)));
    }

    /**
     * One table: a row per strategy that has results, a column group per order with {@code heads} under it, and the
     * cells {@code cells} gives for each result (empty where a strategy has no result at an order).
     */
    private static void table(final StringBuilder b, final String cssClass, final String corner, final List<Result> rs,
        final List<Integer> orders, final List<String> strategies, final List<String> heads,
        final Function<Result, List<String>> cells)
    {
        b.append("<table class=\"").append(cssClass).append("\">\n<tr><th rowspan=\"2\">").append(Html.escape(corner))
            .append("</th>");
        for (final int o : orders)
        {
            b.append("<th colspan=\"").append(heads.size()).append("\">").append(FolioOrder.column(o)).append("</th>");
        }
        b.append("</tr>\n<tr>");
        for (int i = 0; i < orders.size(); i++)
        {
            for (final String h : heads)
            {
                b.append("<th>").append(h).append("</th>");
            }
        }
        b.append("</tr>\n");
        for (final String s : strategies)
        {
            if (rs.stream().noneMatch(r -> r.strategy().equals(s)))
            {
                continue;
            }
            b.append("<tr><td>").append(Html.escape(s)).append("</td>");
            for (final int o : orders)
            {
                final Result r = find(rs, o, s);
                for (int i = 0; i < heads.size(); i++)
                {
                    num(b, r == null ? "" : cells.apply(r).get(i));
                }
            }
            b.append("</tr>\n");
        }
        b.append("</table>\n");
    }

    private static void dd(final StringBuilder b, final String term, final String text)
    {
        b.append("<dt>").append(Html.escape(term)).append("</dt><dd>").append(Html.escape(text)).append("</dd>\n");
    }

    private static void num(final StringBuilder b, final String text)
    {
        b.append("<td class=\"num\">").append(Html.escape(text)).append("</td>");
    }

    private static String pct(final Double v)
    {
        if (v == null)
        {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.1f%%", Math.abs(v) < 0.05 ? 0.0 : v);
    }

    private static Result find(final List<Result> rs, final int order, final String strategy)
    {
        for (final Result r : rs)
        {
            if (r.order() == order && r.strategy().equals(strategy))
            {
                return r;
            }
        }
        return null;
    }

    /** The plan's arches that have results, then any other arch the results name. */
    static List<String> arches(final ForkPlan plan, final List<Result> results)
    {
        final Set<String> out = new LinkedHashSet<>();
        for (final String a : plan.archs())
        {
            if (results.stream().anyMatch(r -> r.arch().equals(a)))
            {
                out.add(a);
            }
        }
        results.forEach(r -> out.add(r.arch()));
        return List.copyOf(out);
    }

    private static List<String> strategies(final ForkPlan plan, final List<Result> results)
    {
        final Set<String> out = new LinkedHashSet<>();
        plan.strategies().forEach(s -> out.add(s.cliName()));
        results.forEach(r -> out.add(r.strategy()));
        return List.copyOf(out);
    }

    private static List<Integer> orders(final ForkPlan plan, final List<Result> rs)
    {
        final Set<Integer> out = new LinkedHashSet<>();
        for (final int o : plan.orders())
        {
            if (rs.stream().anyMatch(r -> r.order() == o))
            {
                out.add(o);
            }
        }
        rs.forEach(r -> out.add(r.order()));
        return List.copyOf(out);
    }
}
