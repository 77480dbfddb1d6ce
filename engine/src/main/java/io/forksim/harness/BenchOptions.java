package io.forksim.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The options of one {@code forksim bench} run, parsed once: {@code cli/BenchCommand} builds this record from the
 * command line, and the bench module's runner ({@code io.forksim.bench.BenchMain}, in the child JVM that has JMH
 * on its class path) receives it as the two arguments {@link #ARGUMENT} and {@link #toJson()}, which Jackson maps
 * back onto this record. No option string is parsed twice.
 *
 * @param seedTable the seed thread's experiment (ForkBench.fork, 8 forks x 100 single-shot iterations, orders 0 and
 *                  9) and its tables
 * @param profile   the profiler, or null for none
 * @param event     the async-profiler event instead of the detected one, or null; needs {@link Profile#async}
 * @param baseline  a stored JMH JSON result to compare with, or null
 * @param tolerance the extra margin of the baseline comparison as a fraction (0.05 = 5%), in [0, 10)
 * @param json      where JMH's JSON result goes, or null for {@code forksim-results/bench-<time>.json}
 * @param report    run nothing: report and gate this stored JMH JSON result; null to run
 * @param gate      run the regression gate after the report
 * @param jmhArgs   JMH's own arguments (patterns, -f, -i, -p ...), passed to JMH's parser unchanged
 */
public record BenchOptions(boolean seedTable, Profile profile, String event, Path baseline, double tolerance, Path json,
    Path report, boolean gate, List<String> jmhArgs)
{
    /** The argument that precedes the options' JSON on the bench jar's command line. */
    public static final String ARGUMENT = "--forksim-options";

    /** The default margin of the baseline comparison (5%). */
    public static final double DEFAULT_TOLERANCE = 0.05;

    private static final ObjectMapper MAPPER = new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    /** How to profile the benchmarks. */
    public enum Profile
    {
        /** async-profiler flame graphs, one HTML per benchmark. */
        async,
        /** JMH's GC profiler (bytes allocated per op). */
        gc
    }

    /**
     * Checks the values that do not depend on the file system.
     *
     * @throws IllegalArgumentException naming the value: tolerance outside [0, 10), an event that is blank or names
     *                                  more than one event, an event without {@link Profile#async}
     */
    public BenchOptions
    {
        if (!(tolerance >= 0 && tolerance < 10))
        {
            throw new IllegalArgumentException("--tolerance must be a percentage between 0 and 1000, not " + tolerance * 100);
        }
        if (event != null && (event.isBlank() || event.contains(",") || event.contains(";")))
        {
            throw new IllegalArgumentException("--event takes one async-profiler event name, not '" + event + "'");
        }
        if (event != null && profile != Profile.async)
        {
            throw new IllegalArgumentException("--event needs --profile async");
        }
        jmhArgs = List.copyOf(Objects.requireNonNull(jmhArgs, "jmhArgs"));
    }

    /** Defaults: the quick gate set, no profiler, the gate on, no JMH arguments. */
    public static BenchOptions defaults()
    {
        return new BenchOptions(false, null, null, null, DEFAULT_TOLERANCE, null, null, true, List.of());
    }

    /** One line of JSON that {@link #fromJson} maps back onto equal options. */
    public String toJson()
    {
        try
        {
            return MAPPER.writeValueAsString(this);
        }
        catch (final JsonProcessingException e)
        {
            throw new IllegalStateException("cannot write the bench options as JSON", e);
        }
    }

    /**
     * The options {@link #toJson} wrote.
     *
     * @throws IllegalArgumentException when {@code text} is not such JSON or a value is out of range (the message
     *                                  says which)
     */
    public static BenchOptions fromJson(final String text)
    {
        try
        {
            return MAPPER.readValue(text, BenchOptions.class);
        }
        catch (final JsonProcessingException e)
        {
            Throwable c = e;
            while (c.getCause() != null)
            {
                c = c.getCause();
            }
            throw new IllegalArgumentException("bad " + ARGUMENT + " JSON: "
                + (c instanceof IllegalArgumentException ? c.getMessage() : e.getOriginalMessage()), e);
        }
    }
}
