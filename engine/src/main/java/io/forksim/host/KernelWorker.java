package io.forksim.host;

import java.nio.file.Files;

/**
 * One shape measured in this JVM (a worker JVM of {@code forksim kernel}, so that a fork that goes wrong takes down
 * the worker, not the command): map the region, build and verify the shape, time fork() with and without it, unmap.
 * Every child is reaped before this returns, also when it throws.
 */
public final class KernelWorker
{
    private KernelWorker()
    {
    }

    /** Null when this host can run {@code forksim kernel}; otherwise one line saying what it lacks. */
    public static String unavailableReason(final ThpSysfs sysfs)
    {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"))
        {
            return "forksim kernel needs Linux (os.name is " + System.getProperty("os.name") + ")";
        }
        if (!Files.isReadable(Smaps.SELF))
        {
            return "forksim kernel needs " + Smaps.SELF + " (Linux /proc), which is not readable here";
        }
        final String sys = sysfs.unavailableReason();
        if (sys != null)
        {
            return sys;
        }
        return LibC.unavailableReason();
    }

    /**
     * Measures {@code shape} at {@code sizeBytes}.
     *
     * <p>Preconditions: {@link #unavailableReason} is null; {@code sizeBytes} a positive multiple of 2 MiB;
     * {@code runs, iterations >= 1}.
     */
    public static KernelShapeResult measure(final Shape shape, final long sizeBytes, final int runs, final int iterations,
        final ThpSysfs sysfs, final long childTimeoutNs)
    {
        return measure(shape, sizeBytes, runs, iterations, sysfs, childTimeoutNs, ForkTimer.JIT_WARMUP);
    }

    /** {@link #measure(Shape, long, int, int, ThpSysfs, long)} with {@code jitWarmup} baseline warm-up forks. */
    public static KernelShapeResult measure(final Shape shape, final long sizeBytes, final int runs, final int iterations,
        final ThpSysfs sysfs, final long childTimeoutNs, final int jitWarmup)
    {
        try (Children children = new Children(childTimeoutNs);
             HostRegion region = new HostRegion(sizeBytes))
        {
            final ShapeBuilder.Outcome o = ShapeBuilder.build(shape, region, sysfs);
            if (!o.built())
            {
                return KernelShapeResult.notBuilt(shape.name(), sizeBytes, o.reason(), o.enableHint());
            }
            final ForkTimer.Timing t = ForkTimer.time(region, runs, iterations, children, LibC.ChildAction.EXIT, jitWarmup);
            final Smaps after = Smaps.of(region.start());
            final ShapeBuilder.Outcome still = stillAsBuilt(shape, region, after);
            if (still != null)
            {
                return KernelShapeResult.notBuilt(shape.name(), sizeBytes, still.reason(), still.enableHint());
            }
            return KernelShapeResult.of(shape.name(), sizeBytes, o.folioOrderVerified(), o.evidence(), iterations, t);
        }
    }

    /** The shape must still be what was timed (khugepaged could have collapsed it): null if so. */
    private static ShapeBuilder.Outcome stillAsBuilt(final Shape shape, final HostRegion region, final Smaps s)
    {
        final long pmdMapped = !shape.pmdMapped() ? 0 : shape.half() ? region.len() / 2 : region.len();
        if (s.anonHugeBytes() != pmdMapped)
        {
            return new ShapeBuilder.Outcome(false, false, null, "the shape changed while it was timed: AnonHugePages "
                + (s.anonHugeBytes() >> 10) + " kB afterwards (khugepaged?)", "none");
        }
        return null;
    }
}
