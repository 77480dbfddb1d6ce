package io.forksim.cli;

import io.forksim.arch.ArchVariant;
import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.StrategyChoice;
import io.forksim.harness.FolioOrder;
import io.forksim.harness.ForkPlan;
import io.forksim.harness.Units;
import io.forksim.mm.FolioMapping;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.snapshot.Snapshot;
import io.forksim.snapshot.SnapshotCache;
import io.forksim.snapshot.SnapshotFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code forksim snapshot save|info|check FILE}: machine snapshots (see {@link Snapshot}). {@code save} builds the
 * populated fork parent {@code forksim fork} would build (same defaults, so {@code fork --snapshot FILE} reuses it)
 * and writes it; {@code info} prints what a file holds and verifies it; {@code check} loads it, runs the invariant
 * checker, forks once and checks again.
 *
 * <p>A file that is not a valid snapshot gives one line naming it and the problem, exit 2.
 */
@Command(name = "snapshot",
    mixinStandardHelpOptions = true,
    description = {"Saves, describes and checks machine snapshots (the whole simulated machine in one file)."},
    subcommands = {SnapshotCommand.Save.class, SnapshotCommand.Info.class, SnapshotCommand.Check.class})
public final class SnapshotCommand implements Runnable
{
    @Spec
    CommandSpec spec;

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: save, info or check");
    }

    /** A snapshot problem is bad input: exit 2 with its one-line message. */
    static Main.UsageException unusable(final CommandSpec spec, final SnapshotFormatException e)
    {
        return new Main.UsageException(spec.commandLine(), e.getMessage());
    }

    /** The simulated RAM {@code forksim fork} gives a parent of {@code size} (ForkCommand's default). */
    static long forkDefaultRam(final long size)
    {
        return Math.max(4L << 30, ForkCommand.roundUp((long)Math.ceil(size * 2.5), 1L << 30));
    }

    @Command(name = "save", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Saves the populated fork parent of one configuration to FILE.", "",
            "Builds the parent as 'forksim fork' does and saves the whole machine to FILE, replacing it atomically."})
    static final class Save implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The snapshot file to write.")
        Path file;

        @Mixin
        ArchOption arch;

        @Option(names = "--size", defaultValue = "1G", converter = SizeConverter.class,
            description = "Populated anon memory of the parent (default: ${DEFAULT-VALUE}).")
        long size;

        @Option(names = "--order", defaultValue = "0", converter = Converters.OrderConverter.class,
            description = "Folio order 0..9 (PTE-mapped folios) or 9pmd (PMD-mapped 2 MiB THPs) (default: ${DEFAULT-VALUE}).")
        int orderCode;

        @Option(names = "--ram", converter = SizeConverter.class,
            description = "Simulated RAM (default: as 'forksim fork': max(4G, 2.5 x SIZE rounded up to 1G)).")
        Long ram;

        @Option(names = "--contpte-basic", description = "arm64 machine with the contpte-basic backend.")
        boolean contpteBasic;

        @Mixin
        TlbiRangeOption tlbiRange;

        @Mixin
        DebugOption debug;

        @Override
        public Integer call() throws IOException
        {
            final int order = FolioOrder.order(orderCode);
            final FolioMapping mapping = FolioOrder.mapping(orderCode);
            final long folio = 4096L << order;
            if (size <= 0 || size % folio != 0)
            {
                throw new Main.UsageException(spec.commandLine(), "Invalid --order " + FolioOrder.label(orderCode) + " / --size "
                    + Units.formatSize(size) + " (the size must be a positive multiple of the folio size, "
                    + Units.formatSize(folio) + ")");
            }
            if (contpteBasic && !arch.arch().equals("arm64"))
            {
                throw new Main.UsageException(spec.commandLine(), "Invalid combination: --contpte-basic exists only on arm64");
            }
            final long r = ram != null ? ram : forkDefaultRam(size);
            final Machine.Config cfg;
            try
            {
                Machine.Config c = Machine.Config.of(arch.arch(), r);
                if (arch.arch().equals("arm64"))
                {
                    c = c.withTlbiRange(tlbiRange.tlbiRange()).withArch(ArchVariant.of(arch.arch(), contpteBasic));
                }
                cfg = c;
            }
            catch (final IllegalArgumentException e)
            {
                throw new Main.UsageException(spec.commandLine(), "Invalid value: " + e.getMessage());
            }
            final PrintWriter out = spec.commandLine().getOut();
            final PrintWriter err = spec.commandLine().getErr();
            try (Machine m = new Machine(cfg))
            {
                err.println("forksim snapshot: populating " + Units.formatSize(size) + " of order-" + order + " folios ("
                    + mapping.jsonName() + "-mapped, " + arch.arch() + ", " + Units.formatSize(r) + " of RAM) ...");
                err.flush();
                final long t0 = System.nanoTime();
                SnapshotCache.populateForkParent(m, ForkPlan.BASE_VA, size, order, mapping);
                final double popS = (System.nanoTime() - t0) / 1e9;
                final Snapshot.Info info = Snapshot.save(m, file, SnapshotCache.meta(ForkPlan.BASE_VA, size, order, mapping));
                out.println(String.format(Locale.ROOT, "saved %s: %s in %.2f s (populating took %.2f s; %.0f MiB/s)", info.file(),
                    Units.formatSize(info.fileBytes()), info.elapsedNanos() / 1e9, popS,
                    info.fileBytes() / (info.elapsedNanos() / 1e9) / (1 << 20)));
                printSections(out, info);
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Prints what a snapshot holds: machine, metadata, sections, processes.", "",
            "Verifies every checksum and the consistency of the state first, as loading does, without building the machine."})
    static final class Info implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The snapshot file.")
        Path file;

        @Option(names = "--quick", description = "Verify only the header and the small sections (not the memmap, tables and swap).")
        boolean quick;

        @Mixin
        DebugOption debug;

        @Override
        public Integer call() throws IOException
        {
            final Snapshot.Info info;
            try
            {
                info = Snapshot.info(file, !quick);
            }
            catch (final SnapshotFormatException e)
            {
                throw unusable(spec, e);
            }
            final PrintWriter out = spec.commandLine().getOut();
            final Machine.Config c = info.config();
            out.println("snapshot " + info.file());
            out.println(String.format(Locale.ROOT, "  format version %d, %s, written %s", info.formatVersion(),
                Units.formatSize(info.fileBytes()), Instant.ofEpochMilli(info.createdMillis())));
            out.println(String.format(Locale.ROOT, "  machine: %s%s, %s of RAM (%,d pages, %,d free), %s of swap (%,d slots used)",
                c.arch().label(), c.arch().isArm64() ? (c.tlbiRange() ? " tlbi-range" : " no-tlbi-range") : "",
                Units.formatSize(c.ramBytes()), c.ramBytes() >>> 12, info.freePages(), Units.formatSize(c.swapBytes()), info.swapUsed()));
            out.println(String.format(Locale.ROOT, "  %d process%s, %d file%s, %,d page-table pages", info.processes().size(),
                info.processes().size() == 1 ? "" : "es", info.files(), info.files() == 1 ? "" : "s", info.tableSlotsInUse()));
            for (final Snapshot.ProcessInfo p : info.processes())
            {
                out.println(String.format(Locale.ROOT, "    mm#%d pgd %d: %d vma%s, rss file %,d anon %,d swap %,d shmem %,d, %d pin%s%s",
                    p.id(), p.pgd(), p.vmas(), p.vmas() == 1 ? "" : "s", p.rss()[0], p.rss()[1], p.rss()[2], p.rss()[3],
                    p.pins(), p.pins() == 1 ? "" : "s", p.hasPinned() ? " (MMF_HAS_PINNED)" : ""));
            }
            for (final Map.Entry<String, String> e : info.meta().entrySet())
            {
                out.println("  meta " + e.getKey() + " = " + e.getValue());
            }
            printSections(out, info);
            out.println(info.checksumsVerified()
                ? String.format(Locale.ROOT, "  verified: every checksum and the state's consistency (%.2f s)", info.elapsedNanos() / 1e9)
                : "  verified: header and small sections only (--quick)");
            return Main.EXIT_OK;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Loads a snapshot, checks it, forks its first process once and checks again.", "",
            "Loads the snapshot (timed), runs the invariant checker, forks the first process once, checks again and lets "
                + "the child exit (nothing may leak)."})
    static final class Check implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The snapshot file.")
        Path file;

        @Option(names = "--strategy", defaultValue = "folio-batch", converter = Converters.StrategyConverter.class,
            description = "Copy strategy of the test fork (default: ${DEFAULT-VALUE}; contpte-basic machines always use contpte-basic).")
        StrategyChoice strategy;

        @Mixin
        DebugOption debug;

        @Override
        public Integer call() throws IOException
        {
            final PrintWriter out = spec.commandLine().getOut();
            final long t0 = System.nanoTime();
            final Machine m;
            try
            {
                m = Snapshot.load(file);
            }
            catch (final SnapshotFormatException e)
            {
                throw unusable(spec, e);
            }
            try (m)
            {
                final double loadS = (System.nanoTime() - t0) / 1e9;
                out.println(String.format(Locale.ROOT, "loaded %s in %.2f s: %s, %d process%s", file, loadS, m.config().archName(),
                    m.processes().size(), m.processes().size() == 1 ? "" : "es"));
                final long c0 = System.nanoTime();
                InvariantChecker.check(m);
                out.println(String.format(Locale.ROOT, "invariants hold (%.2f s)", (System.nanoTime() - c0) / 1e9));
                if (!m.processes().isEmpty())
                {
                    final StrategyChoice s = StrategyChoice.of(strategy.strategy(), m.config().arch());
                    final long free = m.phys().freePageCount();
                    final Mm parent = m.processes().getFirst();
                    final long f0 = System.nanoTime();
                    final Mm child = Fork.fork(parent, s.strategy());
                    final double forkS = (System.nanoTime() - f0) / 1e9;
                    InvariantChecker.check(m);
                    child.exit();
                    InvariantChecker.check(m);
                    if (m.phys().freePageCount() != free)
                    {
                        throw new Main.CheckFailedException("the child's exit left " + (free - m.phys().freePageCount())
                            + " pages allocated");
                    }
                    out.println(String.format(Locale.ROOT, "fork of mm#%d (%s): %.3f s; invariants hold with the child and after"
                        + " its exit; nothing leaked", parent.id(), s.cliName(), forkS));
                }
            }
            return Main.EXIT_OK;
        }
    }

    static void printSections(final PrintWriter out, final Snapshot.Info info)
    {
        out.println("  sections:");
        for (final Snapshot.Section s : info.sections())
        {
            out.println(String.format(Locale.ROOT, "    %-24s %14s at %,15d  crc32c %08x", s.name(), Units.formatSize(s.length()),
                s.offset(), s.crc32c()));
        }
    }
}
