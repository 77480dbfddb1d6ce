package io.forksim.harness;

import io.forksim.stats.RunStatistics;

/**
 * The error bar of one result in {@code forksim fork --html}'s chart, in ns per page. This is the one place that
 * decides what a bar means: the 95% confidence interval of the mean ns/page, a Student t interval over the
 * configuration's run means ({@link RunStatistics#meanHalfWidth}: mean ± t(0.975, n - 1) · stdev / √n, with n the
 * number of runs). With one run there is no interval and the bar is the point itself.
 */
public final class ErrorBars
{
    /** What the bars mean, for the chart's legend. */
    public static final String LEGEND = "error bars: 95% confidence interval of the mean (t over the run means)";

    private ErrorBars()
    {
    }

    /**
     * The low and high end of {@code r}'s bar in ns/page.
     *
     * @param r    a result; precondition: {@code r.nsPerPage()} is finite
     * @param runs the number of run means behind {@code r}, at least 1
     */
    public static double[] of(final Result r, final int runs)
    {
        if (runs < 1)
        {
            throw new IllegalArgumentException("an error bar needs at least one run, not " + runs);
        }
        final double stdev = r.nsPerPage() * r.stdevPct() / 100;
        final double half = runs < 2 ? 0 : RunStatistics.meanHalfWidth(stdev, runs, RunStatistics.CONFIDENCE_95);
        return new double[] {Math.max(0, r.nsPerPage() - half), r.nsPerPage() + half};
    }
}
