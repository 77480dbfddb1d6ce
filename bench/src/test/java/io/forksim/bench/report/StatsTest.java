package io.forksim.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class StatsTest
{
    @Test
    void ratioUsesForkMeansFromThreeForks()
    {
        final JmhResult.Metric a = Fixtures.load("fork-regression.json").get(1).primary();
        final JmhResult.Metric b = Fixtures.load("fork-regression.json").get(0).primary();
        final Stats.Ratio r = Stats.ratio(a, b, 0.99);
        assertThat(r.perFork()).isTrue();
        assertThat(r.ratio().value()).isCloseTo(1.05, within(1e-3));
    }

    @Test
    void ratioUsesIterationsFromFewerForks()
    {
        final List<JmhResult> rs = JmhResult.parse("""
            [ { "benchmark" : "a.B.c", "mode" : "ss", "params" : { },
                "primaryMetric" : { "score" : 2.0, "scoreUnit" : "ms/op", "rawData" : [[2.0, 2.1, 1.9]] } },
              { "benchmark" : "a.B.d", "mode" : "ss", "params" : { },
                "primaryMetric" : { "score" : 1.0, "scoreUnit" : "ms/op", "rawData" : [[1.0, 1.05, 0.95]] } } ]
            """);
        final Stats.Ratio r = Stats.ratio(rs.get(0).primary(), rs.get(1).primary(), 0.99);
        assertThat(r.perFork()).isFalse();
        assertThat(r.ratio().value()).isEqualTo(2.0);
        assertThat(r.ratio().surelyAbove(1.5)).isTrue();
    }

    @Test
    void withoutRawDataTheScoresErrorBarsAreCombined()
    {
        final List<JmhResult> rs = JmhResult.parse("""
            [ { "benchmark" : "a.B.c", "mode" : "avgt", "params" : { },
                "primaryMetric" : { "score" : 2.0, "scoreError" : 0.06, "scoreUnit" : "ns/op" } },
              { "benchmark" : "a.B.d", "mode" : "avgt", "params" : { },
                "primaryMetric" : { "score" : 1.0, "scoreError" : 0.04, "scoreUnit" : "ns/op" } } ]
            """);
        final Stats.Ratio r = Stats.ratio(rs.get(0).primary(), rs.get(1).primary(), 0.99);
        // relative errors 3% and 4%: combined 5%, so [2 e^-0.05, 2 e^0.05]
        assertThat(r.perFork()).isFalse();
        assertThat(r.ratio().low()).isCloseTo(2 * Math.exp(-0.05), within(1e-12));
        assertThat(r.ratio().high()).isCloseTo(2 * Math.exp(0.05), within(1e-12));
    }
}
