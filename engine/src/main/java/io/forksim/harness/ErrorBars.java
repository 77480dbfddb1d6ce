package io.forksim.harness;

/**
 * The error bar of one result in {@code forksim fork --html}'s chart, in ns per page. This is the one place that
 * decides what a bar means: today ±1 standard deviation of the run means ({@link Result#stdevPct()}), because the
 * results carry no confidence interval of ns/page yet; when they do, {@link #of} and {@link #LEGEND} switch to the
 * 95% confidence interval together.
 */
public final class ErrorBars
{
    /** What the bars mean, for the chart's legend. */
    public static final String LEGEND = "error bars: \u00b11 stdev of the run means (not yet a 95% confidence interval)";

    private ErrorBars()
    {
    }

    /** The low and high end of {@code r}'s bar in ns/page; precondition: {@code r.nsPerPage()} is finite. */
    public static double[] of(final Result r)
    {
        final double half = r.nsPerPage() * r.stdevPct() / 100;
        return new double[] {Math.max(0, r.nsPerPage() - half), r.nsPerPage() + half};
    }
}
