package io.forksim.host;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code forksim kernel}'s measurement of several shapes: per shape, with {@code --configure-thp} only its folio size
 * enabled (the originals saved first and restored at the end, on failure and on Ctrl-C; see {@link ThpConfigurator}),
 * else the current settings checked first ({@link ShapeBuilder#precheck}); then one worker JVM measures it.
 *
 * @param shapes the shapes, in order
 * @param configureThp whether settings may be changed
 * @param sysfs the THP sysfs
 * @param configurator the one that changes and restores settings (used only with {@code configureThp})
 */
public record KernelMeasurement(List<Shape> shapes, boolean configureThp, ThpSysfs sysfs, ThpConfigurator configurator)
{
    /**
     * Measures every shape with {@code worker} (one worker JVM per call) and restores the THP settings.
     *
     * @param worker measures one shape (in a worker JVM)
     * @param messages progress and notes, one line each
     */
    public List<KernelShapeResult> run(final long sizeBytes, final Function<Shape, KernelShapeResult> worker,
        final Consumer<String> messages)
    {
        final List<KernelShapeResult> out = new ArrayList<>();
        try
        {
            for (final Shape s : shapes)
            {
                if (s.needsThp())
                {
                    if (configureThp)
                    {
                        configurator.enableOnly(s.folioKb());
                    }
                    else
                    {
                        final ShapeBuilder.Outcome pre = ShapeBuilder.precheck(s, sysfs);
                        if (pre != null)
                        {
                            out.add(KernelShapeResult.notBuilt(s.name(), sizeBytes, pre.reason(), pre.enableHint()));
                            continue;
                        }
                    }
                }
                messages.accept("kernel: " + s.name() + " ...");
                KernelShapeResult r;
                try
                {
                    r = worker.apply(s);
                }
                catch (final HostException e)
                {
                    r = KernelShapeResult.notBuilt(s.name(), sizeBytes, "not measured: " + e.getMessage(), "none");
                }
                out.add(r);
            }
        }
        finally
        {
            if (configureThp)
            {
                configurator.restore();
            }
        }
        return out;
    }
}
