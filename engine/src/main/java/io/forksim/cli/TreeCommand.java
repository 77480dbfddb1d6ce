package io.forksim.cli;

import io.forksim.fork.StrategyChoice;
import io.forksim.harness.ForkPlan;
import io.forksim.harness.ForkTree;
import io.forksim.harness.ForkTreeCounts;
import io.forksim.harness.Units;
import io.forksim.stats.Events;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code forksim tree}: concurrent fork trees (zygote style) on a concurrent machine; see {@link ForkTree} for
 * the workload and its locking model. Prints throughput (ops, forks, fork pages, faults, COW copies per second),
 * the summed per-thread events, and the checks: invariants at quiescence, contents, leaks after every exit.
 */
@Command(name = "tree",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Runs concurrent fork trees: a zygote with SIZE of populated anon memory, N subtrees forked from it, each growing"
            + " grandchildren up to depth D while its processes take random COW write faults, reads and exits, on T threads"
            + " at once that share the zygote's folios (atomic refcount/mapcount updates, split page-table locks).",
        "",
        "At quiescence the invariant checker runs and every process's contents are compared with what it wrote; after"
            + " all processes exit nothing may leak. Reports forks/s, faults/s, COW copies/s and page-table entries"
            + " copied by fork per second.",
        ""},
    footer = {"",
        "Exit status: 0 ok; 1 a check failed (invariant violation, content mismatch, leak, a worker died); 2 bad option values."})
public final class TreeCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--children", paramLabel = "N", defaultValue = "8",
        description = "Subtrees forked from the zygote (default: ${DEFAULT-VALUE}).")
    int children;

    @Option(names = "--depth", paramLabel = "D", defaultValue = "3",
        description = "Deepest generation: 1 = children only, 2 = grandchildren, ... (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "64M", converter = SizeConverter.class,
        description = "The zygote's populated anon memory, K/M/G suffix (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--order", paramLabel = "K", defaultValue = "0",
        description = "Folio order of the zygote's memory, 0..9 (default: ${DEFAULT-VALUE}).")
    int order;

    @Mixin
    ArchOption arch;

    @Mixin
    StrategyOption strategy;

    @Option(names = "--threads", paramLabel = "T",
        description = "Worker threads, each owning every T-th subtree (default: the number of CPUs, at most N).")
    Integer threads;

    @Option(names = "--seconds", paramLabel = "S",
        description = "Run the workers for S seconds (default: 10 unless --ops is given).")
    Double seconds;

    @Option(names = "--ops", paramLabel = "N",
        description = "Run N ops in all instead of a duration (with --threads 1 the run is deterministic).")
    Long ops;

    @Option(names = "--max-procs", paramLabel = "M",
        description = "Live processes per subtree at most (default: 2 x depth).")
    Integer maxProcs;

    @Option(names = "--mix", paramLabel = "W,R,F,E", split = ",", defaultValue = "50,30,10,10",
        description = "Op weights: write, read, fork, exit (default: ${DEFAULT-VALUE}).")
    List<Integer> mix;

    @Option(names = "--ram", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Simulated RAM (default: enough for every process to COW all of its memory).")
    Long ram;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
        description = "Seed of the random op choices (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ProgressOption progressOption;

    @Mixin
    DebugOption debug;

    private Main.UsageException bad(final String message)
    {
        return new Main.UsageException(spec.commandLine(), message);
    }

    /** Validates the options; every rejection names the value. */
    ForkTree.Config config()
    {
        if (order < 0 || order > ForkTree.MAX_ORDER)
        {
            throw bad("Invalid value for option '--order': " + order + " (must be 0..9)");
        }
        if (children < 1 || children > 4096)
        {
            throw bad("Invalid value for option '--children': " + children + " (must be 1..4096)");
        }
        if (depth < 1 || depth > 64)
        {
            throw bad("Invalid value for option '--depth': " + depth + " (must be 1..64)");
        }
        final int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (t < 1 || t > 256)
        {
            throw bad("Invalid value for option '--threads': " + t + " (must be 1..256)");
        }
        if (ops != null && seconds != null)
        {
            throw bad("Invalid combination: give --ops or --seconds, not both");
        }
        if (ops != null && ops < 1)
        {
            throw bad("Invalid value for option '--ops': " + ops + " (must be at least 1)");
        }
        if (seconds != null && !(seconds > 0 && seconds <= 86_400))
        {
            throw bad("Invalid value for option '--seconds': " + seconds + " (must be more than 0 and at most 86400)");
        }
        final long folio = ForkPlan.PAGE_SIZE << order;
        if (size <= 0 || size % folio != 0)
        {
            throw bad("Invalid value for option '--size': " + Units.formatSize(Math.max(size, 0)) + " (must be a positive"
                + " multiple of the order-" + order + " folio size, " + Units.formatSize(folio) + ")");
        }
        if (size > (1L << 40))
        {
            throw bad("Invalid value for option '--size': " + Units.formatSize(size) + " (at most 1 TiB)");
        }
        if (strategy.strategy() == StrategyChoice.CONTPTE_BASIC && !arch.arch().equals("arm64"))
        {
            throw bad("Invalid combination: --strategy contpte-basic exists only on arm64 (use --arch arm64)");
        }
        final int m = maxProcs != null ? maxProcs : ForkTree.Config.defaultMaxPerSubtree(depth);
        if (m < 1)
        {
            throw bad("Invalid value for option '--max-procs': " + m + " (must be at least 1)");
        }
        if ((long)children * m + 1 > 65535)
        {
            throw bad("Invalid combination: --children " + children + " x --max-procs " + m
                + " exceeds the 65535 processes (MM IDs) a machine has");
        }
        if (mix.size() != 4 || mix.stream().anyMatch(x -> x < 0) || mix.stream().mapToInt(Integer::intValue).sum() <= 0)
        {
            throw bad("Invalid value for option '--mix': " + mix + " (four non-negative weights W,R,F,E with a positive sum)");
        }
        final long r;
        if (ram != null)
        {
            if (ram % ForkPlan.PAGE_SIZE != 0 || ram < (4L << 20) || ram > ForkCommand.MAX_RAM)
            {
                throw bad("Invalid value for option '--ram': " + Units.formatSize(ram) + " (must be a multiple of 4 KiB"
                    + " between 4 MiB and 8 TiB)");
            }
            if (ram < size + (4L << 20))
            {
                throw bad("Invalid value for option '--ram': " + Units.formatSize(ram) + " cannot hold the zygote's "
                    + Units.formatSize(size) + " and its page tables");
            }
            r = ram;
        }
        else
        {
            r = ForkTree.Config.defaultRam(children, m, size);
        }
        final long duration = ops != null ? 0 : (long)((seconds != null ? seconds : 10.0) * 1e9);
        return new ForkTree.Config(children, depth, size, order, arch.arch(), strategy.strategy(), t, ops != null ? ops : 0, duration, r, m, seed,
            new ForkTree.Mix(mix.get(0), mix.get(1), mix.get(2), mix.get(3)));
    }

    @Override
    public Integer call()
    {
        final ForkTree.Config c = config();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final ForkTree.Result r = ForkTree.run(c, progressOption.off() ? null : s ->
        {
            err.println("forksim tree: " + s);
            err.flush();
        });
        print(out, r);
        out.flush();
        if (!r.ok())
        {
            throw new Main.CheckFailedException(firstProblem(r));
        }
        return Main.EXIT_OK;
    }

    private static String firstProblem(final ForkTree.Result r)
    {
        final int n = r.failures().size() + r.violations().size() + r.leaks().size();
        final String first = !r.failures().isEmpty() ? r.failures().get(0)
            : !r.violations().isEmpty() ? r.violations().get(0) : r.leaks().get(0);
        return n + " problem" + (n == 1 ? "" : "s") + " found; first: " + first;
    }

    static void print(final PrintWriter out, final ForkTree.Result r)
    {
        final ForkTree.Config c = r.config();
        final ForkTreeCounts t = r.total();
        final Events ev = r.opEvents();
        final double wall = r.wallNanos() / 1e9;
        out.printf(Locale.ROOT, "forksim tree: %d subtrees (depth %d, <= %d processes each) of a %s zygote (order-%d folios),"
                + " %s %s, %d thread%s, seed %d%n", c.children(), c.depth(), c.maxPerSubtree(), Units.formatSize(c.sizeBytes()),
            c.order(), c.arch(), c.strategy().cliName(), c.workers(), c.workers() == 1 ? "" : "s", c.seed());
        out.printf(Locale.ROOT, "  simulated RAM %s, off-heap state %s, zygote populated in %.2f s (%s pages/s)%n",
            Units.formatSize(c.ramBytes()), Units.formatSize(r.offHeapBytes()), r.populateNanos() / 1e9,
            count(r.populateNanos() == 0 ? 0 : (c.sizeBytes() >>> 12) * 1e9 / r.populateNanos()));
        out.printf(Locale.ROOT, "%nop phase: %.2f s wall%n", wall);
        out.printf(Locale.ROOT, "  %-14s %15s %15s%n", "", "total", "per second");
        row(out, "ops", t.ops, r.opsPerSecond(), "");
        row(out, "forks", t.forks, r.forksPerSecond(), String.format(Locale.ROOT, "%s of the zygote; %s skipped at the depth/size limit",
            count(t.zygoteForks), count(t.skippedForks)));
        row(out, "fork pages", t.forkPages, r.forkPagesPerSecond(), String.format(Locale.ROOT,
            "entries copied; %.2f ns/page inside fork", r.forkNanosPerPage()));
        row(out, "exits", t.exits, t.exits / wall, "");
        row(out, "writes", t.writes, t.writes / wall, "");
        row(out, "reads", t.reads, t.reads / wall, "");
        row(out, "faults", ev.faults, r.faultsPerSecond(), "");
        row(out, "cow copies", ev.cowCopies, r.cowCopiesPerSecond(), "pages copied by write faults");
        row(out, "cow reuses", ev.cowReuses, ev.cowReuses / wall, "");
        row(out, "ooms", t.ooms, t.ooms / wall, "simulated RAM exhausted: the op failed cleanly, a process exited");
        out.printf(Locale.ROOT, "%nper thread: ");
        for (int i = 0; i < r.perWorker().size(); i++)
        {
            final ForkTreeCounts w = r.perWorker().get(i);
            out.printf(Locale.ROOT, "%s#%d %s ops, %s forks", i == 0 ? "" : "; ", i, count(w.ops), count(w.forks));
        }
        out.println();
        out.println("events of the op phase (per-thread counts summed at quiescence): " + ev);
        out.printf(Locale.ROOT, "%nchecks%n");
        final List<String> inv = r.violations();
        out.printf(Locale.ROOT, "  invariants and contents at quiescence (%d live processes): %s%n", r.liveAtQuiescence(),
            inv.isEmpty() ? "ok" : inv.size() + " problem(s)");
        for (final String s : inv.subList(0, Math.min(10, inv.size())))
        {
            out.println("    " + s);
        }
        out.printf(Locale.ROOT, "  leaks after every process exited: %s%n", r.leaks().isEmpty() ? "none" : r.leaks().size() + " problem(s)");
        for (final String s : r.leaks().subList(0, Math.min(10, r.leaks().size())))
        {
            out.println("    " + s);
        }
        final Events run = r.runEvents();
        out.printf(Locale.ROOT, "  whole run: %s folios allocated, %s freed; %s page-table pages allocated, %s freed%n",
            count(run.foliosAllocated), count(run.foliosFreed), count(run.ptPagesAlloc), count(run.ptPagesFree));
        if (!r.failures().isEmpty())
        {
            out.println("  worker failures:");
            for (final String s : r.failures())
            {
                out.println("    " + s);
            }
        }
    }

    private static void row(final PrintWriter out, final String name, final long total, final double perSecond, final String note)
    {
        out.printf(Locale.ROOT, "  %-14s %15s %15s   %s%n", name, count(total), count(perSecond), note);
    }

    private static String count(final double v)
    {
        return String.format(Locale.ROOT, "%,.0f", v);
    }
}
