package io.forksim.cli;

import io.forksim.harness.LiveCounters;
import org.agrona.concurrent.status.CountersReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code forksim stat}: prints the live counters of a running {@code forksim fork} (see {@link LiveCounters}),
 * refreshing like AeronStat on a terminal, or once with {@code --once}.
 */
@Command(name = "stat",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Shows the live counters of a running 'forksim fork'.",
        "",
        "The counters are Agrona counters in a memory-mapped file: the events of the last fork and the totals over all"
            + " timed forks, progress, and the configuration being measured. Refreshes like AeronStat on a terminal;"
            + " says so when no simulation is running."})
public final class StatCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--counters", paramLabel = "FILE",
        description = "Counters file (default: ${java.io.tmpdir}/forksim-<user>/counters.dat).")
    Path counters;

    @Option(names = "--interval", paramLabel = "MS", defaultValue = "1000",
        description = "Refresh interval in milliseconds (default: ${DEFAULT-VALUE}).")
    long intervalMs;

    @Option(names = "--once", description = "Print one snapshot and exit (exit 1 if no counters file exists).")
    boolean once;

    @Mixin
    DebugOption debug;

    @Override
    public Integer call() throws Exception
    {
        if (intervalMs < 10 || intervalMs > 3_600_000)
        {
            throw new Main.UsageException(spec.commandLine(),
                "Invalid value for option '--interval': " + intervalMs + " (expected 10..3600000 ms)");
        }
        final Path file = counters != null ? counters : LiveCounters.defaultFile();
        final PrintWriter out = spec.commandLine().getOut();
        final boolean terminal = !once && System.console() != null && System.console().isTerminal();
        if (once)
        {
            final Optional<LiveCounters.Reader> r = LiveCounters.Reader.open(file);
            if (r.isEmpty())
            {
                out.println(noSimulation(file));
                out.flush();
                return Main.EXIT_FAILED;
            }
            try (LiveCounters.Reader reader = r.get())
            {
                render(reader, file).forEach(out::println);
            }
            out.flush();
            return Main.EXIT_OK;
        }
        while (!Thread.currentThread().isInterrupted())
        {
            final List<String> lines;
            final Optional<LiveCounters.Reader> r = LiveCounters.Reader.open(file);
            if (r.isEmpty())
            {
                lines = List.of(noSimulation(file), "waiting for one to start (Ctrl-C to quit) ...");
            }
            else
            {
                try (LiveCounters.Reader reader = r.get())
                {
                    lines = render(reader, file);
                }
            }
            if (terminal)
            {
                out.print("\033[H\033[2J"); // home + clear, as AeronStat does
            }
            lines.forEach(out::println);
            if (!terminal)
            {
                out.println("--");
            }
            out.flush();
            Thread.sleep(intervalMs);
        }
        return Main.EXIT_OK;
    }

    static String noSimulation(final Path file)
    {
        return "forksim stat: no simulation is running (no counters file at " + file + ")";
    }

    /** One snapshot as lines: a status header, then "id value label" rows like AeronStat. */
    static List<String> render(final LiveCounters.Reader reader, final Path file)
    {
        final List<String> lines = new ArrayList<>();
        final DateTimeFormatter fmt = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
        final long now = System.currentTimeMillis();
        final boolean alive = reader.alive();
        final long hb = reader.heartbeatMs();
        lines.add(String.format(Locale.ROOT, "forksim stat - %s - %s", fmt.format(Instant.ofEpochMilli(now)), file));
        if (alive)
        {
            lines.add(String.format(Locale.ROOT, "simulation running: pid %d (writer pid %d), started %s, last update %.1f s ago",
                reader.pid(), reader.writerPid(), fmt.format(Instant.ofEpochMilli(reader.startMs())), (now - hb) / 1000.0));
        }
        else
        {
            lines.add(String.format(Locale.ROOT,
                "no simulation is running: pid %d has exited; last values of the run started %s (last update %s):",
                reader.pid(), fmt.format(Instant.ofEpochMilli(reader.startMs())), fmt.format(Instant.ofEpochMilli(hb))));
        }
        final CountersReader c = reader.counters();
        final List<String> rows = new ArrayList<>();
        final String[] config = {""};
        c.forEach((counterId, typeId, keyBuffer, label) ->
        {
            final long v = c.getCounterValue(counterId);
            if (typeId == LiveCounters.TYPE_CONFIG)
            {
                config[0] = label;
            }
            rows.add(String.format(Locale.ROOT, "%3d: %,20d - %s", counterId, v, label));
        });
        lines.add(config[0]);
        lines.add("");
        lines.addAll(rows);
        return lines;
    }
}
