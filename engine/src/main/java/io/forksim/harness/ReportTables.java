package io.forksim.harness;

import io.forksim.stats.RunStatistics;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The report's tables about timing quality, beside the thread's tables ({@link Report}): each strategy against
 * legacy paired by run with its 95% confidence interval and verdict, and the distribution of every timed fork.
 */
final class ReportTables
{
    private ReportTables()
    {
    }

    private static String pct(final double v)
    {
        final double x = Math.abs(v) < 0.05 ? 0.0 : v; // no "-0.0%"
        return String.format(Locale.ROOT, "%+.1f%%", x).replace("+0.0%", "0.0%");
    }

    /**
     * Every strategy but legacy against legacy, per order: the change of the mean fork time (the thread's "mean"
     * column), the 95% interval of the paired per-run ratio ({@link RunStatistics#pairedRatio}) and the verdict.
     */
    static List<String> pairedTable(final ForkPlan plan, final String arch, final List<Result> rs)
    {
        final String title = arch + " vs legacy";
        final int lw = Math.max(title.length(), plan.strategies().stream().mapToInt(s -> s.cliName().length()).max().orElse(0));
        final int[] cw = {7, 19, 21};
        final int groupW = cw[0] + cw[1] + cw[2] + 6;
        final List<String> out = new ArrayList<>();
        final StringBuilder h1 = new StringBuilder("| ").append(Report.pad(title, lw, false)).append(" |");
        final StringBuilder h2 = new StringBuilder("| ").append(Report.pad("paired by run", lw, false)).append(" |");
        final StringBuilder h3 = new StringBuilder("|").append("-".repeat(lw + 2)).append('|');
        final String[] cols = {"mean", "95% CI", "verdict"};
        for (final int o : plan.orders())
        {
            h1.append(' ').append(Report.pad(FolioOrder.name(o), groupW, false)).append(" |");
            for (int c = 0; c < cols.length; c++)
            {
                h2.append(' ').append(Report.pad(cols[c], cw[c], c < 2)).append(" |");
                h3.append("-".repeat(cw[c] + 2)).append('|');
            }
        }
        out.add(h1.toString());
        out.add(h2.toString());
        out.add(h3.toString());
        for (final var s : plan.strategies())
        {
            if (s.cliName().equals("legacy"))
            {
                continue;
            }
            final StringBuilder row = new StringBuilder("| ").append(Report.pad(s.cliName(), lw, false)).append(" |");
            for (final int o : plan.orders())
            {
                final Result r = Report.find(rs, o, s.cliName());
                final String[] v = {"", "", ""};
                if (r != null && r.vsLegacyPct() != null)
                {
                    v[0] = pct(r.vsLegacyPct());
                    v[1] = r.vsLegacyCi95() == null ? "n/a (1 run)"
                        : pct(r.vsLegacyCi95()[0]) + " .. " + pct(r.vsLegacyCi95()[1]);
                    v[2] = r.verdict().label();
                }
                else if (r != null)
                {
                    v[0] = "n/a";
                }
                for (int c = 0; c < cols.length; c++)
                {
                    row.append(' ').append(Report.pad(v[c], cw[c], c < 2)).append(" |");
                }
            }
            out.add(row.toString());
        }
        out.add("  (mean: the ratio of the mean fork times, the thread's column; 95% CI: Student t interval of the per-run"
            + " ratios, run r of both " + (plan.reuseParent() ? "back to back" : "interleaved fork by fork") + "; verdict: faster or slower when the interval excludes 0%)");
        return out;
    }

    /** The distribution of every timed fork per configuration, in microseconds, from its HdrHistogram. */
    static List<String> distributionTable(final ForkPlan plan, final String arch, final List<Result> rs)
    {
        final String title = arch + " fork µs";
        final String[] cols = {"forks", "min", "p50", "p90", "p99", "max", "max/p50", "faults", "preempted"};
        final List<String[]> rows = new ArrayList<>();
        for (final int o : plan.orders())
        {
            for (final var s : plan.strategies())
            {
                final Result r = Report.find(rs, o, s.cliName());
                if (r == null)
                {
                    continue;
                }
                final ForkTimes t = r.forkTimes();
                rows.add(new String[] {FolioOrder.name(o) + " " + s.cliName(), String.format(Locale.ROOT, "%,d", t.count()),
                    us(t.minNs()), us(t.p50Ns()), us(t.p90Ns()), us(t.p99Ns()), us(t.maxNs()),
                    t.count() == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", t.maxOverMedian()),
                    r.forkPageFaults() < 0 ? "n/a" : String.format(Locale.ROOT, "%,d", r.forkPageFaults()),
                    r.preemptedForks() < 0 ? "n/a" : String.format(Locale.ROOT, "%,d", r.preemptedForks())});
            }
        }
        final int[] w = new int[cols.length + 1];
        w[0] = title.length();
        for (int i = 0; i < cols.length; i++)
        {
            w[i + 1] = Math.max(8, cols[i].length());
        }
        for (final String[] row : rows)
        {
            for (int i = 0; i < row.length; i++)
            {
                w[i] = Math.max(w[i], row[i].length());
            }
        }
        final List<String> out = new ArrayList<>();
        final StringBuilder h = new StringBuilder("| ").append(Report.pad(title, w[0], false)).append(" |");
        final StringBuilder sep = new StringBuilder("|").append("-".repeat(w[0] + 2)).append('|');
        for (int i = 0; i < cols.length; i++)
        {
            h.append(' ').append(Report.pad(cols[i], w[i + 1], true)).append(" |");
            sep.append("-".repeat(w[i + 1] + 2)).append('|');
        }
        out.add(h.toString());
        out.add(sep.toString());
        for (final String[] row : rows)
        {
            final StringBuilder b = new StringBuilder("| ").append(Report.pad(row[0], w[0], false)).append(" |");
            for (int i = 1; i < row.length; i++)
            {
                b.append(' ').append(Report.pad(row[i], w[i], true)).append(" |");
            }
            out.add(b.toString());
        }
        out.add("  (every timed fork of the configuration, recorded in an HdrHistogram at 3 significant digits; faults: page"
            + " faults of the measuring thread inside the timed forks, all together; preempted: timed forks during which"
            + " the scheduler gave its CPU to other work)");
        return out;
    }

    private static String us(final long ns)
    {
        return String.format(Locale.ROOT, "%,.1f", ns / 1e3);
    }
}
