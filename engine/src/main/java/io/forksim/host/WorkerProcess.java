package io.forksim.host;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs one shape's measurement in a worker JVM and reads its result: the worker prints one line
 * {@link #RESULT_PREFIX}{@code {json}} on stdout (a {@link KernelShapeResult}); anything else it prints is passed on.
 * If this JVM is stopped (Ctrl-C), the worker is destroyed, and its own shutdown hook kills and reaps its children.
 */
public final class WorkerProcess
{
    /** The prefix of the worker's result line. */
    public static final String RESULT_PREFIX = "forksim-kernel-result ";
    private static final ObjectMapper JSON = new ObjectMapper();

    private WorkerProcess()
    {
    }

    /** The result line a worker prints for {@code r}. */
    public static String resultLine(final KernelShapeResult r)
    {
        try
        {
            return RESULT_PREFIX + JSON.writeValueAsString(r);
        }
        catch (final IOException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts {@code command}, passes its other output lines to {@code lines}, and returns its result.
     *
     * @throws HostException when the worker fails or prints no result (the shape is then reported as not measured)
     */
    public static KernelShapeResult run(final List<String> command, final Consumer<String> lines)
    {
        final Process p;
        try
        {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        }
        catch (final IOException e)
        {
            throw new HostException("cannot start the worker JVM " + command.getFirst() + ": " + e.getMessage());
        }
        final Thread killer = new Thread(p::destroy, "forksim-kernel-worker-killer");
        Runtime.getRuntime().addShutdownHook(killer);
        KernelShapeResult result = null;
        final List<String> tail = new ArrayList<>();
        try
        {
            p.getOutputStream().close();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    if (line.startsWith(RESULT_PREFIX))
                    {
                        result = JSON.readValue(line.substring(RESULT_PREFIX.length()), KernelShapeResult.class);
                    }
                    else
                    {
                        tail.add(line);
                        lines.accept(line);
                    }
                }
            }
            final int code = p.waitFor();
            if (code != 0 || result == null)
            {
                throw new HostException("the kernel worker JVM failed (exit code " + code + ")"
                    + (tail.isEmpty() ? "" : ": " + tail.getLast()));
            }
            return result;
        }
        catch (final IOException e)
        {
            throw new HostException("reading the kernel worker's output failed: " + e.getMessage());
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            p.destroy();
            throw new HostException("interrupted while the kernel worker ran");
        }
        finally
        {
            if (p.isAlive())
            {
                p.destroy();
            }
            try
            {
                Runtime.getRuntime().removeShutdownHook(killer);
            }
            catch (final IllegalStateException e)
            {
                // shutting down
            }
        }
    }
}
