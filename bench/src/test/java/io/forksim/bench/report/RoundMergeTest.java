package io.forksim.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Interleaved rounds (one JMH fork of every configuration each) merge into one JMH result, forks in round order. */
class RoundMergeTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** One round's JMH JSON: ForkBench.fork for two configs, one fork each, in the given order. */
    private static String round(final String firstConfig, final double[] first, final String secondConfig, final double[] second)
    {
        return "[" + entry(firstConfig, first) + "," + entry(secondConfig, second) + "]";
    }

    private static String entry(final String config, final double[] samples)
    {
        final StringBuilder raw = new StringBuilder("[");
        double sum = 0;
        for (int i = 0; i < samples.length; i++)
        {
            raw.append(i == 0 ? "" : ",").append(samples[i]);
            sum += samples[i];
        }
        raw.append(']');
        return "{\"jmhVersion\":\"1.37\",\"benchmark\":\"io.forksim.bench.ForkBench.fork\",\"mode\":\"ss\",\"threads\":1,"
            + "\"forks\":1,\"measurementIterations\":" + samples.length + ",\"params\":{\"config\":\"" + config
            + "\",\"mode\":\"fresh\",\"order\":\"0\",\"size\":\"1G\"},\"primaryMetric\":{\"score\":" + sum / samples.length
            + ",\"scoreError\":\"NaN\",\"scoreConfidence\":[0,0],\"scorePercentiles\":{},\"scoreUnit\":\"ms/op\","
            + "\"rawData\":[" + raw + "]},\"secondaryMetrics\":{}}";
    }

    private static ArrayNode parse(final String json) throws IOException
    {
        return (ArrayNode)MAPPER.readTree(json);
    }

    @Test
    void threeRoundsBecomeThreeForksPerConfigurationInRoundOrderWithTheScoreOverAllSamples() throws IOException
    {
        final ArrayNode merged = RoundMerge.merge(List.of(
            parse(round("x86_64:legacy", new double[] {2.0, 2.2}, "x86_64:folio-batch", new double[] {1.0, 1.2})),
            parse(round("x86_64:folio-batch", new double[] {1.4, 1.6}, "x86_64:legacy", new double[] {2.4, 2.6})),
            parse(round("x86_64:legacy", new double[] {2.8, 3.0}, "x86_64:folio-batch", new double[] {1.8, 2.0}))));

        assertThat(merged).hasSize(2);
        assertThat(merged.get(0).path("params").path("config").asText()).isEqualTo("x86_64:legacy");
        assertThat(merged.get(0).path("forks").asInt()).isEqualTo(3);
        assertThat(merged.get(0).path(RoundMerge.ROUNDS).asInt()).isEqualTo(3);
        assertThat(merged.get(0).path("primaryMetric").path("rawData").toString())
            .isEqualTo("[[2.0,2.2],[2.4,2.6],[2.8,3.0]]");
        assertThat(merged.get(0).path("primaryMetric").path("score").asDouble()).isCloseTo(2.5, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(merged.get(1).path("primaryMetric").path("rawData").toString())
            .isEqualTo("[[1.0,1.2],[1.4,1.6],[1.8,2.0]]");
        assertThat(merged.get(1).path("primaryMetric").path("score").asDouble()).isCloseTo(1.5, org.assertj.core.data.Offset.offset(1e-12));
        final double err = merged.get(1).path("primaryMetric").path("scoreError").asDouble();
        assertThat(err).isPositive();
        assertThat(merged.get(1).path("primaryMetric").path("scoreConfidence").get(0).asDouble()).isCloseTo(1.5 - err, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(merged.get(1).path("primaryMetric").path("scorePercentiles").path("0.0").asDouble()).isEqualTo(1.0);
        assertThat(merged.get(1).path("primaryMetric").path("scorePercentiles").path("100.0").asDouble()).isEqualTo(2.0);
    }

    @Test
    void theMergedFileReadsBackAsAJmhResultWithOneMeanPerRound(@TempDir final Path dir) throws IOException
    {
        final Path a = Files.writeString(dir.resolve("r1"), round("x86_64:legacy", new double[] {2.0}, "x86_64:folio-batch", new double[] {1.0}));
        final Path b = Files.writeString(dir.resolve("r2"), round("x86_64:folio-batch", new double[] {3.0}, "x86_64:legacy", new double[] {4.0}));
        final Path out = dir.resolve("merged.json");
        RoundMerge.merge(List.of(a, b), out);
        final List<JmhResult> results = JmhResult.load(out);
        assertThat(results).hasSize(2);
        assertThat(results.get(0).primary().forkMeans()).containsExactly(2.0, 4.0);
        assertThat(results.get(1).primary().forkMeans()).containsExactly(1.0, 3.0);
    }

    @Test
    void aRoundThatIsNotAJmhResultArrayIsRefusedNamingTheFile(@TempDir final Path dir) throws IOException
    {
        final Path bad = Files.writeString(dir.resolve("round7.json"), "{\"benchmark\":\"x\"}");
        assertThatThrownBy(() -> RoundMerge.merge(List.of(bad), dir.resolve("out.json")))
            .isInstanceOf(IOException.class).hasMessageContaining("round7.json");
        assertThat(dir.resolve("out.json")).doesNotExist();
    }
}
