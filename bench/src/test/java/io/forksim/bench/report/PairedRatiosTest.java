package io.forksim.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.forksim.stats.RunStatistics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Ratios against legacy, paired by round, with RunStatisticsTest's worked example as the fork times. */
class PairedRatiosTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Legacy's fork means per round (ms) and folio-batch's log ratio to them: e^-0.10, e^-0.05, e^-0.15, e^-0.10. */
    private static final double[] LEGACY = {100, 200, 300, 400};
    private static final double[] LOG_RATIO = {-0.10, -0.05, -0.15, -0.10};

    @Test
    void roundsArePairedAndGetAnIntervalAndAVerdict() throws IOException
    {
        final List<JmhResult> rs = JmhResult.parse(RoundMerge.merge(rounds()).toString());
        assertThat(rs).extracting(JmhResult::rounds).containsExactly(4, 4);
        final RunStatistics.Ratio r = PairedRatios.ratio(rs.get(1), rs.get(0));
        // RunStatisticsTest.pairedRatioWorkedExample: 0.9048374 [0.8479264, 0.9655682]
        assertThat(r.value()).isCloseTo(0.9048374180359595, within(1e-12));
        assertThat(r.low()).isCloseTo(0.8479264222398306, within(1e-9));
        assertThat(r.verdict()).isEqualTo(RunStatistics.Verdict.FASTER);

        final String t = SeedTable.render(rs);
        assertThat(t).contains("x86_64 vs legacy, paired by round (4 rounds; fork r of both ran in round r)");
        assertThat(t).contains("| folio-batch   |     0 |     -9.5% |    [-15.2%, -3.4%] | faster                |");
    }

    @Test
    void forksJmhRanOneAfterTheOtherAreNotPaired()
    {
        final List<JmhResult> rs = Fixtures.load("fork-pass.json");
        assertThat(rs.get(0).rounds()).isZero();
        assertThat(PairedRatios.ratio(rs.get(1), rs.get(0))).isNull();
        assertThat(SeedTable.render(rs)).doesNotContain("paired by round");
    }

    /** Four rounds of one fork each of x86_64 legacy and folio-batch at order 0, one single-shot iteration per fork. */
    private static List<ArrayNode> rounds() throws IOException
    {
        final List<ArrayNode> out = new ArrayList<>();
        for (int r = 0; r < LEGACY.length; r++)
        {
            out.add((ArrayNode)MAPPER.readTree("[" + entry("x86_64:legacy", LEGACY[r]) + ","
                + entry("x86_64:folio-batch", LEGACY[r] * Math.exp(LOG_RATIO[r])) + "]"));
        }
        return out;
    }

    private static String entry(final String config, final double ms)
    {
        return String.format(Locale.ROOT, "{\"benchmark\":\"io.forksim.bench.ForkBench.fork\",\"mode\":\"ss\",\"forks\":1,"
            + "\"params\":{\"config\":\"%s\",\"mode\":\"fresh\",\"order\":\"0\",\"size\":\"1G\"},"
            + "\"primaryMetric\":{\"score\":%s,\"scoreUnit\":\"ms/op\",\"rawData\":[[%s]]},\"secondaryMetrics\":{}}", config, ms, ms);
    }
}
