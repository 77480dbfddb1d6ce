package io.forksim.cli;

import io.forksim.fork.StrategyChoice;
import io.forksim.harness.ForkPlan;
import io.forksim.mem.HostMemoryException;
import io.forksim.mem.OffHeapArena;
import io.forksim.harness.Progress;
import io.forksim.harness.ScaleReport;
import io.forksim.harness.ScaleRun;
import io.forksim.harness.Units;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code forksim scale}: the options of a {@link ScaleRun} (see there for the method), its progress and its
 * {@link ScaleReport}; {@code --strict} turns the repeated forks' CPU ns/page against the baseline's into the exit code.
 */
@Command(name = "scale",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Forks one process of SIZE (e.g. 64G or 1T) and compares its fork ns/page with a fork of --baseline size.",
        "",
        "Populates one process with SIZE of memory (e.g. 64G of order-0 pages or 1T of order-9 folios), forks it and "
            + "tears it down, and compares fork ns per page with the same fork at --baseline size in the same JVM.",
        "",
        "Reports populate pages/s, fork ns/page (fresh and repeated), tear-down, off-heap bytes per simulated page and "
            + "peak RSS. With --strict, exit 1 if the repeated forks' CPU ns/page is more than --tolerance above the "
            + "baseline's."})
public final class ScaleCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "64G", converter = SizeConverter.class,
        description = "Populated memory of the large process (default: ${DEFAULT-VALUE}).")
    long size;

    @Option(names = "--order", paramLabel = "ORDER", defaultValue = "0",
        description = "Folio order 0..9 (default: ${DEFAULT-VALUE}).")
    int order;

    @Mixin
    ArchOption arch;

    @Mixin
    StrategyOption strategy;

    @Option(names = "--ram", paramLabel = "SIZE", converter = SizeConverter.class,
        description = "Simulated RAM of the large machine (default: 2 x SIZE + 4 x its page tables, rounded up to 1G).")
    Long ram;

    @Option(names = "--baseline", paramLabel = "SIZE", defaultValue = "1G", converter = SizeConverter.class,
        description = "Size of the baseline measurement (default: ${DEFAULT-VALUE}).")
    long baseline;

    @Option(names = "--baseline-forks", paramLabel = "N", defaultValue = "20",
        description = "Warm-up forks, and timed forks of each kind, at the baseline size (default: ${DEFAULT-VALUE}).")
    int baselineForks;

    @Option(names = "--forks", paramLabel = "N",
        description = "Forks of the large process, each child exiting before the next (default: 11 where its fresh fork is"
            + " timed 5 times from a checkpoint, e.g. 64G of order 0; 3 at larger sizes such as 1T).")
    Integer forks;

    @Option(names = "--tolerance", paramLabel = "PCT", defaultValue = "15",
        description = "Allowed ns/page excess over the baseline, percent (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--strict", description = "Exit 1 when the repeated fork's ns/page exceeds the baseline's by more than --tolerance.")
    boolean strict;

    @Option(names = "--no-huge-pages", description = "Map the engine's arenas without transparent huge pages (for comparison).")
    boolean noHugePages;

    @Option(names = "--check", description = "Run the invariant checker on the large machine with a live child (slow, heap: 4 B per simulated page).")
    boolean check;

    @Mixin
    ProgressOption progressOption;

    @Mixin
    DebugOption debug;


    private Main.UsageException bad(final String message)
    {
        return new Main.UsageException(spec.commandLine(), message);
    }

    ScaleRun.Plan plan()
    {
        if (order < 0 || order > 9)
        {
            throw bad("Invalid value for option '--order': " + order + " (must be 0..9)");
        }
        final long folio = 4096L << order;
        for (final long s : new long[] {size, baseline})
        {
            if (s <= 0 || s % folio != 0)
            {
                throw bad("Invalid size " + Units.formatSize(s) + " (must be a positive multiple of the order-" + order
                    + " folio, " + Units.formatSize(folio) + ")");
            }
            if (s > io.forksim.pgtable.PageTables.TASK_SIZE - ForkPlan.BASE_VA)
            {
                throw bad("Invalid size " + Units.formatSize(s) + ": does not fit the user address space above 1 TiB");
            }
        }
        if (strategy.strategy() == StrategyChoice.CONTPTE_BASIC && !arch.arch().equals("arm64"))
        {
            throw bad("Invalid combination: --strategy contpte-basic exists only on arm64");
        }
        final int nForks = forks != null ? forks : ScaleRun.defaultForks(size);
        if (baselineForks < 1 || nForks < 1)
        {
            throw bad("Invalid value: --forks and --baseline-forks must be at least 1");
        }
        final long r = ram != null ? ram : ScaleRun.defaultRam(size);
        final long need = size + 2 * (((size >>> 21) + 8) * 4096);
        if (r < need || r > (1L << 43) || r % 4096 != 0)
        {
            throw bad("Invalid value for option '--ram': " + Units.formatSize(r) + " (needs at least "
                + Units.formatSize(ForkCommand.roundUp(need, 1L << 20)) + ", at most 8 TiB, a multiple of 4 KiB)");
        }
        final ScaleRun.Plan plan = new ScaleRun.Plan(arch.arch(), order, strategy.strategy(), size, r, baseline, baselineForks,
            nForks, check, !noHugePages);
        final long hostNeed = ScaleRun.hostBytesNeeded(plan);
        final long available = OffHeapArena.hostMemAvailable();
        if (available >= 0 && hostNeed > available)
        {
            throw bad(String.format(Locale.ROOT, "Invalid size %s: the run needs about %s of host memory, the host has %s"
                + " available", Units.formatSize(size), Units.formatSize(hostNeed), Units.formatSize(available)));
        }
        return plan;
    }

    @Override
    public Integer call()
    {
        final ScaleRun.Plan plan = plan();
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Progress progress = new Progress(err, progressOption.mode(), ScaleRun.steps(plan));
        final ScaleRun.Result r;
        try
        {
            r = run(plan, progress);
        }
        finally
        {
            progress.finish();
        }
        for (final String line : ScaleReport.report(r))
        {
            out.println(line);
        }
        out.flush();
        if (strict && r.cpuRatio() > 1 + tolerance / 100)
        {
            throw new Main.CheckFailedException(String.format(Locale.ROOT, "repeated fork at %s costs %.2f ns/page of CPU, %.1f%%"
                + " above the %s baseline (tolerance %.0f%%)", Units.formatSize(plan.sizeBytes()), r.large().repeat().medianCpu(),
                (r.cpuRatio() - 1) * 100, Units.formatSize(plan.baselineBytes()), tolerance));
        }
        return Main.EXIT_OK;
    }

    /** The run; the host refusing memory the run must commit is bad input (exit 2), as an impossible --ram is. */
    private ScaleRun.Result run(final ScaleRun.Plan plan, final Progress progress)
    {
        try
        {
            return ScaleRun.run(plan, new ScaleRun.Listener()
            {
                @Override
                public void status(final String text)
                {
                    progress.status(text);
                }

                @Override
                public void step(final int done, final int t, final String text)
                {
                    progress.step(done, text);
                }
            });
        }
        catch (final HostMemoryException e)
        {
            throw bad(e.getMessage());
        }
    }
}
