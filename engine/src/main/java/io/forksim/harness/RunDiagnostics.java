package io.forksim.harness;

import io.forksim.mem.OffHeapArena;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The fork harness's diagnostic trace, for finding where run-to-run noise comes from: with
 * {@code -Dforksim.diag=DIR} (e.g. through {@code FORKSIM_JAVA_OPTS}; worker JVMs inherit it) every JVM that runs
 * {@link ForkRun} appends lines to {@code DIR/diag-<pid>.txt}: the process's {@code AnonHugePages} after populating,
 * every warm-up window median, every run mean in the order it ran and every timed fork's time, each line after the JVM's uptime. Off by default; when off, {@link #line} is a
 * no-op and nothing is formatted. Every call happens outside the timed section.
 */
final class RunDiagnostics implements AutoCloseable
{
    /** The system property naming the directory of the trace files. */
    static final String PROPERTY = "forksim.diag";

    private final PrintStream out;

    private RunDiagnostics(final PrintStream out)
    {
        this.out = out;
    }

    /** The trace of this JVM: to {@code DIR/diag-<pid>.txt} when {@link #PROPERTY} names a directory, else off. */
    static RunDiagnostics open()
    {
        final String dir = System.getProperty(PROPERTY);
        if (dir == null || dir.isBlank())
        {
            return new RunDiagnostics(null);
        }
        try
        {
            final Path f = Path.of(dir, "diag-" + ProcessHandle.current().pid() + ".txt");
            return new RunDiagnostics(new PrintStream(new FileOutputStream(f.toFile(), true), true, StandardCharsets.UTF_8));
        }
        catch (final IOException e)
        {
            throw new IllegalStateException("cannot write the diagnostic trace into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Whether the trace is on. */
    boolean on()
    {
        return out != null;
    }

    /** Appends one line ({@link String#format} of {@code format} and {@code args}) when the trace is on. */
    void line(final String format, final Object... args)
    {
        if (out != null)
        {
            out.println(uptime() + String.format(format, args));
        }
    }

    /**
     * Appends every fork time of one run of one position ({@code t[0 .. count)}, in ns, in the order they ran) after
     * {@code label} when the trace is on: the per-fork series behind a run mean, to tell slow forks from a shift of the
     * whole run. Precondition: {@code count <= t.length}.
     */
    void forkTimes(final String label, final long[] t, final int count)
    {
        if (out != null)
        {
            final StringBuilder sb = new StringBuilder(uptime()).append(label).append(" forks");
            for (int i = 0; i < count; i++)
            {
                sb.append(' ').append(t[i]);
            }
            out.println(sb);
        }
    }

    /** Appends the process's {@code AnonHugePages} with a label when the trace is on. */
    void anonHugePages(final String label)
    {
        if (out != null)
        {
            out.println(label + " AnonHugePages " + (OffHeapArena.anonHugePagesBytes() >> 20) + " MiB");
        }
    }

    /** The JVM's uptime in seconds, as {@code -Xlog}'s {@code uptime} decoration prints it, so the two logs line up. */
    private static String uptime()
    {
        return String.format("[%.3fs] ", java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0);
    }

    @Override
    public void close()
    {
        if (out != null)
        {
            out.close();
        }
    }
}
