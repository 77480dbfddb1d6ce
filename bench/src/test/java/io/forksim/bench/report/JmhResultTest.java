package io.forksim.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class JmhResultTest
{
    @Test
    void readsParamsMetricsAndRawData()
    {
        final List<JmhResult> rs = Fixtures.load("fork-pass.json");
        final JmhResult r = rs.get(0);
        assertThat(r.benchmark()).isEqualTo("io.forksim.bench.ForkBench.fork");
        assertThat(r.simpleName()).isEqualTo("ForkBench.fork");
        assertThat(r.mode()).isEqualTo("ss");
        assertThat(r.params()).containsEntry("config", "x86_64:legacy").containsEntry("order", "0");
        assertThat(r.primary().unit()).isEqualTo("ms/op");
        assertThat(r.primary().toNanos()).isEqualTo(1e6);
        assertThat(r.primary().rawData()).hasSize(3);
        assertThat(r.primary().samples()).hasSize(9);
        assertThat(r.primary().forkMeans()[0]).isCloseTo((1.00 + 1.02 + 0.99) / 3, within(1e-12));
        assertThat(r.secondary()).containsKey("gc.alloc.rate.norm");
        assertThat(r.secondary().get("gc.alloc.rate.norm").error()).isNaN();
        assertThat(r.label()).isEqualTo("ForkBench.fork config=x86_64:legacy mode=fresh order=0 size=1G");
    }

    @Test
    void oldSecondaryMetricNamesLoseTheirDot()
    {
        final List<JmhResult> rs = JmhResult.parse("""
            [ { "benchmark" : "a.B.c", "mode" : "avgt", "params" : { },
                "primaryMetric" : { "score" : 1.0, "scoreError" : 0.1, "scoreConfidence" : [0.9, 1.1], "scoreUnit" : "ns/op", "rawData" : [[1.0]] },
                "secondaryMetrics" : { "\\u00b7gc.alloc.rate.norm" : { "score" : 0.0, "scoreError" : "NaN", "scoreUnit" : "B/op" } } } ]
            """);
        assertThat(rs.get(0).secondary()).containsOnlyKeys("gc.alloc.rate.norm");
        assertThat(rs.get(0).simpleName()).isEqualTo("B.c");
    }

    @Test
    void timeUnits()
    {
        assertThat(JmhResult.nanosPer("ns/op")).isEqualTo(1);
        assertThat(JmhResult.nanosPer("us/op")).isEqualTo(1e3);
        assertThat(JmhResult.nanosPer("s/op")).isEqualTo(1e9);
        assertThat(JmhResult.nanosPer("ops/ms")).isNaN();
        assertThat(JmhResult.nanosPer("B/op")).isNaN();
    }
}
