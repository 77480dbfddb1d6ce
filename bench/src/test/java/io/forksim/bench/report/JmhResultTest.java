package io.forksim.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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

    @Test
    void jmhNonFiniteStringsAreNumbers()
    {
        final List<JmhResult> rs = JmhResult.parse("""
            [ { "benchmark" : "a.B.c", "mode" : "avgt",
                "primaryMetric" : { "score" : "Infinity", "scoreError" : "NaN", "scoreConfidence" : ["-Infinity", "Infinity"],
                                    "scoreUnit" : "ns/op", "rawData" : [[1.5, "NaN"]] } } ]
            """);
        final JmhResult.Metric m = rs.get(0).primary();
        assertThat(m.score()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(m.error()).isNaN();
        assertThat(m.low()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(m.rawData().get(0)[0]).isEqualTo(1.5);
        assertThat(m.rawData().get(0)[1]).isNaN();
        assertThat(rs.get(0).params()).isEmpty();
        assertThat(rs.get(0).secondary()).isEmpty();
    }

    @Test
    void badInputIsOneLineNamingWhatIsWrong()
    {
        assertThatThrownBy(() -> JmhResult.parse("[1, 2")).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not JSON");
        assertThatThrownBy(() -> JmhResult.parse("{}")).hasMessageContaining("an array of benchmark entries");
        assertThatThrownBy(() -> JmhResult.parse("[ { \"mode\" : \"ss\" } ]")).hasMessage("JMH result entry without \"benchmark\": [mode]");
        assertThatThrownBy(() -> JmhResult.parse("""
            [ { "benchmark" : "a.B.c", "mode" : "ss", "primaryMetric" : { "score" : "fast" } } ]
            """)).hasMessage("not a number: \"fast\"");
    }

    @Test
    void loadNamesTheFile(@TempDir final Path dir) throws IOException
    {
        final Path f = dir.resolve("broken.json");
        Files.writeString(f, "[");
        assertThatThrownBy(() -> JmhResult.load(f)).isInstanceOf(IOException.class).hasMessageStartingWith(f + ": not JSON");
    }
}
