package io.forksim.harness;

import io.forksim.stats.RunStatistics;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A report row from a worker's raw numbers: the thread's mean and stdev, the paired interval, the floor ratio. */
class ResultTest
{
    private static RawResult raw(final String strategy, final double[] runs, final double[] floor)
    {
        return new RawResult("x86_64", strategy, 0, 1000, runs, 10, 5, new long[Events.NAMES.length], true, floor,
            ForkTimes.NONE, 40, true, 1, 0, 0);
    }

    @Test
    void aStrategyFasterInEveryRunIsFasterWithAnIntervalBelowZero()
    {
        final double[] floor = {400, 400, 400, 400};
        final List<Result> rs = Result.of(List.of(
            raw("legacy", new double[] {1000, 1100, 1050, 1000}, floor),
            raw("folio-batch", new double[] {900, 990, 945, 900}, floor)));
        final Result legacy = rs.get(0);
        final Result folio = rs.get(1);
        assertThat(legacy.meanNs()).isEqualTo(1037.5);
        assertThat(legacy.vsLegacyPct()).isZero();
        assertThat(legacy.vsLegacyCi95()).containsExactly(0.0, 0.0);
        assertThat(legacy.verdict()).isEqualTo(RunStatistics.Verdict.NO_SIGNIFICANT_CHANGE);
        // every run is exactly 10% faster: the paired interval has no width
        assertThat(folio.vsLegacyPct()).isCloseTo(-10.0, within(1e-9));
        assertThat(folio.vsLegacyCi95()[0]).isCloseTo(-10.0, within(1e-9));
        assertThat(folio.vsLegacyCi95()[1]).isCloseTo(-10.0, within(1e-9));
        assertThat(folio.verdict()).isEqualTo(RunStatistics.Verdict.FASTER);
        assertThat(folio.floorNsPerPage()).isEqualTo(0.4);
        assertThat(folio.vsFloor()).isCloseTo(933.75 / 400, within(1e-9));
    }

    @Test
    void aChangeSmallerThanTheRunToRunNoiseIsNoSignificantChange()
    {
        final List<Result> rs = Result.of(List.of(
            raw("legacy", new double[] {1000, 1000, 1000}, new double[] {500, 500, 500}),
            raw("arch-batch", new double[] {980, 1030, 990}, new double[] {500, 500, 500})));
        final Result a = rs.get(1);
        assertThat(a.vsLegacyCi95()[0]).isNegative();
        assertThat(a.vsLegacyCi95()[1]).isPositive();
        assertThat(a.verdict()).isEqualTo(RunStatistics.Verdict.NO_SIGNIFICANT_CHANGE);
    }

    @Test
    void withoutLegacyThereIsNoChangeNoIntervalAndNoVerdict()
    {
        final Result r = Result.of(List.of(raw("folio-batch", new double[] {900, 950}, null))).getFirst();
        assertThat(r.vsLegacyPct()).isNull();
        assertThat(r.vsLegacyCi95()).isNull();
        assertThat(r.verdict()).isNull();
        assertThat(r.floorNsPerPage()).isNaN();
        assertThat(r.vsFloor()).isNaN();
    }

    @Test
    void oneRunHasAChangeButNoInterval()
    {
        final List<Result> rs = Result.of(List.of(raw("legacy", new double[] {1000}, new double[] {300}),
            raw("folio-batch", new double[] {500}, new double[] {300})));
        assertThat(rs.get(1).vsLegacyPct()).isEqualTo(-50.0);
        assertThat(rs.get(1).vsLegacyCi95()).isNull();
        assertThat(rs.get(1).verdict()).isEqualTo(RunStatistics.Verdict.NO_SIGNIFICANT_CHANGE);
        assertThat(rs.get(1).stdevPct()).isZero();
    }

    @Test
    void noRunsGiveAMeanOfZeroNotNaN()
    {
        assertThat(Result.mean(new double[0])).isZero();
        assertThat(Result.stdev(new double[0])).isZero();
    }
}
