package io.forksim.host;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.forksim.stats.RunStatistics;

/**
 * The host kernel's fork() cost for one shape, as a worker JVM measured it (one JSON line on its stdout).
 *
 * @param shape the shape's name
 * @param built whether the memory came out as asked; when not, nothing was timed
 * @param folioOrderVerified whether the folio size was verified by the kernel's own counters
 * @param evidence what verified it (smaps and THP statistics)
 * @param notBuiltReason why the shape was not built (null when built)
 * @param enableHint the setting that would enable it (null when built)
 * @param sizeBytes the region's size
 * @param runs runs timed
 * @param iterations forks with (and as many without) the region per run
 * @param nsPerPage mean over runs of (with − without) per 4 KiB page of the region
 * @param stdevPct the sample stdev (n − 1) of the runs' (with − without) as % of the mean
 * @param baselineMs the mean fork time without the region (this JVM's own fork)
 * @param withMs the mean fork time with the region
 * @param droppedSamples forks whose child had to be killed (not counted)
 * @param cpuNsPerPage as {@code nsPerPage}, from this thread's CPU time across fork() instead of the wall time: the
 *     kernel's work without the waits for a CPU that a busy machine adds to the wall time
 * @param cpuStdevPct the stdev of the runs' CPU (with − without) as % of its mean
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KernelShapeResult(
    @JsonProperty("shape") String shape,
    @JsonProperty("built") boolean built,
    @JsonProperty("folio_order_verified") boolean folioOrderVerified,
    @JsonProperty("evidence") String evidence,
    @JsonProperty("not_built") String notBuiltReason,
    @JsonProperty("enable") String enableHint,
    @JsonProperty("size_bytes") long sizeBytes,
    @JsonProperty("runs") int runs,
    @JsonProperty("iterations") int iterations,
    @JsonProperty("ns_per_page") double nsPerPage,
    @JsonProperty("stdev_pct") double stdevPct,
    @JsonProperty("baseline_ms") double baselineMs,
    @JsonProperty("with_ms") double withMs,
    @JsonProperty("dropped_samples") long droppedSamples,
    @JsonProperty("cpu_ns_per_page") double cpuNsPerPage,
    @JsonProperty("cpu_stdev_pct") double cpuStdevPct)
{
    /** A shape that did not come out as asked. */
    public static KernelShapeResult notBuilt(final String shape, final long sizeBytes, final String reason, final String hint)
    {
        return new KernelShapeResult(shape, false, false, null, reason, hint, sizeBytes, 0, 0, Double.NaN, Double.NaN,
            Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN);
    }

    /** This result with the CPU-time figures as its ns/page and stdev (what {@code --fit-on cpu} fits). */
    public KernelShapeResult onCpuTime()
    {
        return new KernelShapeResult(shape, built, folioOrderVerified, evidence, notBuiltReason, enableHint, sizeBytes, runs,
            iterations, cpuNsPerPage, cpuStdevPct, baselineMs, withMs, droppedSamples, cpuNsPerPage, cpuStdevPct);
    }

    /** The result of a timing: mean of the run means of (with − without), its stdev across runs. */
    public static KernelShapeResult of(final String shape, final long sizeBytes, final boolean folioOrderVerified,
        final String evidence, final int iterations, final ForkTimer.Timing t)
    {
        final double[] diff = t.diffNs();
        final double pages = sizeBytes / (double)HostRegion.PAGE;
        final double mean = RunStatistics.mean(diff);
        final double sd = RunStatistics.stdev(diff);
        return new KernelShapeResult(shape, true, folioOrderVerified, evidence, null, null, sizeBytes, t.withNs().length,
            iterations, mean / pages, mean == 0 ? 0 : 100 * sd / Math.abs(mean), RunStatistics.mean(t.withoutNs()) / 1e6,
            RunStatistics.mean(t.withNs()) / 1e6, t.dropped(), RunStatistics.mean(t.diffCpuNs()) / pages,
            pct(t.diffCpuNs()));
    }

    private static double pct(final double[] v)
    {
        final double m = RunStatistics.mean(v);
        return m == 0 ? 0 : 100 * RunStatistics.stdev(v) / Math.abs(m);
    }
}
