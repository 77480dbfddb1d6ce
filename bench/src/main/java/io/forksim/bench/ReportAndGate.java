package io.forksim.bench;

import io.forksim.bench.report.JmhResult;
import io.forksim.bench.report.RegressionGate;
import io.forksim.bench.report.Report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The report and the regression gate over a JMH JSON result file: what every forksim bench run ends with. */
final class ReportAndGate
{
    private ReportAndGate()
    {
    }

    /**
     * Prints the report of {@code json} on {@code out}, then, when {@code gate}, the in-run ratio checks and (with a
     * {@code baseline}) the baseline comparison; the failing checks are named on {@code err}.
     *
     * @param baseline  a stored JMH JSON result, or null
     * @param tolerance the baseline comparison's extra margin as a fraction
     * @return 0 ok, 1 a check failed
     * @throws IOException when a file cannot be read or is not a JMH JSON result
     */
    static int run(final Path json, final boolean gate, final Path baseline, final double tolerance, final PrintStream out,
        final PrintStream err) throws IOException
    {
        final List<JmhResult> results = JmhResult.load(json);
        out.println();
        out.print(Report.render(results));
        if (!gate)
        {
            return 0;
        }
        final List<RegressionGate.Check> failures = new ArrayList<>();
        final RegressionGate.Verdict ratios = RegressionGate.checkRatios(results);
        out.println();
        out.println("Regression gate (in-run ratios, " + (int)(RegressionGate.CONFIDENCE * 100) + "% CI):");
        out.print(ratios.render());
        failures.addAll(ratios.failures());
        if (baseline != null)
        {
            final RegressionGate.Verdict base = RegressionGate.compareWithBaseline(results, JmhResult.load(baseline), tolerance);
            out.println();
            out.println("Regression gate (vs baseline " + baseline + "):");
            out.print(base.render());
            failures.addAll(base.failures());
        }
        if (failures.isEmpty())
        {
            out.println(ratios.applicable() || baseline != null ? "gate: ok" : "gate: nothing to check in this run");
            return 0;
        }
        err.println("forksim bench: REGRESSION");
        for (final RegressionGate.Check c : failures)
        {
            err.println("  " + c.name() + ": " + c.detail());
        }
        return 1;
    }
}
