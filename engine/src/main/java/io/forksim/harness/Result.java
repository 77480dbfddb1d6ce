package io.forksim.harness;

import java.util.ArrayList;
import java.util.List;

/**
 * One row of the report: a configuration's statistics, computed from a {@link RawResult} the way the thread
 * reports its microbenchmark: mean = the mean of the per-run means, stdev = the standard deviation of the per-run
 * means (n - 1) relative to that mean, vs legacy = mean / (legacy's mean for the same arch and order) - 1.
 *
 * @param vsLegacyPct null when legacy was not measured
 */
public record Result(String arch, String strategy, int order, long pages, double meanNs, double stdevPct, double nsPerPage,
    Double vsLegacyPct, double teardownNs, double restoreNs, long[] events, boolean eventsIdentical)
{
    public static List<Result> of(final List<RawResult> raws)
    {
        final List<Result> out = new ArrayList<>();
        for (final RawResult r : raws)
        {
            final double mean = mean(r.runMeansNs());
            final RawResult legacy = raws.stream()
                .filter(x -> x.arch().equals(r.arch()) && x.order() == r.order() && x.strategy().equals("legacy"))
                .findFirst().orElse(null);
            final Double vs = legacy == null ? null : (mean / mean(legacy.runMeansNs()) - 1) * 100;
            out.add(new Result(r.arch(), r.strategy(), r.order(), r.pages(), mean, stdev(r.runMeansNs()) / mean * 100,
                mean / r.pages(), vs, r.teardownNs(), r.restoreNs(), r.events(), r.eventsIdentical()));
        }
        return out;
    }

    static double mean(final double[] v)
    {
        double s = 0;
        for (final double x : v)
        {
            s += x;
        }
        return v.length == 0 ? 0 : s / v.length;
    }

    /** Sample standard deviation (n - 1); 0 for fewer than two values. */
    static double stdev(final double[] v)
    {
        if (v.length < 2)
        {
            return 0;
        }
        final double m = mean(v);
        double s = 0;
        for (final double x : v)
        {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }
}
