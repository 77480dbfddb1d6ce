package io.forksim.bench.report;

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
 */
public record JmhResult(String benchmark, String mode, Map<String, String> params, Metric primary, Map<String, Metric> secondary)
{
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

        /** The mean of each fork's samples (a "run" in the seed thread's words). */
        public double[] forkMeans()
        {
            final double[] m = new double[rawData.size()];
            for (int i = 0; i < m.length; i++)
            {
                m[i] = Stats.mean(rawData.get(i));
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

    /** Reads every entry of a JMH JSON result file. */
    public static List<JmhResult> load(final Path file) throws IOException
    {
        return parse(Files.readString(file));
    }

    public static List<JmhResult> parse(final String json)
    {
        final List<JmhResult> out = new ArrayList<>();
        for (final Object o : Json.array(Json.parse(json)))
        {
            final Map<String, Object> e = Json.object(o);
            final String benchmark = (String)required(e, "benchmark");
            final String mode = (String)required(e, "mode");
            final Map<String, String> params = new TreeMap<>();
            if (e.get("params") != null)
            {
                Json.object(e.get("params")).forEach((k, v) -> params.put(k, String.valueOf(v)));
            }
            final Metric primary = metric(Json.object(required(e, "primaryMetric")));
            final Map<String, Metric> secondary = new LinkedHashMap<>();
            if (e.get("secondaryMetrics") != null)
            {
                Json.object(e.get("secondaryMetrics")).forEach((k, v) ->
                    secondary.put(k.startsWith("\u00b7") ? k.substring(1) : k, metric(Json.object(v))));
            }
            out.add(new JmhResult(benchmark, mode, Collections.unmodifiableMap(params), primary, Collections.unmodifiableMap(secondary)));
        }
        return out;
    }

    private static Object required(final Map<String, Object> e, final String key)
    {
        final Object v = e.get(key);
        if (v == null)
        {
            throw new IllegalArgumentException("JMH result entry without \"" + key + "\": " + e.keySet());
        }
        return v;
    }

    private static Metric metric(final Map<String, Object> m)
    {
        final double score = Json.number(required(m, "score"));
        final double error = m.get("scoreError") == null ? Double.NaN : Json.number(m.get("scoreError"));
        double low = score - error;
        double high = score + error;
        if (m.get("scoreConfidence") instanceof List<?> ci && ci.size() == 2)
        {
            low = Json.number(ci.get(0));
            high = Json.number(ci.get(1));
        }
        final List<double[]> raw = new ArrayList<>();
        if (m.get("rawData") != null)
        {
            for (final Object fork : Json.array(m.get("rawData")))
            {
                final List<Object> it = Json.array(fork);
                final double[] v = new double[it.size()];
                for (int i = 0; i < v.length; i++)
                {
                    v[i] = Json.number(it.get(i));
                }
                raw.add(v);
            }
        }
        final String unit = m.get("scoreUnit") == null ? "" : (String)m.get("scoreUnit");
        return new Metric(score, error, low, high, unit, Collections.unmodifiableList(raw));
    }
}
