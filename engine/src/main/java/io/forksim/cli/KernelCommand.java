package io.forksim.cli;

import io.forksim.harness.Workers;
import io.forksim.host.Children;
import io.forksim.host.HostException;
import io.forksim.host.HostInfo;
import io.forksim.host.KernelFit;
import io.forksim.host.KernelMeasurement;
import io.forksim.host.KernelReport;
import io.forksim.host.KernelShapeResult;
import io.forksim.host.KernelWorker;
import io.forksim.host.Shape;
import io.forksim.host.SimShapes;
import io.forksim.host.ThpConfigurator;
import io.forksim.host.ThpSysfs;
import io.forksim.host.WorkerProcess;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code forksim kernel}: this host's real fork() on the shapes of {@link Shape}, measured from Java through FFM in one
 * worker JVM per shape (a fork that goes wrong takes down the worker, not the command), and with {@code --fit} the
 * cost model calibrated on it ({@link KernelFit}). See {@code io.forksim.host}.
 */
@Command(name = "kernel", mixinStandardHelpOptions = true,
    description = {"Measures this host's real fork() on anonymous memory of several shapes (order-0, mTHP sizes, PTE- and"
        + " PMD-mapped 2 MiB THP, read-only, sparse, zero page, and halves of them with every other page none), and with --fit calibrates a cost model of forksim's events"
        + " on it."})
public final class KernelCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "1G", converter = SizeConverter.class,
        description = "Region size per shape, a multiple of 2 MiB (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--shapes", paramLabel = "SHAPES", split = ",",
        description = "Shapes to measure (default: every shape this host offers): order-0, order-1..order-8, order-9-pte,"
            + " order-9-pmd, order-0-ro, order-0-sparse, order-0-sparse16, zero, order-0-half, zero-half, order-9-pte-half,"
            + " order-9-pmd-half.")
    List<String> shapes;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "8", description = "Runs per shape (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "100",
        description = "Forks with (and as many without) the region per run (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--configure-thp",
        description = "Enable each mTHP size for its shape alone (root only); every original setting is restored at the end,"
            + " on failure and Ctrl-C, and at the next start if a run died.")
    boolean configureThp;

    @Option(names = "--fit", description = "Also run every shape in the simulator and fit the cost model.")
    boolean fit;

    @Option(names = "--fit-on", paramLabel = "wall|cpu", defaultValue = "wall",
        description = "What the model is fitted on: the kernel's wall-time ns/page (the thread's method, default) or its"
            + " CPU-time ns/page (this thread's CPU time across fork(): robust on a busy machine).")
    String fitOn;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the JSON report to FILE ('-' for stdout).")
    String json;

    @Mixin
    DebugOption debug;

    @Option(names = "--sysfs-root", hidden = true, paramLabel = "DIR", description = "Internal: the THP sysfs directory.")
    Path sysfsRoot = ThpSysfs.DEFAULT_ROOT;

    @Option(names = "--thp-saved", hidden = true, paramLabel = "FILE", description = "Internal: where --configure-thp saves the originals.")
    Path thpSaved = ThpConfigurator.defaultSavedFile();

    @Option(names = "--worker", hidden = true, description = "Internal: run as the worker JVM of one shape.")
    boolean worker;

    @Option(names = "--shape", hidden = true, paramLabel = "SHAPE", description = "Internal: the worker's shape.")
    String workerShape;

    @Override
    public Integer call()
    {
        final CommandLine cl = spec.commandLine();
        final PrintWriter out = cl.getOut();
        final PrintWriter err = cl.getErr();
        if (size <= 0 || size % (2L << 20) != 0)
        {
            throw new Main.UsageException(cl, "Invalid value for option '--size': " + size + " bytes (a positive multiple of 2 MiB)");
        }
        if (runs < 1 || iterations < 1)
        {
            throw new Main.UsageException(cl, "Invalid value for option '--runs'/'--iterations': " + runs + " x " + iterations
                + " (each must be >= 1)");
        }
        if (!fitOn.equals("wall") && !fitOn.equals("cpu"))
        {
            throw new Main.UsageException(cl, "Invalid value for option '--fit-on': " + fitOn + " (wall or cpu)");
        }
        final ThpSysfs sysfs = new ThpSysfs(sysfsRoot);
        final String missing = KernelWorker.unavailableReason(sysfs);
        if (missing != null)
        {
            throw new Main.UsageException(cl, missing);
        }
        if (worker)
        {
            final KernelShapeResult r = KernelWorker.measure(parseShape(cl, workerShape), size, runs, iterations, sysfs,
                Children.DEFAULT_TIMEOUT_NS);
            out.println(WorkerProcess.resultLine(r));
            return Main.EXIT_OK;
        }
        final List<Shape> list = new ArrayList<>();
        if (shapes == null || shapes.isEmpty())
        {
            list.addAll(Shape.all(sysfs.anonSizesKb()));
        }
        else
        {
            for (final String s : shapes)
            {
                list.add(parseShape(cl, s.trim()));
            }
        }
        if (json != null && !json.equals("-") && !Files.isDirectory(Path.of(json).toAbsolutePath().getParent()))
        {
            throw new Main.UsageException(cl, "Invalid value for option '--json': " + json + " (its directory does not exist)");
        }
        final ThpConfigurator conf = new ThpConfigurator(sysfs, thpSaved);
        final String restored = conf.restoreLeftover();
        if (restored != null)
        {
            err.println("forksim kernel: " + restored);
        }
        if (configureThp)
        {
            for (final int kb : sysfs.anonSizesKb())
            {
                final Path f = sysfs.root().resolve(ThpSysfs.enabledFile(kb));
                if (!Files.isWritable(f))
                {
                    throw new Main.UsageException(cl, "--configure-thp needs root: " + f + " is not writable");
                }
            }
        }
        final List<KernelShapeResult> results;
        try (conf)
        {
            results = new KernelMeasurement(list, configureThp, sysfs, conf).run(size,
                s -> WorkerProcess.run(workerCommand(s), line -> err.println("  worker: " + line)), err::println);
        }
        final HostInfo host = HostInfo.read(sysfs);
        final KernelFit model = fit ? KernelFit.of(results, size, SimShapes.hostArch(), fitOn.equals("cpu"), err::println) : null;
        final PrintWriter human = "-".equals(json) ? err : out;
        KernelReport.text(host, size, runs, iterations, results, model).forEach(human::println);
        human.flush();
        if (json != null)
        {
            final String text = KernelReport.json(host, size, runs, iterations, results, model);
            if (json.equals("-"))
            {
                out.println(text);
            }
            else
            {
                try
                {
                    Files.writeString(Path.of(json), text + System.lineSeparator(), StandardCharsets.UTF_8);
                }
                catch (final IOException e)
                {
                    throw new HostException("cannot write " + json + ": " + e.getMessage());
                }
            }
        }
        return Main.EXIT_OK;
    }

    private static Shape parseShape(final CommandLine cl, final String s)
    {
        try
        {
            return Shape.parse(s);
        }
        catch (final IllegalArgumentException e)
        {
            throw new Main.UsageException(cl, "Invalid value for option '--shapes': " + e.getMessage());
        }
    }

    private List<String> workerCommand(final Shape s)
    {
        return workerCommand(s, size, runs, iterations, sysfsRoot, debug.enabled());
    }

    /** The worker JVM's command for one shape: this JVM's java, flags and class path, a small serial-GC heap. */
    static List<String> workerCommand(final Shape s, final long size, final int runs, final int iterations, final Path sysfsRoot,
        final boolean debug)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Workers.javaBinary());
        final List<String> inherited = Workers.inheritedJvmArgs();
        cmd.addAll(inherited);
        // a small heap and no concurrent GC threads: the JVM's own fork (the baseline) stays small and steady
        cmd.add("-Xmx256m");
        // C1 without profiling: compiled code with no counters that call into the runtime (see ForkTimer.JIT_WARMUP);
        // no periodic safepoints
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:+UnlockDiagnosticVMOptions");
        cmd.add("-XX:GuaranteedSafepointInterval=0");
        if (inherited.stream().noneMatch(a -> a.matches("-XX:\\+Use\\w+GC")))
        {
            cmd.add("-XX:+UseSerialGC");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add("kernel");
        cmd.add("--worker");
        cmd.add("--shape=" + s.name());
        cmd.add("--size=" + size);
        cmd.add("--runs=" + runs);
        cmd.add("--iterations=" + iterations);
        cmd.add("--sysfs-root=" + sysfsRoot);
        if (debug)
        {
            cmd.add("--debug");
        }
        return cmd;
    }
}
