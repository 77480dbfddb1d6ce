package io.forksim.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Worker JVMs: by default {@code forksim fork} measures each (arch, order) in a JVM of its own, so that the copy
 * loop's calls into the {@code Arch} class see one receiver type and stay monomorphic (a JVM that ran both arches has
 * bimorphic call sites in the hot loop), and so that C2 compiles the copy, zap and restore loops from the profile of
 * that order alone: code compiled while one order runs traps on the folios of the next and is recompiled worse
 * (the measurements are in commit 5435efe). A worker is started with the same java binary, JVM flags and class path
 * as this JVM ({@code forksim fork --worker --arch A ...}); it prints its results as JSON lines on stdout and its
 * progress as {@code [k/N]} lines on stderr. Workers run one after the other, never in parallel (timing).
 */
public final class Workers
{
    /**
     * The worker's minimum heap. ForkRun's {@code System.gc()} before the timed runs otherwise shrinks G1's heap to
     * about 28 MiB with an eden of about 8 MiB, so that the ~1 KiB a fork and its child's exit allocate (the child's
     * Mm and VMA objects) filled eden every few thousand forks and a young pause (2-46 ms on this machine) could
     * land inside a timed fork; with 256 MiB eden holds well over a hundred thousand forks. Not added when the
     * user's JVM options already set -Xms.
     */
    static final String WORKER_MIN_HEAP = "-Xms256m";

    private Workers()
    {
    }

    /** The JVM flags of this JVM that a worker should get too (no debugger or agents: ports, output files). */
    public static List<String> inheritedJvmArgs()
    {
        final List<String> out = new ArrayList<>();
        for (final String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (a.startsWith("-agentlib:jdwp") || a.startsWith("-Xrunjdwp") || a.startsWith("-javaagent:")
                || a.startsWith("-agentpath:") || a.startsWith("-Xdebug"))
            {
                continue;
            }
            out.add(a);
        }
        return out;
    }

    public static String javaBinary()
    {
        final Path p = Path.of(System.getProperty("java.home"), "bin", "java");
        if (p.toFile().canExecute())
        {
            return p.toString();
        }
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** The worker's command line: this JVM's java, flags and class path, then {@code args}. */
    static List<String> command(final List<String> args)
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        final List<String> inherited = inheritedJvmArgs();
        if (inherited.stream().noneMatch(a -> a.startsWith("-Xms")))
        {
            cmd.add(WORKER_MIN_HEAP);
        }
        cmd.addAll(inherited);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Runs one worker JVM and waits for it.
     *
     * @param args       the main class and its arguments: a run of one arch in worker mode, which prints
     *                   {@link JsonReport#resultLine result lines} on stdout and {@link Progress} lines on stderr
     * @param arch       the worker's arch (for thread names and messages)
     * @param stepOffset steps done before this worker (its [k/N] lines are offset by it)
     * @throws RunFailedException when the worker fails (exit code other than 0, or no results)
     */
    public static ForkRun.Outcome run(final List<String> args, final String arch, final Progress progress,
        final int stepOffset) throws IOException, InterruptedException
    {
        final List<String> cmd = command(args);
        final Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        // if this JVM is stopped (Ctrl-C, SIGTERM), the worker goes too
        final Thread killer = new Thread(p::destroy, "forksim-worker-killer-" + arch);
        Runtime.getRuntime().addShutdownHook(killer);
        final List<String> stderrTail = new ArrayList<>();
        final Thread err = Thread.ofPlatform().name("forksim-worker-stderr-" + arch).start(() ->
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    if (!Progress.LINE.matcher(line).matches() && !line.startsWith(Progress.STATUS_PREFIX))
                    {
                        synchronized (stderrTail)
                        {
                            stderrTail.add(line);
                        }
                    }
                    progress.workerLine(stepOffset, line);
                }
            }
            catch (final IOException e)
            {
                progress.message("forksim: reading the " + arch + " worker's stderr failed: " + e.getMessage());
            }
        });
        final List<RawResult> results = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        final List<ParentSource> parents = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = r.readLine()) != null)
            {
                final String other = JsonReport.parseWorkerLine(line, results, problems, parents);
                if (other != null && !other.isBlank())
                {
                    progress.message(other);
                }
            }
        }
        finally
        {
            final int code = p.waitFor();
            err.join();
            try
            {
                Runtime.getRuntime().removeShutdownHook(killer);
            }
            catch (final IllegalStateException e)
            {
                // shutting down already
            }
            if (code != 0)
            {
                throw new RunFailedException("the " + arch + " worker JVM failed with exit code " + code
                    + (stderrTail.isEmpty() ? "" : ": " + stderrTail.getLast()));
            }
        }
        return new ForkRun.Outcome(results, problems, parents);
    }
}
