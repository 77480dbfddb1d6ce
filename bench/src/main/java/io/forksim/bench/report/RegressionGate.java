package io.forksim.bench.report;

import io.forksim.stats.RunStatistics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The regression gate over JMH results.
 *
 * <h2>In-run ratios (always)</h2>
 * Ratios between configurations measured in the same run survive a noisy machine far better than
 * absolute times. For every ForkBench group (JMH mode, fork mode, size) that has the configurations:
 * <ul>
 *   <li>order-0 {@code arch-batch / legacy <= 1.01} and {@code folio-batch / legacy <= 1.01}, on x86_64 and
 *       on arm64: the thread's promise that batching costs order-0 nothing;</li>
 *   <li>order-9 {@code legacy / folio-batch >= 3} on x86_64: batching must pay off for PTE-mapped THPs;</li>
 *   <li>the fork against the FFM floor of the same run ({@link FloorRatios}): order-0 legacy and folio-batch
 *       {@code <= 1.5x} the per-PTE floor, order-4 folio-batch {@code <= 1.5x} and order-9 folio-batch {@code <= 1.1x}
 *       the batched floor (SKIP when LoopBaseline did not run).</li>
 * </ul>
 * A check <b>fails</b> when the ratio's 99% confidence interval ({@link Stats#ratio}) lies entirely on the
 * wrong side of the limit; it <b>warns</b> when the point estimate is on the wrong side but the interval
 * still reaches the limit (too noisy to call: rerun with more forks); it passes otherwise. A check whose
 * configurations did not run is skipped and listed as such.
 *
 * <h2>Against a baseline file (with {@code --baseline})</h2>
 * Every result also present in the baseline (same benchmark, JMH mode and parameters) is compared using
 * JMH's error bars (99.9% confidence intervals): a regression is a current interval entirely worse than the
 * baseline's interval widened by the tolerance ({@code cur.low > base.high * (1 + tol)} for times), so
 * overlapping error bars never fail. Improvements are reported the same way.
 */
public final class RegressionGate
{
    public static final double ORDER0_MAX_RATIO = 1.01;
    public static final double ORDER9_MIN_SPEEDUP = 3.0;
    public static final double CONFIDENCE = 0.99;

    public enum Status
    {
        PASS, WARN, FAIL, SKIP
    }

    /** One check: what was compared, the outcome and the numbers. */
    public record Check(Status status, String name, String detail)
    {
        @Override
        public String toString()
        {
            return String.format(Locale.ROOT, "%-4s %s: %s", status, name, detail);
        }
    }

    /** All checks of one gate run. */
    public record Verdict(List<Check> checks)
    {
        public boolean failed()
        {
            return checks.stream().anyMatch(c -> c.status() == Status.FAIL);
        }

        public List<Check> failures()
        {
            return checks.stream().filter(c -> c.status() == Status.FAIL).toList();
        }

        /** Whether at least one check had the data to run. */
        public boolean applicable()
        {
            return checks.stream().anyMatch(c -> c.status() != Status.SKIP);
        }

        public String render()
        {
            final StringBuilder sb = new StringBuilder();
            for (final Check c : checks)
            {
                sb.append(c).append('\n');
            }
            return sb.toString();
        }
    }

    private RegressionGate()
    {
    }

    /** The in-run ratio checks. */
    public static Verdict checkRatios(final List<JmhResult> results)
    {
        final List<Check> checks = new ArrayList<>();
        final List<ForkResults.Group> groups = ForkResults.groups(results);
        for (final ForkResults.Group g : groups)
        {
            final String where = "[" + g.title() + "]";
            for (final String arch : ForkResults.ARCHES)
            {
                for (final String strategy : List.of("arch-batch", "folio-batch"))
                {
                    final String name = String.format(Locale.ROOT, "%s order-0 %s/legacy <= %.2f %s", arch, strategy, ORDER0_MAX_RATIO, where);
                    final JmhResult s = g.get(ForkResults.FORK, arch, strategy, 0);
                    final JmhResult l = g.get(ForkResults.FORK, arch, "legacy", 0);
                    if (s == null || l == null)
                    {
                        checks.add(new Check(Status.SKIP, name, "not measured (needs ForkBench.fork config="
                            + arch + ":legacy and " + arch + ":" + strategy + " at order 0)"));
                        continue;
                    }
                    final Stats.Ratio r = Stats.ratio(s.primary(), l.primary(), CONFIDENCE);
                    final Status st = r.ratio().surelyAbove(ORDER0_MAX_RATIO) ? Status.FAIL
                        : r.ratio().value() > ORDER0_MAX_RATIO ? Status.WARN : Status.PASS;
                    checks.add(new Check(st, name, describe(r, st, "config=" + arch + ":" + strategy + " order=0") + best(s, l)));
                }
            }
            final String name = String.format(Locale.ROOT, "x86_64 order-9 legacy/folio-batch >= %.1f %s", ORDER9_MIN_SPEEDUP, where);
            final JmhResult f = g.get(ForkResults.FORK, "x86_64", "folio-batch", 9);
            final JmhResult l = g.get(ForkResults.FORK, "x86_64", "legacy", 9);
            if (f == null || l == null)
            {
                checks.add(new Check(Status.SKIP, name, "not measured (needs ForkBench.fork config=x86_64:legacy and x86_64:folio-batch at order 9)"));
            }
            else
            {
                final Stats.Ratio r = Stats.ratio(l.primary(), f.primary(), CONFIDENCE);
                final Status st = r.ratio().surelyBelow(ORDER9_MIN_SPEEDUP) ? Status.FAIL
                    : r.ratio().value() < ORDER9_MIN_SPEEDUP ? Status.WARN : Status.PASS;
                checks.add(new Check(st, name, describe(r, st, "config=x86_64:folio-batch order=9") + best(l, f)));
            }
            checks.addAll(FloorRatios.checks(results, g, CONFIDENCE));
        }
        if (groups.isEmpty())
        {
            checks.add(new Check(Status.SKIP, "in-run ratios", "no ForkBench.fork results in this run"));
        }
        return new Verdict(checks);
    }

    /**
     * The ratio of the fastest single iterations, for information: on a machine shared with other work the
     * minimum is the steadiest estimate of the uncontended cost (the means carry the contention).
     */
    private static String best(final JmhResult a, final JmhResult b)
    {
        final double ma = RunStatistics.min(a.primary().samples());
        final double mb = RunStatistics.min(b.primary().samples());
        return Double.isFinite(ma) && Double.isFinite(mb) ? String.format(Locale.ROOT, "; best single ops %.4f", ma / mb) : "";
    }

    private static String describe(final Stats.Ratio r, final Status st, final String offender)
    {
        String s = String.format(Locale.ROOT, "ratio %.4f, %d%% CI [%.4f, %.4f] over %s", r.ratio().value(), (int)(CONFIDENCE * 100),
            r.ratio().low(), r.ratio().high(),
            r.perFork() ? "fork means" : "iterations");
        if (st == Status.FAIL)
        {
            s += " -> REGRESSION in " + offender;
        }
        else if (st == Status.WARN)
        {
            s += " -> beyond the limit but within noise (" + offender + "); rerun with more forks";
        }
        return s;
    }

    /**
     * Compares {@code current} with {@code baseline} using JMH's error bars widened by {@code tolerance}
     * (0.05 = 5%). Results only in one of the files are ignored; if nothing matches, one SKIP says so.
     */
    public static Verdict compareWithBaseline(final List<JmhResult> current, final List<JmhResult> baseline, final double tolerance)
    {
        final Map<String, JmhResult> base = new HashMap<>();
        for (final JmhResult b : baseline)
        {
            base.put(b.key(), b);
        }
        final List<Check> checks = new ArrayList<>();
        for (final JmhResult c : current)
        {
            final JmhResult b = base.get(c.key());
            if (b == null)
            {
                continue;
            }
            final JmhResult.Metric cm = c.primary();
            final JmhResult.Metric bm = b.primary();
            if (!cm.unit().equals(bm.unit()))
            {
                checks.add(new Check(Status.SKIP, c.label(), "units differ: " + cm.unit() + " vs baseline " + bm.unit()));
                continue;
            }
            final double cl = finite(cm.low(), cm.score());
            final double ch = finite(cm.high(), cm.score());
            final double bl = finite(bm.low(), bm.score());
            final double bh = finite(bm.high(), bm.score());
            final boolean worse;
            final boolean better;
            if (c.higherIsBetter())
            {
                worse = ch < bl * (1 - tolerance);
                better = cl > bh * (1 + tolerance);
            }
            else
            {
                worse = cl > bh * (1 + tolerance);
                better = ch < bl * (1 - tolerance);
            }
            final String detail = String.format(Locale.ROOT, "%.4g [%.4g, %.4g] %s vs baseline %.4g [%.4g, %.4g] (%+.1f%%, tolerance %.0f%%)%s",
                cm.score(), cl, ch, cm.unit(), bm.score(), bl, bh, (cm.score() / bm.score() - 1) * 100, tolerance * 100,
                worse ? " -> REGRESSION in " + c.label() : better ? " -> improvement" : "");
            checks.add(new Check(worse ? Status.FAIL : Status.PASS, "baseline " + c.label(), detail));
        }
        if (checks.isEmpty())
        {
            checks.add(new Check(Status.SKIP, "baseline", "no result of this run matches a baseline entry (same benchmark, mode and params)"));
        }
        return new Verdict(checks);
    }

    private static double finite(final double v, final double fallback)
    {
        return Double.isFinite(v) ? v : fallback;
    }
}
