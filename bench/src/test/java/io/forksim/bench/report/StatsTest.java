package io.forksim.bench.report;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class StatsTest
{
    @Test
    void meanAndSampleStdev()
    {
        assertThat(Stats.mean(new double[] {1, 2, 3, 4})).isEqualTo(2.5);
        assertThat(Stats.stdev(new double[] {2, 4, 4, 4, 5, 5, 7, 9})).isCloseTo(2.138, within(1e-3));
        assertThat(Stats.stdev(new double[] {3})).isZero();
    }

    @Test
    void tQuantileApproachesTheNormal()
    {
        assertThat(Stats.tQuantile(0.99, 1e6)).isCloseTo(2.5758, within(1e-3));
        assertThat(Stats.tQuantile(0.99, 7)).isCloseTo(3.4995, within(1e-3));
    }

    @Test
    void ratioIntervalContainsTheTruthForEqualSamples()
    {
        final Stats.Ratio r = Stats.ratio(new double[] {1.0, 1.1, 0.9, 1.05}, new double[] {1.0, 1.1, 0.9, 1.05}, 0.99, true);
        assertThat(r.value()).isEqualTo(1.0);
        assertThat(r.low()).isLessThan(1.0);
        assertThat(r.high()).isGreaterThan(1.0);
        assertThat(r.surelyAbove(1.0)).isFalse();
        assertThat(r.surelyBelow(1.0)).isFalse();
    }

    @Test
    void ratioIntervalExcludesAClearDifference()
    {
        final Stats.Ratio r = Stats.ratio(new double[] {2.0, 2.01, 1.99, 2.0}, new double[] {1.0, 1.01, 0.99, 1.0}, 0.99, true);
        assertThat(r.value()).isCloseTo(2.0, within(1e-9));
        assertThat(r.surelyAbove(1.9)).isTrue();
        assertThat(r.surelyBelow(2.1)).isTrue();
    }

    @Test
    void ratioUsesForkMeansFromThreeForks()
    {
        final JmhResult.Metric a = Fixtures.load("fork-regression.json").get(1).primary();
        final JmhResult.Metric b = Fixtures.load("fork-regression.json").get(0).primary();
        final Stats.Ratio r = Stats.ratio(a, b, 0.99);
        assertThat(r.perFork()).isTrue();
        assertThat(r.value()).isCloseTo(1.05, within(1e-3));
    }
}
