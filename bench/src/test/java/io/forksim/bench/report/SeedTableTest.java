package io.forksim.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SeedTableTest
{
    @Test
    void relativeMeanAndStdevAreAgainstLegacy()
    {
        final List<JmhResult> rs = Fixtures.load("fork-pass.json");
        final double[] legacy = SeedTable.relative(rs.get(0), rs.get(0));
        assertThat(legacy[0]).isCloseTo(0, within(1e-9));
        // fork means 1.00333, 1.00667, 0.99 around 1.0: sample stdev 0.882%
        assertThat(legacy[1]).isCloseTo(0.882, within(1e-3));
        final double[] arch = SeedTable.relative(rs.get(1), rs.get(0));
        assertThat(arch[0]).isCloseTo(-0.667, within(1e-3));
    }

    @Test
    void rendersTheThreadsTables()
    {
        final String t = SeedTable.render(Fixtures.load("fork-pass.json"));
        assertThat(t).contains("3 forks x 3 iterations");
        assertThat(t).contains("| x86_64        | order-0 (pte-map) | order-9 (pte-map) |");
        assertThat(t).contains("| legacy        |    0.0% |    0.9% |    0.0% |    0.0% |");
        assertThat(t).contains("| arch-batch    |   -0.7% |    0.6% |       - |       - |");
        assertThat(t).contains("| folio-batch   |    0.0% |    0.3% |  -75.0% |    0.0% |");
        assertThat(t).contains("| arm64");
        // absolute: 1 ms / 262144 pages = 3.81 ns per page; teardown 2.62144 ms = 10 ns per page
        assertThat(t).contains("3.81 (1.000 ms) / 10.00");
        assertThat(t).contains("0.95 (0.250 ms)");
        // best single fork: legacy order 0 min 0.98 ms over 262144 pages; per-run minima 0.99, 0.99, 0.98
        assertThat(t).contains("best single fork").contains("3.74 (3.74-3.78)");
    }

    @Test
    void nothingWithoutForkBench()
    {
        assertThat(SeedTable.render(Fixtures.load("baseline.json").subList(1, 3))).isEmpty();
    }

    @Test
    void reportListsEveryResultWithNsPerPageAndAllocation()
    {
        final String r = Report.render(Fixtures.load("fork-pass.json"));
        assertThat(r).contains("ForkBench.fork config=x86_64:legacy mode=fresh order=0 size=1G");
        assertThat(r).contains("3.815 ns/page");
        assertThat(r).contains("gc.alloc.rate.norm 0.1 B/op");
        assertThat(r).contains("arm64 contpte cliff");
    }

    @Test
    void theSeedTableShowsEachForkAgainstTheFloorOfTheSameRun()
    {
        final String out = SeedTable.render(Fixtures.load("fork-floor.json"));
        assertThat(out).contains("| x floor (same run)         | order-0 (per-PTE)        | order-9 (batched)        |");
        assertThat(out).contains("| x86_64 legacy              |  1.43 (95% CI ");
        assertThat(out).contains("| floor ns/page              | 2.67                     | 0.92                     |");
    }
}
