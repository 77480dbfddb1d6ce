package io.forksim.snapshot;

import io.forksim.arch.PmdOps;
import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.FolioMapping;
import io.forksim.mm.HugeRmap;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.PmdLeaves;
import io.forksim.pgtable.TransHugeDeposit;
import io.forksim.pte.X86Pmd;
import io.forksim.snapshot.SnapshotFormatException.Kind;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static io.forksim.snapshot.SnapshotFixtures.A;
import static io.forksim.snapshot.SnapshotFixtures.B;
import static io.forksim.snapshot.SnapshotFixtures.MIB;
import static io.forksim.snapshot.SnapshotFixtures.PAGE;
import static io.forksim.snapshot.SnapshotFixtures.RW;
import static io.forksim.snapshot.SnapshotFixtures.batched;
import static io.forksim.snapshot.SnapshotFixtures.digest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Machines with PMD-mapped THPs save, load and validate: PMD leaves, their folios' counts and the PTE tables deposited
 * for them come back bit for bit, and a corrupted deposit list or leaf is refused with one line.
 */
class SnapshotPmdTest
{
    private static final long THP = PageTables.PMD_SIZE;

    @TempDir
    Path dir;

    /**
     * mm#1 maps 8 MiB at A with four PMD-mapped THPs and 1 MiB of order-0 pages at B; {@code scenario} "forked" adds a
     * live child (mm#2), "split" then unmaps page 5 of the parent's first THP, which splits that leaf.
     */
    private static Machine machine(final String arch, final String scenario)
    {
        final Machine m = new Machine(SnapshotFixtures.config(arch, false));
        try
        {
            final Mm p = m.newProcess();
            p.mmap(A, 8 * MIB, RW, false, null, 0);
            p.populate(A, 8 * MIB, 9, FolioMapping.PMD);
            p.mmap(B, MIB, RW, false, null, 0);
            p.populate(B, MIB, 0);
            if (!scenario.equals("populated"))
            {
                Fork.fork(p, batched(m));
            }
            if (scenario.equals("split"))
            {
                p.munmap(A + 5 * PAGE, PAGE);
            }
            InvariantChecker.check(m);
            return m;
        }
        catch (final RuntimeException | Error e)
        {
            m.close();
            throw e;
        }
    }

    private static long pmdTable(final Mm mm)
    {
        return PmdLeaves.pmdOffset(mm.machine().pageTables(), mm.pgd(), A);
    }

    private static int deposits(final Mm mm)
    {
        return TransHugeDeposit.count(mm.machine().memmap(), pmdTable(mm));
    }

    private static long head(final Mm mm, final long va)
    {
        return PmdOps.of(mm.machine().arch()).pmdPfn(mm.peekPmd(va));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"x86_64,populated", "arm64,populated", "x86_64,forked", "arm64,forked", "x86_64,split", "arm64,split"})
    void pmdLeavesAndTheirDepositsLoadIdenticalAndKeepWorkingIdentically(final String arch, final String scenario)
        throws Exception
    {
        final Path file = dir.resolve(scenario + ".snap");
        try (Machine orig = machine(arch, scenario))
        {
            final List<String> before = digest(orig);
            Snapshot.save(orig, file);
            assertThat(digest(orig)).as("saving changes nothing").isEqualTo(before);
            assertThat(Snapshot.info(file, true).processes()).hasSize(scenario.equals("populated") ? 1 : 2);
            try (Machine loaded = Snapshot.load(file))
            {
                assertThat(SnapshotFixtures.diff(before, digest(loaded))).isNull();
                InvariantChecker.check(loaded);
                final PmdOps ops = PmdOps.of(loaded.arch());
                final MemMap mem = loaded.memmap();
                final Mm parent = loaded.processes().get(0);
                assertThat(parent.rss(Mm.MM_ANONPAGES)).isEqualTo(scenario.equals("split") ? 4 * 512 - 1 + 256 : 4 * 512 + 256);
                for (long va = A + THP; va < A + 8 * MIB; va += THP)
                {
                    assertThat(ops.pmdTransHuge(parent.peekPmd(va))).as("leaf at 0x%x", va).isTrue();
                    assertThat(HugeRmap.folioEntireMapcount(mem, head(parent, va))).isEqualTo(scenario.equals("populated") ? 1 : 2);
                }
                switch (scenario)
                {
                    case "populated" ->
                    {
                        assertThat(ops.pmdTransHuge(parent.peekPmd(A))).isTrue();
                        assertThat(deposits(parent)).isEqualTo(4);
                    }
                    case "forked" ->
                    {
                        final Mm child = loaded.processes().get(1);
                        assertThat(deposits(parent)).isEqualTo(4);
                        assertThat(deposits(child)).isEqualTo(4);
                        assertThat(head(child, A)).isEqualTo(head(parent, A));
                        assertThat(mem.rawRefcount(head(parent, A))).isEqualTo(2);
                        assertThat(HugeRmap.folioEntireMapcount(mem, head(parent, A))).isEqualTo(2);
                    }
                    default ->
                    {
                        final Mm child = loaded.processes().get(1);
                        final long h = head(child, A);
                        assertThat(ops.pmdTransHuge(parent.peekPmd(A))).as("the parent's first leaf is split").isFalse();
                        assertThat(deposits(parent)).as("the split took its deposit").isEqualTo(3);
                        assertThat(deposits(child)).isEqualTo(4);
                        assertThat(parent.peekPte(A + 5 * PAGE)).isZero();
                        assertThat(loaded.arch().ptePfn(parent.peekPte(A + 6 * PAGE))).isEqualTo(h + 6);
                        assertThat(HugeRmap.folioEntireMapcount(mem, h)).isEqualTo(1);
                        assertThat(mem.largeMapcount(h)).as("the child's leaf and 511 PTEs of the parent").isEqualTo(512);
                    }
                }

                // Both machines now do the same things; they must stay identical, events included.
                final Events e1 = orig.events().copy();
                final Events e2 = loaded.events().copy();
                work(orig);
                work(loaded);
                assertThat(SnapshotFixtures.diff(digest(orig), digest(loaded))).isNull();
                assertThat(orig.events().minus(e1).toArray()).isEqualTo(loaded.events().minus(e2).toArray());
                assertThat(teardown(loaded)).isEqualTo(teardown(orig));
            }
        }
    }

    /** A fork of the parent, a COW write that splits the new child's leaf, a partial pageout, an exit. */
    private static void work(final Machine m)
    {
        final Mm p = m.processes().get(0);
        final Mm c = Fork.fork(p, batched(m));
        c.write(A + THP + 3 * PAGE, 0x5eedL);
        p.write(A + 3 * THP, 0x5eeeL);
        c.madvise(A + 2 * THP, 16 * PAGE, io.forksim.mm.Advice.PAGEOUT);
        c.exit();
        InvariantChecker.check(m);
    }

    private static long teardown(final Machine m)
    {
        for (final Mm p : List.copyOf(m.processes()))
        {
            p.exit();
        }
        InvariantChecker.check(m);
        return m.phys().freePageCount();
    }

    // ---------------------------------------------------------------- corruption

    /** Loads {@code good}, applies {@code corrupt} to the machine, saves it as {@code name}: a well-sealed bad file. */
    private Path corrupted(final Path good, final String name, final Consumer<Machine> corrupt) throws IOException
    {
        final Path bad = dir.resolve(name);
        try (Machine scratch = Snapshot.load(good))
        {
            corrupt.accept(scratch);
            Snapshot.save(scratch, bad);
        }
        return bad;
    }

    private static void loadFails(final Path file, final String message)
    {
        final SnapshotFormatException e = (SnapshotFormatException)catchThrowable(() -> Snapshot.load(file));
        assertThat(e).as("load of " + file).isNotNull();
        assertThat(e.kind()).isEqualTo(Kind.INCONSISTENT);
        assertThat(e.getMessage()).isEqualTo("snapshot " + file + ": " + message);
        assertThat(catchThrowable(() -> Snapshot.info(file, true))).hasMessage(e.getMessage());
    }

    @Test
    void aCorruptedDepositListOrPmdLeafIsRefusedWithOneLine() throws IOException
    {
        final Path good = dir.resolve("good.snap");
        final long table;
        final long[] deps;
        final long head;
        final int headFlags;
        try (Machine m = machine("x86_64", "forked"))
        {
            Snapshot.save(m, good);
            final Mm p = m.processes().get(0);
            table = pmdTable(p);
            deps = TransHugeDeposit.list(m.memmap(), table);
            head = head(p, A);
            headFlags = m.memmap().flags(head);
        }
        assertThat(deps).hasSize(4);
        Snapshot.load(good).close();

        // the list's head links a THP's head page instead of a table
        loadFails(corrupted(good, "not-a-table.snap", m -> m.memmap().setPmdHugePte(table, (int)(head + 1))),
            "mm#1: PMD table at pfn " + table + ": deposited PTE table at pfn " + head + " is not a page-table page (flags 0x"
                + Integer.toHexString(headFlags) + ")");
        // the last deposit links back to the first: a cycle
        loadFails(corrupted(good, "cycle.snap", m -> m.memmap().setPmdHugePte(deps[3], (int)(deps[0] + 1))),
            "mm#1: PMD table at pfn " + table + ": deposited PTE table at pfn " + deps[0] + " is linked twice");
        // the list skips its first deposit (a lost table)
        loadFails(corrupted(good, "short.snap", m -> m.memmap().setPmdHugePte(table, (int)(deps[1] + 1))),
            "mm#1: PMD table at pfn " + table + " holds 4 PMD leaves but 3 deposited PTE tables");
        // a deposited table holds a PTE
        loadFails(corrupted(good, "not-empty.snap", m -> m.pageTables().segment(deps[2])
                .set(ValueLayout.JAVA_LONG_UNALIGNED, m.pageTables().base(deps[2]) + 7 * 8, 0x1234L)),
            "mm#1: PMD table at pfn " + table + ": deposited PTE table at pfn " + deps[2] + " is not empty (entry 7 is 0x1234)");
        // a folio's entire mapcount disagrees with the two leaves that map it
        loadFails(corrupted(good, "entire.snap", m -> m.memmap().setMapcount(head + HugeRmap.ENTIRE_MAPCOUNT_PAGE, 1)),
            "folio " + head + " is mapped by 2 PMD leaves, but its entire mapcount is 1, its large mapcount 2 and its refcount 2");
        // the parent's first leaf maps a free block instead of its folio
        final long[] leaf = new long[4];
        final Path freeLeaf = corrupted(good, "free-leaf.snap", m ->
            {
                final Mm p = m.processes().get(0);
                final long t = pmdTable(p);
                // the highest deferred max-order block, else the head of the largest free list
                final PhysMem ph = m.phys();
                final long free = ph.deferredBlocks() > 0 ? ph.deferredEndPfn() - PhysMem.MAX_ORDER_NR_PAGES
                    : ph.exportState().freeHead()[ph.largestFreeOrder()];
                leaf[3] = ph.isDeferred(free) || (m.memmap().flags(free) & PageDescriptor.PG_BUDDY) != 0 ? 1 : 0;
                leaf[0] = p.peekPmd(A) & ~X86Pmd.PMD_PFN_MASK | free << 12;
                leaf[1] = free;
                leaf[2] = m.memmap().flags(free);
                m.pageTables().segment(t).set(ValueLayout.JAVA_LONG_UNALIGNED, m.pageTables().base(t) + 8L * PageTables.pmdIndex(A), leaf[0]);
            });
        loadFails(freeLeaf, String.format("mm#1: PMD leaf 0x%x (entry %d of the level-2 table at pfn %d, va 0x%x) maps pfn %d"
            + " (flags 0x%x), which is not the head of an order-9 anon folio", leaf[0], PageTables.pmdIndex(A), table, A, leaf[1],
            leaf[2]));
        assertThat(leaf[3]).as("a free block").isOne();
    }

    // ---------------------------------------------------------------- the fork parent cache

    @Test
    void theCacheTellsPmdMappedFromPteMappedOrder9() throws Exception
    {
        final Machine.Config cfg = Machine.Config.of("x86_64", 256L << 20);
        final long base = 1L << 40;
        final long size = 16 * MIB;
        assertThat(SnapshotCache.fileFor(dir, "x86_64", size, 9, FolioMapping.PMD, false, false))
            .isEqualTo(dir.resolve("forksim-x86_64-16M-o9pmd.snap"));
        assertThat(SnapshotCache.fileFor(dir, "x86_64", size, 9, FolioMapping.PTE, false, false))
            .isEqualTo(dir.resolve("forksim-x86_64-16M-o9.snap"));
        final Path option = dir.resolve("parent.snap");
        assertThat(SnapshotCache.fileFor(option, "arm64", size, 9, FolioMapping.PMD, true, false))
            .isEqualTo(dir.resolve("parent.arm64-basic-o9pmd.snap"));

        // one file asked for both ways: each time the other setup is replaced
        final List<String> status = new java.util.ArrayList<>();
        try (SnapshotCache.Loaded l = SnapshotCache.loadOrCreate(option, cfg, base, size, 9, FolioMapping.PMD, status::add))
        {
            assertThat(l.origin()).isEqualTo(ParentOrigin.CREATED);
            assertThat(status.getLast()).contains("16M of order-9 folios (pmd-mapped)");
            assertThat(PmdOps.of(l.machine().arch()).pmdTransHuge(l.parent().peekPmd(base))).isTrue();
            assertThat(Snapshot.info(option, false).meta()).containsEntry(SnapshotCache.META_MAPPING, "pmd");
        }
        try (SnapshotCache.Loaded l = SnapshotCache.loadOrCreate(option, cfg, base, size, 9, FolioMapping.PMD, status::add))
        {
            assertThat(l.origin()).isEqualTo(ParentOrigin.REUSED);
            assertThat(deposits(l.parent(), base)).isEqualTo(8);
            InvariantChecker.check(l.machine());
        }
        try (SnapshotCache.Loaded l = SnapshotCache.loadOrCreate(option, cfg, base, size, 9, status::add))
        {
            assertThat(l.origin()).isEqualTo(ParentOrigin.RECREATED_STALE);
            assertThat(l.reason()).isEqualTo("holds another setup (fork.mapping=pmd, wanted pte)");
            assertThat(PmdOps.of(l.machine().arch()).pmdTransHuge(l.parent().peekPmd(base))).isFalse();
            assertThat(Snapshot.info(option, false).meta()).doesNotContainKey(SnapshotCache.META_MAPPING);
        }
        try (SnapshotCache.Loaded l = SnapshotCache.loadOrCreate(option, cfg, base, size, 9, FolioMapping.PMD, status::add))
        {
            assertThat(l.origin()).isEqualTo(ParentOrigin.RECREATED_STALE);
            assertThat(l.reason()).isEqualTo("holds another setup (fork.mapping=pte, wanted pmd)");
        }
    }

    private static int deposits(final Mm mm, final long va)
    {
        return TransHugeDeposit.count(mm.machine().memmap(), PmdLeaves.pmdOffset(mm.machine().pageTables(), mm.pgd(), va));
    }
}
