package io.forksim.bench.report;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class RegressionGateTest
{
    private static RegressionGate.Check find(final RegressionGate.Verdict v, final String part)
    {
        return v.checks().stream().filter(c -> c.name().contains(part)).findFirst()
            .orElseThrow(() -> new AssertionError("no check named like " + part + " in " + v.render()));
    }

    @Test
    void passesWhenOrder0CostsNothingAndOrder9PaysOff()
    {
        final RegressionGate.Verdict v = RegressionGate.checkRatios(Fixtures.load("fork-pass.json"));
        assertThat(v.failed()).as(v.render()).isFalse();
        assertThat(v.applicable()).isTrue();
        assertThat(find(v, "x86_64 order-0 arch-batch/legacy").status()).isEqualTo(RegressionGate.Status.PASS);
        assertThat(find(v, "x86_64 order-0 folio-batch/legacy").status()).isEqualTo(RegressionGate.Status.PASS);
        assertThat(find(v, "x86_64 order-9 legacy/folio-batch").status()).isEqualTo(RegressionGate.Status.PASS);
        assertThat(find(v, "arm64 order-0 folio-batch/legacy").status()).isEqualTo(RegressionGate.Status.PASS);
        // arm64 arch-batch did not run: skipped, not failed
        assertThat(find(v, "arm64 order-0 arch-batch/legacy").status()).isEqualTo(RegressionGate.Status.SKIP);
    }

    @Test
    void failsNamingTheOffendingConfiguration()
    {
        final RegressionGate.Verdict v = RegressionGate.checkRatios(Fixtures.load("fork-regression.json"));
        assertThat(v.failed()).isTrue();
        final List<RegressionGate.Check> f = v.failures();
        assertThat(f).hasSize(2);
        assertThat(f.get(0).detail()).contains("REGRESSION in config=x86_64:arch-batch order=0").contains("best single ops 1.0505");
        assertThat(f.get(1).name()).contains("x86_64 order-9 legacy/folio-batch >= 3.0");
        assertThat(f.get(1).detail()).contains("REGRESSION in config=x86_64:folio-batch order=9").contains("ratio 1.99");
        // folio-batch at order 0 matches legacy
        assertThat(find(v, "x86_64 order-0 folio-batch/legacy").status()).isEqualTo(RegressionGate.Status.PASS);
    }

    @Test
    void warnsInsteadOfFailingWhenTheExcessIsWithinNoise()
    {
        final RegressionGate.Verdict v = RegressionGate.checkRatios(Fixtures.load("fork-noisy.json"));
        assertThat(v.failed()).isFalse();
        final RegressionGate.Check c = find(v, "x86_64 order-0 arch-batch/legacy");
        assertThat(c.status()).isEqualTo(RegressionGate.Status.WARN);
        assertThat(c.detail()).contains("ratio 1.0150").contains("within noise");
    }

    @Test
    void nothingToCheckWithoutForkBench()
    {
        final RegressionGate.Verdict v = RegressionGate.checkRatios(Fixtures.load("baseline.json").subList(1, 3));
        assertThat(v.failed()).isFalse();
        assertThat(v.applicable()).isFalse();
    }

    @Test
    void baselineComparisonUsesErrorBarsAndDirection()
    {
        final RegressionGate.Verdict v = RegressionGate.compareWithBaseline(Fixtures.load("current-vs-baseline.json"),
            Fixtures.load("baseline.json"), 0.05);
        assertThat(v.checks()).hasSize(3); // entries only in one file are ignored
        assertThat(find(v, "ForkBench.fork config=x86_64:legacy").status()).isEqualTo(RegressionGate.Status.FAIL);
        assertThat(find(v, "ForkBench.fork config=x86_64:legacy").detail()).contains("+10.0%").contains("REGRESSION");
        // 0.81 +- 0.03 overlaps 0.80 +- 0.02
        assertThat(find(v, "LoopBaseline.perPte").status()).isEqualTo(RegressionGate.Status.PASS);
        // throughput: lower is worse
        assertThat(find(v, "Example.throughput").status()).isEqualTo(RegressionGate.Status.FAIL);
    }

    @Test
    void aLargeToleranceAbsorbsTheShift()
    {
        final RegressionGate.Verdict v = RegressionGate.compareWithBaseline(Fixtures.load("current-vs-baseline.json"),
            Fixtures.load("baseline.json"), 0.25);
        assertThat(v.failed()).isFalse();
    }

    @Test
    void baselineWithNothingInCommonIsSkipped()
    {
        final RegressionGate.Verdict v = RegressionGate.compareWithBaseline(Fixtures.load("fork-noisy.json").subList(1, 2), Fixtures.load("baseline.json"), 0.05);
        assertThat(v.checks()).singleElement().extracting(RegressionGate.Check::status).isEqualTo(RegressionGate.Status.SKIP);
    }

    @Test
    void theFloorOfTheEngineArenaIsPreferredToAConfinedOneOfTheSameRun()
    {
        // the per-PTE floor (0.70 ms, confined) again as arena=engine at 0.80 ms: x86_64 order-0 legacy 1.0 / 0.8
        final List<JmhResult> results = new ArrayList<>(Fixtures.load("fork-floor.json"));
        final JmhResult confined = results.stream()
            .filter(r -> r.simpleName().equals("LoopBaseline.perPte")).findFirst().orElseThrow();
        final Map<String, String> params = new TreeMap<>(confined.params());
        params.put("arena", "engine");
        final JmhResult.Metric m = confined.primary();
        final double k = 0.8 / m.score();
        final List<double[]> raw = m.rawData().stream().map(f -> Arrays.stream(f).map(x -> x * k).toArray()).toList();
        results.add(new JmhResult(confined.benchmark(), confined.mode(), params,
            new JmhResult.Metric(0.8, m.error() * k, m.low() * k, m.high() * k, m.unit(), raw),
            confined.secondary(), confined.rounds()));
        final RegressionGate.Check x0 = find(RegressionGate.checkRatios(results), "x86_64 order-0 legacy/floor <= 1.5");
        assertThat(x0.detail()).startsWith("ratio 1.25");
    }

    @Test
    void theFloorChecksCompareEachForkWithTheFloorLoopOfTheSameRun()
    {
        // per-PTE floor 0.70 ms, batched floor (order 9) 0.24 ms; x86_64 order-0 legacy 1.0 ms, arm64 1.2 ms
        final RegressionGate.Verdict v = RegressionGate.checkRatios(Fixtures.load("fork-floor.json"));
        final RegressionGate.Check x0 = find(v, "x86_64 order-0 legacy/floor <= 1.5");
        assertThat(x0.status()).isEqualTo(RegressionGate.Status.PASS);
        assertThat(x0.detail()).startsWith("ratio 1.429");
        final RegressionGate.Check a0 = find(v, "arm64 order-0 legacy/floor <= 1.5");
        assertThat(a0.status()).isEqualTo(RegressionGate.Status.FAIL);
        assertThat(a0.detail()).startsWith("ratio 1.714").contains("above the floor target in config=arm64:legacy order=0");
        final RegressionGate.Check x9 = find(v, "x86_64 order-9 folio-batch/floor <= 1.1");
        assertThat(x9.status()).isEqualTo(RegressionGate.Status.PASS);
        assertThat(x9.detail()).startsWith("ratio 1.037");
        // no order-4 fork and no batched floor of order 4 in the run
        assertThat(find(v, "x86_64 order-4 folio-batch/floor").status()).isEqualTo(RegressionGate.Status.SKIP);
    }

    @Test
    void withoutTheFloorLoopTheFloorChecksAreSkipped()
    {
        final RegressionGate.Verdict v = RegressionGate.checkRatios(Fixtures.load("fork-pass.json"));
        assertThat(find(v, "x86_64 order-0 legacy/floor").status()).isEqualTo(RegressionGate.Status.SKIP);
        assertThat(find(v, "x86_64 order-0 legacy/floor").detail()).contains("LoopBaseline.perPte");
    }
}
