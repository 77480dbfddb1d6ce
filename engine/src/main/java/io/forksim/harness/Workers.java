package io.forksim.harness;

import io.forksim.fork.StrategyChoice;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Worker JVMs: by default {@code forksim fork} measures each (arch, order) in a JVM of its own, so that the copy
 * loop's calls into the {@code Arch} class see one receiver type and stay monomorphic (a JVM that ran both arches has
 * bimorphic call sites in the hot loop), and so that C2 compiles the copy, zap and restore loops from the profile of
 * that order alone. Measured with one worker per arch running orders 0, 4, 9 in turn: code compiled during order 0
 * trapped on the first large folio and was recompiled worse (x86_64 order-9 folio-batch 9.5 ns/page mean against
 * 4.0-4.4 in a JVM of its own); warming every order first instead made order-0's child teardown 3x slower. A worker is started with the same java binary, JVM flags and class path
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
    static List<String> inheritedJvmArgs()
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

    static String javaBinary()
    {
        final Path p = Path.of(System.getProperty("java.home"), "bin", "java");
        if (p.toFile().canExecute())
        {
            return p.toString();
        }
        return ProcessHandle.current().info().command().orElse("java");
    }

    /**
     * The worker's command line for one arch: this JVM's java, flags and class path, then {@code entry} (the main class
     * and the arguments that select worker mode), then the plan as options.
     */
    static List<String> command(final List<String> entry, final ForkPlan plan, final String arch, final Path counters,
        final boolean debug)
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
        cmd.addAll(entry);
        cmd.add("--arch=" + arch);
        cmd.add("--size=" + plan.sizeBytes());
        cmd.add("--orders=" + plan.orders().stream().map(String::valueOf).collect(Collectors.joining(",")));
        cmd.add("--strategy=" + plan.strategies().stream().map(StrategyChoice::cliName).collect(Collectors.joining(",")));
        cmd.add("--runs=" + plan.runs());
        cmd.add("--iterations=" + plan.iterations());
        cmd.add("--ram=" + plan.ramBytes());
        cmd.add("--warmup=" + plan.warmup());
        cmd.add(plan.tlbiRange() ? "--tlbi-range" : "--no-tlbi-range");
        if (plan.snapshot() != null)
        {
            cmd.add("--snapshot=" + plan.snapshot());
        }
        if (plan.reuseParent())
        {
            cmd.add("--reuse-parent");
        }
        if (plan.verify())
        {
            cmd.add("--verify");
        }
        if (debug)
        {
            cmd.add("--debug");
        }
        if (counters != null)
        {
            cmd.add("--counters=" + counters);
        }
        else
        {
            cmd.add("--no-counters");
        }
        return cmd;
    }

    /**
     * Runs the worker for {@code arch} and waits for it.
     *
     * @param entry      the main class and the arguments that make it run as a worker (see {@link #command})
     * @param stepOffset steps done before this worker (its [k/N] lines are offset by it)
     * @throws RunFailedException when the worker fails (exit code other than 0, or no results)
     */
    public static ForkRun.Outcome run(final List<String> entry, final ForkPlan plan, final String arch, final Path counters, final Progress progress,
        final int stepOffset, final boolean debug) throws IOException, InterruptedException
    {
        final List<String> cmd = command(entry, plan, arch, counters, debug);
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
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = r.readLine()) != null)
            {
                final String other = JsonReport.parseWorkerLine(line, results, problems);
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
        return new ForkRun.Outcome(results, problems);
    }
}
