package io.forksim.harness;

import io.forksim.stats.RunStatistics;
import java.util.ArrayList;
import java.util.List;

/**
 * One row of the report: a configuration's statistics, computed from a {@link RawResult} the way the thread
 * reports its microbenchmark: mean = the mean of the per-run means, stdev = the standard deviation of the per-run
 * means (n - 1) relative to that mean, vs legacy = mean / (legacy's mean for the same arch and order) - 1. The
 * statistics are {@link RunStatistics}'s.
 *
 * <p>The confidence interval against legacy pairs run {@code r} of the strategy with run {@code r} of legacy (they
 * ran in the same round, interleaved fork by fork, or back to back with {@code --reuse-parent};
 * {@link RunStatistics#pairedRatio}); its verdict is "faster", "slower" or "no
 * significant change". The floor is the {@link FloorLoop} timed in the same rounds: {@code vsFloor} = mean fork time /
 * mean floor pass time over as many pages. On arm64 (but at 9pmd) the {@link Arm64FloorLoop} of the order runs in the
 * same rounds too:
 * {@code vsArchFloor} = mean fork time / its mean pass time.
 *
 * @param vsLegacyPct  null when legacy was not measured
 * @param vsLegacyCi95 the 95% interval of the change against legacy in percent, {low, high}; null when legacy was
 *                     not measured or there was one run only
 * @param verdict      null when legacy was not measured
 * @param floorNsPerPage NaN when the floor was not measured
 * @param vsFloor      NaN when the floor was not measured
 * @param forkPageFaults page faults inside all timed forks together, -1 when unknown
 * @param preemptedForks timed forks during which the measuring thread was preempted, -1 when unknown
 * @param archFloorNsPerPage the arm64 floor's ns per page; NaN where it was not measured (x86_64, arm64 9pmd)
 * @param vsArchFloor  NaN where the arm64 floor was not measured
 */
public record Result(String arch, String strategy, int order, long pages, double meanNs, double stdevPct, double nsPerPage,
    Double vsLegacyPct, double[] vsLegacyCi95, RunStatistics.Verdict verdict, double teardownNs, double restoreNs,
    long[] events, boolean eventsIdentical, double floorNsPerPage, double vsFloor, ForkTimes forkTimes, int warmupForks,
    boolean warmupSteady, int pinnedCpu, long forkPageFaults, long preemptedForks, double archFloorNsPerPage,
    double vsArchFloor)
{
    /** A row without an arch floor (NaN). */
    public Result(final String arch, final String strategy, final int order, final long pages, final double meanNs,
        final double stdevPct, final double nsPerPage, final Double vsLegacyPct, final double[] vsLegacyCi95,
        final RunStatistics.Verdict verdict, final double teardownNs, final double restoreNs, final long[] events,
        final boolean eventsIdentical, final double floorNsPerPage, final double vsFloor, final ForkTimes forkTimes,
        final int warmupForks, final boolean warmupSteady, final int pinnedCpu, final long forkPageFaults,
        final long preemptedForks)
    {
        this(arch, strategy, order, pages, meanNs, stdevPct, nsPerPage, vsLegacyPct, vsLegacyCi95, verdict, teardownNs,
            restoreNs, events, eventsIdentical, floorNsPerPage, vsFloor, forkTimes, warmupForks, warmupSteady,
            pinnedCpu, forkPageFaults, preemptedForks, Double.NaN, Double.NaN);
    }

    public static List<Result> of(final List<RawResult> raws)
    {
        final List<Result> out = new ArrayList<>();
        for (final RawResult r : raws)
        {
            final double mean = mean(r.runMeansNs());
            final RawResult legacy = raws.stream()
                .filter(x -> x.arch().equals(r.arch()) && x.order() == r.order() && x.strategy().equals("legacy"))
                .findFirst().orElse(null);
            Double vs = null;
            double[] ci = null;
            RunStatistics.Verdict verdict = null;
            if (legacy != null)
            {
                vs = (mean / mean(legacy.runMeansNs()) - 1) * 100;
                final RunStatistics.Ratio p = RunStatistics.pairedRatio(r.runMeansNs(), legacy.runMeansNs(),
                    RunStatistics.CONFIDENCE_95);
                verdict = p.verdict();
                if (!Double.isNaN(p.low()))
                {
                    ci = new double[] {(p.low() - 1) * 100, (p.high() - 1) * 100};
                }
            }
            final double floorMean = meanOrNaN(r.floorRunMeansNs());
            final double archFloorMean = meanOrNaN(r.archFloorRunMeansNs());
            out.add(new Result(r.arch(), r.strategy(), r.order(), r.pages(), mean, stdev(r.runMeansNs()) / mean * 100,
                mean / r.pages(), vs, ci, verdict, r.teardownNs(), r.restoreNs(), r.events(), r.eventsIdentical(),
                floorMean / r.pages(), mean / floorMean, r.forkTimes() == null ? ForkTimes.NONE : r.forkTimes(),
                r.warmupForks(), r.warmupSteady(), r.pinnedCpu(), r.forkPageFaults(), r.preemptedForks(),
                archFloorMean / r.pages(), mean / archFloorMean));
        }
        return out;
    }

    /** The mean of a floor's run means; NaN when it was not measured (null or empty). */
    private static double meanOrNaN(final double[] runMeans)
    {
        return runMeans == null || runMeans.length == 0 ? Double.NaN : RunStatistics.mean(runMeans);
    }

    /** {@link RunStatistics#mean}, but 0 for no values (a configuration without runs reports 0, not NaN). */
    static double mean(final double[] v)
    {
        return v.length == 0 ? 0 : RunStatistics.mean(v);
    }

    /** {@link RunStatistics#stdev}: the sample standard deviation (n - 1); 0 for fewer than two values. */
    static double stdev(final double[] v)
    {
        return RunStatistics.stdev(v);
    }
}
