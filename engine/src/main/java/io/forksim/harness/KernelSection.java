package io.forksim.harness;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.forksim.host.HostException;
import io.forksim.host.HostInfo;
import io.forksim.host.KernelMeasurement;
import io.forksim.host.KernelShapeResult;
import io.forksim.host.KernelWorker;
import io.forksim.host.Shape;
import io.forksim.host.ThpConfigurator;
import io.forksim.host.ThpSysfs;
import io.forksim.host.WorkerProcess;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The host kernel in the main job's report: this host's real fork() measured in the same run on the shapes of the
 * job's orders (order 0, order N as N's mTHP size when the current THP settings give it, order 9 PTE-mapped), with
 * forksim's speed against it per order. The settings are never changed here ({@code forksim kernel --configure-thp}
 * does that); a shape they do not give is reported "not built" with the setting that would.
 *
 * @param host the host's description (null when the kernel was not measured)
 * @param runs runs per shape
 * @param iterations forks with (and as many without) the region per run
 * @param shapes one result per order, in the plan's order
 * @param skipped why nothing was measured (null when it was)
 * @param elapsedNs the wall time the kernel measurement took (worker JVMs included)
 */
public record KernelSection(HostInfo host, int runs, int iterations, List<KernelShapeResult> shapes, String skipped,
    long elapsedNs)
{
    /** Forks with the region per run in the main job: the kernel's per-fork stdev is small, and the run stays short. */
    public static final int DEFAULT_ITERATIONS = 10;

    /** The kernel shape of the main job's order {@code order}. */
    public static Shape shapeOf(final int order)
    {
        return order == 0 ? Shape.ORDER_0 : order == Shape.PMD_ORDER ? Shape.ORDER_9_PTE : Shape.mthp(order);
    }

    /** Nothing measured, and why. */
    public static KernelSection skipped(final String why)
    {
        return new KernelSection(null, 0, 0, List.of(), why, 0);
    }

    /**
     * Measures the kernel shapes of {@code plan}'s orders at its size, one worker JVM per shape.
     *
     * @param worker the worker JVM's command for a shape, runs and iterations
     */
    public static KernelSection measure(final ForkPlan plan, final int runs, final int iterations,
        final Function<Shape, List<String>> worker, final Consumer<String> messages)
    {
        final ThpSysfs sysfs = new ThpSysfs(ThpSysfs.DEFAULT_ROOT);
        final String missing = KernelWorker.unavailableReason(sysfs);
        if (missing != null)
        {
            return skipped(missing);
        }
        if (plan.sizeBytes() % (2L << 20) != 0)
        {
            return skipped("the size is not a multiple of 2 MiB");
        }
        try
        {
            // a 'forksim kernel --configure-thp' that was killed left its settings: put the originals back first
            final String restored = new ThpConfigurator(sysfs, ThpConfigurator.defaultSavedFile()).restoreLeftover();
            if (restored != null)
            {
                messages.accept("forksim: " + restored);
            }
        }
        catch (final HostException e)
        {
            messages.accept("forksim: " + e.getMessage());
        }
        final List<Shape> shapes = new ArrayList<>();
        for (final int o : plan.orders())
        {
            if (o <= Shape.PMD_ORDER)
            {
                shapes.add(shapeOf(o));
            }
        }
        final long t0 = System.nanoTime();
        final List<KernelShapeResult> r = new KernelMeasurement(shapes, false, sysfs, null).run(plan.sizeBytes(),
            s -> WorkerProcess.run(worker.apply(s), messages), messages);
        return new KernelSection(HostInfo.read(sysfs), runs, iterations, r, null, System.nanoTime() - t0);
    }

    /** The report's kernel lines, with forksim's {@code arch} folio-batch ns/page against the kernel's per order. */
    public List<String> lines(final List<Result> results, final String arch)
    {
        final List<String> out = new ArrayList<>();
        if (skipped != null)
        {
            out.add("  kernel:    this host's fork() not measured: " + skipped);
            return out;
        }
        out.add("  kernel:    this host's fork(), measured in this run: " + host.describe());
        out.add("             " + runs + " runs x " + iterations + " forks with and as many without the region (MADV_DONTFORK),"
            + " interleaved; (with - without) per 4 KiB page; " + String.format(Locale.ROOT, "%.1f s", elapsedNs / 1e9)
            + " in all; forksim kernel --fit models it");
        for (final KernelShapeResult k : shapes)
        {
            if (!k.built())
            {
                out.add("             " + k.shape() + ": not built: " + k.notBuiltReason());
                continue;
            }
            final int order = Shape.parse(k.shape()).order();
            final Result sim = results.stream().filter(x -> x.arch().equals(arch) && x.order() == order
                && x.strategy().equals("folio-batch")).findFirst().orElse(null);
            out.add(String.format(Locale.ROOT, "             %-12s %7.2f ns/page (stdev %.1f%%; CPU time %.2f ns/page; baseline %.2f ms;"
                + " %d dropped)%s", k.shape(), k.nsPerPage(), k.stdevPct(), k.cpuNsPerPage(), k.baselineMs(), k.droppedSamples(),
                sim == null ? "" : String.format(Locale.ROOT, "; forksim %s folio-batch %.2f ns/page = %.2fx the kernel's",
                    arch, sim.nsPerPage(), sim.nsPerPage() / k.nsPerPage())));
        }
        return out;
    }

    /** The section of a run with {@code --no-kernel}: one line in the report, nothing in the JSON. */
    public static KernelSection off()
    {
        return skipped(OFF);
    }

    private static final String OFF = "--no-kernel";

    /**
     * Adds {@code "kernel": [...]} to the main job's JSON (and {@code "kernel_skipped"} with the reason when the host
     * could not be measured); nothing with {@code --no-kernel}.
     */
    public void addTo(final ObjectNode root)
    {
        if (OFF.equals(skipped))
        {
            return;
        }
        final ArrayNode a = root.putArray("kernel");
        for (final KernelShapeResult k : shapes)
        {
            final ObjectNode o = a.addObject();
            o.put("shape", k.shape());
            if (k.built())
            {
                o.put("ns_per_page", k.nsPerPage());
                o.put("stdev_pct", k.stdevPct());
                o.put("cpu_ns_per_page", k.cpuNsPerPage());
                o.put("folio_order_verified", k.folioOrderVerified());
                o.put("baseline_ms", k.baselineMs());
                o.put("dropped_samples", k.droppedSamples());
            }
            else
            {
                o.put("folio_order_verified", false);
                o.put("not_built", k.notBuiltReason());
            }
        }
        if (skipped != null)
        {
            root.put("kernel_skipped", skipped);
        }
    }
}
