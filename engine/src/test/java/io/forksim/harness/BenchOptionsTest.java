package io.forksim.harness;

import io.forksim.harness.BenchOptions.Profile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchOptionsTest
{
    @Test
    void everyOptionSurvivesTheTripThroughJson()
    {
        final BenchOptions o = new BenchOptions(true, Profile.async, "ctimer", Path.of("/tmp/base line.json"), 0.025,
            Path.of("/tmp/out.json"), null, false, List.of("-f", "1", "ForkBench", "-p", "order=0,9"));
        assertThat(BenchOptions.fromJson(o.toJson())).isEqualTo(o);
        assertThat(BenchOptions.fromJson(BenchOptions.defaults().toJson())).isEqualTo(BenchOptions.defaults());
    }

    @Test
    void defaultsAreTheQuickGateSet()
    {
        assertThat(BenchOptions.defaults()).isEqualTo(new BenchOptions(false, null, null, null, 0.05, null, null, true, List.of()));
    }

    @Test
    void badValuesAreNamed()
    {
        assertThatThrownBy(() -> new BenchOptions(false, null, null, null, 10, null, null, true, List.of()))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("--tolerance must be a percentage between 0 and 1000, not 1000.0");
        assertThatThrownBy(() -> new BenchOptions(false, null, null, null, Double.NaN, null, null, true, List.of()))
            .hasMessageContaining("not NaN");
        assertThatThrownBy(() -> new BenchOptions(false, Profile.async, "cpu,alloc", null, 0.05, null, null, true, List.of()))
            .hasMessage("--event takes one async-profiler event name, not 'cpu,alloc'");
        assertThatThrownBy(() -> new BenchOptions(false, Profile.gc, "cpu", null, 0.05, null, null, true, List.of()))
            .hasMessage("--event needs --profile async");
    }

    @Test
    void badJsonIsOneLineNamingTheProblem()
    {
        assertThatThrownBy(() -> BenchOptions.fromJson("{"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("bad --forksim-options JSON: ");
        assertThatThrownBy(() -> BenchOptions.fromJson(BenchOptions.defaults().toJson().replace("0.05", "-1")))
            .hasMessage("bad --forksim-options JSON: --tolerance must be a percentage between 0 and 1000, not -100.0");
        assertThatThrownBy(() -> BenchOptions.fromJson("{\"profile\":\"perf\"}")).hasMessageContaining("perf");
    }
}
