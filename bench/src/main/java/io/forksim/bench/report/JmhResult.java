package io.forksim.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forksim.stats.RunStatistics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One entry of a JMH JSON result file ({@code -rf json}): a benchmark method with one parameter
 * combination, its primary metric with the raw samples per fork, and secondary metrics (profilers).
 *
 * @param benchmark full method name, e.g. {@code io.forksim.bench.ForkBench.fork}
 * @param mode      JMH's short mode name: {@code ss}, {@code avgt}, {@code thrpt}, {@code sample}
 * @param params    the {@code @Param} values (sorted by name)
 * @param primary   the score
 * @param secondary profiler metrics by name, a leading '·' (JMH before 1.37) removed
 * @param rounds    the number of interleaved rounds the forks came from, fork {@code r} from round {@code r + 1}
 *                  ({@link RoundMerge#ROUNDS}); 0 when JMH ran the forks one after the other
 */
public record JmhResult(String benchmark, String mode, Map<String, String> params, Metric primary, Map<String, Metric> secondary,
    int rounds)
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * A metric: JMH's score with its 99.9% confidence interval, unit, and the raw data (one array of
     * iteration values per fork, empty when JMH did not write it).
     */
    public record Metric(double score, double error, double low, double high, String unit, List<double[]> rawData)
    {
        /** The factor that converts this metric's time unit to nanoseconds, or NaN for a non-time unit. */
        public double toNanos()
        {
            return nanosPer(unit);
        }

        /** Every sample, forks concatenated. */
        public double[] samples()
        {
            int n = 0;
            for (final double[] f : rawData)
            {
                n += f.length;
            }
            final double[] all = new double[n];
            int i = 0;
            for (final double[] f : rawData)
            {
                System.arraycopy(f, 0, all, i, f.length);
                i += f.length;
            }
            return all;
        }

        /** The mean of each fork's samples (a "run" in the thread's words). */
        public double[] forkMeans()
        {
            final double[] m = new double[rawData.size()];
            for (int i = 0; i < m.length; i++)
            {
                m[i] = RunStatistics.mean(rawData.get(i));
            }
            return m;
        }
    }

    /** {@code ForkBench.fork}: the class simple name and the method. */
    public String simpleName()
    {
        final int m = benchmark.lastIndexOf('.');
        final int c = m > 0 ? benchmark.lastIndexOf('.', m - 1) : -1;
        return benchmark.substring(c + 1);
    }

    public String param(final String name)
    {
        return params.get(name);
    }

    /**
     * Whether fork {@code r} of this result and fork {@code r} of {@code other} ran in the same round, for every
     * fork: both came from the same number of rounds, one fork each.
     */
    public boolean pairedByRound(final JmhResult other)
    {
        return rounds > 0 && rounds == other.rounds && primary.rawData().size() == rounds && other.primary.rawData().size() == rounds;
    }

    /** Lower is better for time modes, higher for throughput. */
    public boolean higherIsBetter()
    {
        return mode.equals("thrpt");
    }

    /** A one-line label: simple name and parameters, e.g. {@code ForkBench.fork config=x86_64:legacy order=0}. */
    public String label()
    {
        final StringBuilder sb = new StringBuilder(simpleName());
        params.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.toString();
    }

    /** An identity for matching the same configuration across files: benchmark, mode and parameters. */
    public String key()
    {
        return benchmark + " " + mode + " " + params;
    }

    /** Nanoseconds per time unit ("ms/op" -> 1e6); NaN for non-time units. */
    public static double nanosPer(final String unit)
    {
        final int slash = unit.indexOf('/');
        final String u = slash < 0 ? unit : unit.substring(0, slash);
        if (slash >= 0 && !unit.substring(slash + 1).equals("op"))
        {
            return Double.NaN;
        }
        return switch (u)
        {
            case "ns" -> 1;
            case "us", "\u00b5s" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "min" -> 60e9;
            default -> Double.NaN;
        };
    }

    /**
     * Reads every entry of a JMH JSON result file.
     *
     * @throws IOException when the file cannot be read, is not JSON or is not a JMH result (naming the file)
     */
    public static List<JmhResult> load(final Path file) throws IOException
    {
        final String text = Files.readString(file);
        try
        {
            return parse(text);
        }
        catch (final IllegalArgumentException e)
        {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The entries of a JMH JSON result (an array of benchmark entries).
     *
     * @throws IllegalArgumentException when {@code json} is not JSON or an entry lacks a required field (naming it)
     */
    public static List<JmhResult> parse(final String json)
    {
        final JsonNode root;
        try
        {
            root = MAPPER.readTree(json);
        }
        catch (final JsonProcessingException e)
        {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isArray())
        {
            throw new IllegalArgumentException("not a JMH JSON result (an array of benchmark entries)");
        }
        final List<JmhResult> out = new ArrayList<>();
        for (final JsonNode e : root)
        {
            final String benchmark = required(e, "benchmark").asText();
            final String mode = required(e, "mode").asText();
            final Map<String, String> params = new TreeMap<>();
            e.path("params").properties().forEach(p -> params.put(p.getKey(), p.getValue().asText()));
            final Metric primary = metric(required(e, "primaryMetric"));
            final Map<String, Metric> secondary = new LinkedHashMap<>();
            e.path("secondaryMetrics").properties().forEach(p ->
                secondary.put(p.getKey().startsWith("\u00b7") ? p.getKey().substring(1) : p.getKey(), metric(p.getValue())));
            out.add(new JmhResult(benchmark, mode, Collections.unmodifiableMap(params), primary, Collections.unmodifiableMap(secondary),
                e.path(RoundMerge.ROUNDS).asInt(0)));
        }
        return out;
    }

    private static JsonNode required(final JsonNode e, final String key)
    {
        final JsonNode v = e.get(key);
        if (v == null || v.isNull())
        {
            final List<String> keys = new ArrayList<>();
            e.fieldNames().forEachRemaining(keys::add);
            throw new IllegalArgumentException("JMH result entry without \"" + key + "\": " + keys);
        }
        return v;
    }

    /**
     * A JSON number, or one of the strings JMH writes for non-finite values ({@code "NaN"}, {@code "Infinity"},
     * {@code "-Infinity"}).
     *
     * @throws IllegalArgumentException for anything else, naming it
     */
    static double number(final JsonNode v)
    {
        if (v.isNumber())
        {
            return v.doubleValue();
        }
        return switch (v.asText())
        {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> throw new IllegalArgumentException("not a number: " + v);
        };
    }

    private static Metric metric(final JsonNode m)
    {
        final double score = number(required(m, "score"));
        final double error = m.hasNonNull("scoreError") ? number(m.get("scoreError")) : Double.NaN;
        double low = score - error;
        double high = score + error;
        final JsonNode ci = m.path("scoreConfidence");
        if (ci.isArray() && ci.size() == 2)
        {
            low = number(ci.get(0));
            high = number(ci.get(1));
        }
        final List<double[]> raw = new ArrayList<>();
        for (final JsonNode fork : m.path("rawData"))
        {
            final double[] v = new double[fork.size()];
            for (int i = 0; i < v.length; i++)
            {
                v[i] = number(fork.get(i));
            }
            raw.add(v);
        }
        final String unit = m.path("scoreUnit").asText("");
        return new Metric(score, error, low, high, unit, Collections.unmodifiableList(raw));
    }
}
