package io.forksim.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.openjdk.jmh.util.ListStatistics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges the JMH JSON results of interleaved rounds (each round one JMH fork of every configuration) into one
 * result file in JMH's own format, as if JMH had run all forks of a configuration: per benchmark and parameter
 * combination the raw data of every round is appended (one array per fork, rounds in order), {@code forks} is
 * the number of rounds, and the score, its 99.9% error, its confidence interval and its percentiles are computed
 * again over all samples with JMH's own {@link ListStatistics}, the way JMH computes them for one run. Each merged
 * entry also gets {@value #ROUNDS} (not one of JMH's fields): the number of rounds it came from, fork {@code r} from
 * round {@code r + 1}, so a report may pair fork {@code r} of two configurations ({@link PairedRatios}).
 */
public final class RoundMerge
{
    /** The field of a merged entry that holds the number of rounds its forks came from. */
    public static final String ROUNDS = "forksimRounds";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final double CONFIDENCE = 0.999;
    private static final double[] PERCENTILES = {0.0, 50.0, 90.0, 95.0, 99.0, 99.9, 99.99, 99.999, 99.9999, 100.0};

    private RoundMerge()
    {
    }

    /**
     * Reads the round files, writes the merged result to {@code out}.
     *
     * @throws IOException if a file cannot be read or written, or a round is not a JMH JSON array (naming the file)
     */
    public static void merge(final List<Path> rounds, final Path out) throws IOException
    {
        final List<ArrayNode> parsed = new ArrayList<>();
        for (final Path p : rounds)
        {
            final JsonNode n;
            try
            {
                n = MAPPER.readTree(Files.readString(p));
            }
            catch (final com.fasterxml.jackson.core.JsonProcessingException e)
            {
                throw new IOException(p + ": not JSON: " + e.getOriginalMessage(), e);
            }
            if (!(n instanceof ArrayNode a))
            {
                throw new IOException(p + ": not a JMH JSON result (an array of benchmark entries)");
            }
            parsed.add(a);
        }
        Files.writeString(out, MAPPER.writeValueAsString(merge(parsed)));
    }

    /** The merge of already parsed rounds; entries keep the order in which they first appear. */
    public static ArrayNode merge(final List<ArrayNode> rounds)
    {
        final Map<String, ObjectNode> byKey = new LinkedHashMap<>();
        final Map<String, Integer> forks = new LinkedHashMap<>();
        final Map<String, Integer> roundsSeen = new LinkedHashMap<>();
        for (final ArrayNode round : rounds)
        {
            for (final JsonNode e : round)
            {
                final String key = e.path("benchmark").asText() + ' ' + e.path("mode").asText() + ' ' + e.path("params");
                final ObjectNode seen = byKey.get(key);
                roundsSeen.merge(key, 1, Integer::sum);
                if (seen == null)
                {
                    byKey.put(key, ((ObjectNode)e).deepCopy());
                    forks.put(key, e.path("forks").asInt(1));
                    continue;
                }
                appendRawData((ObjectNode)seen.get("primaryMetric"), e.path("primaryMetric"));
                final JsonNode sec = e.path("secondaryMetrics");
                if (seen.get("secondaryMetrics") instanceof ObjectNode mine)
                {
                    sec.fieldNames().forEachRemaining(name ->
                    {
                        if (mine.get(name) instanceof ObjectNode m)
                        {
                            appendRawData(m, sec.get(name));
                        }
                    });
                }
                forks.merge(key, e.path("forks").asInt(1), Integer::sum);
            }
        }
        final ArrayNode merged = MAPPER.createArrayNode();
        for (final Map.Entry<String, ObjectNode> en : byKey.entrySet())
        {
            final ObjectNode e = en.getValue();
            e.put("forks", forks.get(en.getKey()));
            e.put(ROUNDS, roundsSeen.get(en.getKey()));
            rescore((ObjectNode)e.get("primaryMetric"));
            if (e.get("secondaryMetrics") instanceof ObjectNode sec)
            {
                sec.fieldNames().forEachRemaining(name ->
                {
                    if (sec.get(name) instanceof ObjectNode m)
                    {
                        rescore(m);
                    }
                });
            }
            merged.add(e);
        }
        return merged;
    }

    private static void appendRawData(final ObjectNode into, final JsonNode from)
    {
        if (into != null && into.get("rawData") instanceof ArrayNode mine && from.get("rawData") instanceof ArrayNode theirs)
        {
            mine.addAll(theirs);
        }
    }

    /** Score, error, confidence interval and percentiles from all raw samples (unchanged without raw data). */
    private static void rescore(final ObjectNode metric)
    {
        if (metric == null || !(metric.get("rawData") instanceof ArrayNode raw) || raw.isEmpty())
        {
            return;
        }
        final ListStatistics s = new ListStatistics();
        for (final JsonNode fork : raw)
        {
            for (final JsonNode v : fork)
            {
                s.addValue(v.asDouble());
            }
        }
        metric.put("score", s.getMean());
        final double err = s.getN() > 2 ? s.getMeanErrorAt(CONFIDENCE) : Double.NaN;
        if (Double.isNaN(err))
        {
            metric.put("scoreError", "NaN");
        }
        else
        {
            metric.put("scoreError", err);
        }
        final double[] ci = s.getConfidenceIntervalAt(CONFIDENCE);
        final ArrayNode conf = metric.putArray("scoreConfidence");
        conf.add(ci[0]);
        conf.add(ci[1]);
        final ObjectNode pct = metric.putObject("scorePercentiles");
        for (final double p : PERCENTILES)
        {
            pct.put(Double.toString(p), s.getPercentile(p));   // JMH's keys: "0.0", "99.9", "100.0"
        }
    }
}
