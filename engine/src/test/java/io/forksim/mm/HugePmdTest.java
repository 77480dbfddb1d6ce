package io.forksim.mm;

import io.forksim.arch.PmdOps;
import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.MemMap;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.PmdLeaves;
import io.forksim.pgtable.TransHugeDeposit;
import io.forksim.pte.Arm64Pmd;
import io.forksim.pte.Arm64Pte;
import io.forksim.pte.X86Pmd;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.THP;
import static io.forksim.mm.Fixtures.consistent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * PMD-mapped THP on both arches: populate, fork ({@code copy_huge_pmd}), COW, splits, pageout and exit, with the
 * exact PMD and PTE words and folio counts Linux 6.18 leaves.
 */
class HugePmdTest
{
    /** The fresh leaf of {@code map_anon_folio_pmd} in a private RW VMA: young, dirty, writable. */
    static long freshLeaf(final String arch, final long pfn)
    {
        if (arch.equals("x86_64"))
        {
            return X86Pmd.folioMkPmd(pfn, X86Pte.PAGE_COPY) | X86Pte.RW | X86Pte.DIRTY | X86Pte.SOFT_DIRTY;
        }
        return Arm64Pmd.folioMkPmd(pfn, Arm64Pte.PAGE_READONLY) & ~Arm64Pte.RDONLY | Arm64Pte.DBM | Arm64Pte.DIRTY;
    }

    /** The parent's leaf after fork: write-protected (x86: D parked in SavedDirty; arm64: RDONLY, sw DIRTY). */
    static long parentAfterFork(final String arch, final long pfn)
    {
        final long f = freshLeaf(arch, pfn);
        if (arch.equals("x86_64"))
        {
            return f & ~(X86Pte.RW | X86Pte.DIRTY) | X86Pte.SAVED_DIRTY;
        }
        return f & ~Arm64Pte.DBM | Arm64Pte.RDONLY;
    }

    /** The child's leaf after fork: the parent's, old. */
    static long childAfterFork(final String arch, final long pfn)
    {
        return parentAfterFork(arch, pfn) & ~(arch.equals("x86_64") ? X86Pte.ACCESSED : Arm64Pte.AF);
    }

    static Mm thpProcess(final Machine m, final long len)
    {
        final Mm mm = m.newProcess();
        mm.mmap(A, len, RW, false, null, 0);
        mm.populate(A, len, 9, FolioMapping.PMD);
        return mm;
    }

    static long head(final Mm mm, final long va)
    {
        return PmdOps.of(mm.machine().arch()).pmdPfn(mm.peekPmd(va));
    }

    static int deposits(final Mm mm, final long va)
    {
        final Machine m = mm.machine();
        return TransHugeDeposit.count(m.memmap(), PmdLeaves.pmdOffset(m.pageTables(), mm.pgd(), va));
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void populateMapsEach2MiBWithOneYoungDirtyWritableLeafAndOneDeposit(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Events before = m.events().copy();
            final Mm mm = thpProcess(m, 2 * THP);
            final Events e = m.events().minus(before);
            final MemMap mem = m.memmap();
            for (long va = A; va < A + 2 * THP; va += THP)
            {
                final long h = head(mm, va);
                assertThat(mm.peekPmd(va)).isEqualTo(freshLeaf(arch, h));
                assertThat(mm.peekPte(va)).as("no PTE table under a leaf").isZero();
                assertThat(mem.order(h)).isEqualTo(9);
                assertThat(mem.rawRefcount(h)).as("one PMD mapping = one reference").isEqualTo(1);
                assertThat(mem.largeMapcount(h)).isEqualTo(1);
                assertThat(HugeRmap.folioEntireMapcount(mem, h)).isEqualTo(1);
                assertThat(mem.testAnonExclusive(h)).isTrue();
                assertThat(mem.anyAnonExclusive(h + 1, 511)).as("PAE of a PMD mapping lives on the head only").isFalse();
            }
            assertThat(deposits(mm, A)).isEqualTo(2);
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(1024);
            assertThat(e.ptPagesAlloc).as("PGD, PUD, PMD and two deposits").isEqualTo(5);
            assertThat(e.ptepGet).isZero();
            assertThat(e.pteStore).isZero();
            assertThat(mm.read(A + 5 * PAGE)).isNotZero();
            consistent(m);
            mm.exit();
            assertThat(InvariantChecker.leaks(m, m.phys().freePageCount())).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void forkOf64MiBCosts32PmdCopies32RefcountUpdatesAnd35TablePagesUnderEveryStrategy(final String arch)
    {
        for (final Strategy s : new Strategy[] {Strategy.LEGACY, Strategy.ARCH_BATCH, Strategy.FOLIO_BATCH})
        {
            try (Machine m = new Machine(Machine.Config.of(arch, 256L << 20)))
            {
                final Mm parent = thpProcess(m, 64L << 20);
                final Events before = m.events().copy();
                final Mm child = Fork.fork(parent, s);
                final Events e = m.events().minus(before);
                assertThat(e.pmdCopy).as(s.cliName()).isEqualTo(32);
                assertThat(e.ptepGet).isZero();
                assertThat(e.refcountUpdate).isEqualTo(32);
                assertThat(e.rmapUpdate).isEqualTo(32);
                assertThat(e.ptPagesAlloc).as("PGD, PUD, PMD and 32 deposits").isEqualTo(35);
                assertThat(e.pmdSplit).isZero();
                assertThat(e.tlbiAsid).isEqualTo(1);
                final MemMap mem = m.memmap();
                final long h = head(parent, A);
                assertThat(parent.peekPmd(A)).isEqualTo(parentAfterFork(arch, h));
                assertThat(child.peekPmd(A)).isEqualTo(childAfterFork(arch, h));
                assertThat(mem.rawRefcount(h)).isEqualTo(2);
                assertThat(mem.largeMapcount(h)).isEqualTo(2);
                assertThat(HugeRmap.folioEntireMapcount(mem, h)).isEqualTo(2);
                assertThat(mem.folioMmIdsShared(h)).isTrue();
                assertThat(mem.testAnonExclusive(h)).isFalse();
                assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(16384);
                assertThat(deposits(child, A)).isEqualTo(32);
                assertThat(child.read(A + 7 * PAGE)).isEqualTo(parent.read(A + 7 * PAGE));
                consistent(m);
                child.exit();
                parent.exit();
                consistent(m);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void cowAfterForkInTheChildSplitsItsLeafAndCopiesOnePage(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final long h = head(parent, A);
            final long old = parent.read(A + 3 * PAGE);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Events before = m.events().copy();
            child.write(A + 3 * PAGE, 777);
            final Events e = m.events().minus(before);
            assertThat(e.pmdSplit).isEqualTo(1);
            assertThat(e.cowCopies).as("one 4 KiB page, never 2 MiB").isEqualTo(1);
            assertThat(child.peekPmd(A)).as("now a table entry").isNotEqualTo(childAfterFork(arch, h));
            assertThat(parent.peekPmd(A)).isEqualTo(parentAfterFork(arch, h));
            assertThat(parent.read(A + 3 * PAGE)).isEqualTo(old);
            assertThat(child.read(A + 3 * PAGE)).isEqualTo(777);
            final MemMap mem = m.memmap();
            assertThat(mem.rawRefcount(h)).as("parent PMD 1 + child's 511 PTEs").isEqualTo(512);
            assertThat(mem.largeMapcount(h)).isEqualTo(512);
            assertThat(HugeRmap.folioEntireMapcount(mem, h)).isEqualTo(1);
            assertThat(deposits(child, A)).as("the split used the child's deposit").isZero();
            assertThat(deposits(parent, A)).isEqualTo(1);
            // the split PTEs outside the COW'd page's 64 KiB block: the child's leaf bits (read-only, old, dirty)
            final long pte = child.peekPte(A + 20 * PAGE);
            assertThat(m.arch().ptePfn(pte)).isEqualTo(h + 20);
            assertThat(m.arch().pteWrite(pte)).isFalse();
            assertThat(m.arch().pteYoung(pte)).isFalse();
            assertThat(m.arch().pteDirty(pte)).isTrue();
            assertThat(m.arch().pteCont(pte)).as("6.18 contpte_set_ptes folds every aligned block").isEqualTo(arch.equals("arm64"));
            consistent(m);
            child.exit();
            parent.exit();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void cowAfterForkInTheParentSplitsTheParentAndLeavesTheChildPmdMapped(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final long h = head(parent, A);
            final long old = parent.read(A);
            final Mm child = Fork.fork(parent, Strategy.LEGACY);
            parent.write(A, 42);
            assertThat(parent.read(A)).isEqualTo(42);
            assertThat(child.read(A)).isEqualTo(old);
            assertThat(child.peekPmd(A)).isEqualTo(childAfterFork(arch, h) | (arch.equals("x86_64") ? X86Pte.ACCESSED : Arm64Pte.AF));
            assertThat(parent.peekPte(A + PAGE)).as("PTE-mapped now").isNotZero();
            consistent(m);
            child.exit();
            consistent(m);
            parent.exit();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void writeAfterTheChildExitedReusesTheWholeLeaf(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final long h = head(parent, A);
            Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
            final Events before = m.events().copy();
            parent.write(A + PAGE, 5);
            final Events e = m.events().minus(before);
            assertThat(e.cowReuses).isEqualTo(1);
            assertThat(e.pmdSplit).isZero();
            assertThat(parent.peekPmd(A)).isEqualTo(freshLeaf(arch, h));
            assertThat(m.memmap().testAnonExclusive(h)).isTrue();
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void mprotectOptimisationMakesOnlyAnExclusiveLeafWritable(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final long h = head(parent, A);
            parent.mprotect(A, THP, R);
            assertThat(m.arch().pteWrite(parent.peekPmd(A))).isFalse();
            parent.mprotect(A, THP, RW);
            assertThat(parent.peekPmd(A)).as("exclusive: writable at once").isEqualTo(freshLeaf(arch, h));
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            parent.mprotect(A, THP, R);
            parent.mprotect(A, THP, RW);
            assertThat(parent.peekPmd(A)).as("shared with the child: stays read-only").isEqualTo(parentAfterFork(arch, h));
            final long old = child.read(A);
            parent.write(A, 9);
            assertThat(child.read(A)).isEqualTo(old);
            consistent(m);
            child.exit();
            parent.exit();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void pinnedThpIsSplitInTheParentAndCopiedPageByPageForTheChild(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final long h = head(parent, A);
            assertThat(parent.pin(A + 2 * PAGE)).isEqualTo(h + 2);
            assertThat(m.memmap().pincount(h)).isEqualTo(1);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Events e = m.events().minus(before);
            assertThat(e.pmdCopy).isZero();
            assertThat(e.pmdSplit).isEqualTo(1);
            assertThat(e.eagerCopies).as("the child gets 512 fresh exclusive pages").isEqualTo(512);
            assertThat(m.arch().pteWrite(parent.peekPte(A))).as("parent keeps the pinned THP writable").isTrue();
            assertThat(m.memmap().anyAnonExclusive(h, 512)).isTrue();
            assertThat(m.arch().ptePfn(child.peekPte(A + 2 * PAGE))).isNotEqualTo(h + 2);
            assertThat(child.read(A + 2 * PAGE)).isEqualTo(parent.read(A + 2 * PAGE));
            consistent(m);
            child.exit();
            parent.unpin(A + 2 * PAGE);
            parent.exit();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void partialMunmapMprotectAndDontneedSplitASharedThp(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, 3 * THP);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long h0 = head(parent, A);
            final long h1 = head(parent, A + THP);
            final long h2 = head(parent, A + 2 * THP);
            final Events before = m.events().copy();
            parent.munmap(A + 5 * PAGE, PAGE);
            child.mprotect(A + THP + 8 * PAGE, PAGE, R);
            child.madvise(A + 2 * THP, 16 * PAGE, Advice.DONTNEED);
            final Events e = m.events().minus(before);
            assertThat(e.pmdSplit).isEqualTo(3);
            assertThat(parent.peekPte(A + 5 * PAGE)).isZero();
            assertThat(m.arch().ptePfn(parent.peekPte(A + 6 * PAGE))).isEqualTo(h0 + 6);
            assertThat(child.peekPmd(A)).isEqualTo(childAfterFork(arch, h0));
            assertThat(child.vmas()).hasSize(3);
            assertThat(m.arch().pteWrite(child.peekPte(A + THP + 8 * PAGE))).isFalse();
            assertThat(child.peekPte(A + 2 * THP)).isZero();
            final MemMap mem = m.memmap();
            assertThat(mem.rawRefcount(h0)).as("child PMD + parent 511 PTEs").isEqualTo(512);
            assertThat(mem.rawRefcount(h1)).as("parent PMD + child 512 PTEs").isEqualTo(513);
            assertThat(mem.rawRefcount(h2)).as("parent PMD + child 496 PTEs").isEqualTo(497);
            assertThat(HugeRmap.folioEntireMapcount(mem, h2)).isEqualTo(1);
            assertThat(mem.order(h2)).as("the folio stays whole").isEqualTo(9);
            consistent(m);
            child.exit();
            parent.exit();
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void pageoutOfAnExclusiveThpSwapsOut512PagesThroughTheDepositedTable(final String arch)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 64L << 20).withSwap(16L << 20)))
        {
            final Mm mm = thpProcess(m, THP);
            final long token = mm.read(A + 9 * PAGE);
            final Mm child = Fork.fork(mm, Strategy.FOLIO_BATCH);
            mm.madvise(A, THP, Advice.PAGEOUT);
            assertThat(m.events().swapOuts).as("maybe mapped shared: skipped").isZero();
            child.exit();
            final Events before = m.events().copy();
            mm.madvise(A, THP, Advice.PAGEOUT);
            final Events e = m.events().minus(before);
            assertThat(e.pmdSplit).isEqualTo(1);
            assertThat(e.swapOuts).isEqualTo(512);
            final long swp = mm.peekPte(A + 9 * PAGE);
            assertThat(m.arch().isSwapPte(swp)).isTrue();
            assertThat(m.arch().pteSwpExclusive(swp)).as("not exclusive after the fork: PAE was cleared").isFalse();
            assertThat(mm.rss(Mm.MM_SWAPENTS)).isEqualTo(512);
            consistent(m);
            assertThat(mm.read(A + 9 * PAGE)).isEqualTo(token);
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void badPmdPopulatesAreRefusedAndChangeNothing(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 2 * THP, RW, false, null, 0);
            mm.mmap(A + 2 * THP, THP, R, false, null, 0);
            final long free = m.phys().freePageCount();
            assertThatThrownBy(() -> mm.populate(A + PAGE, THP, 9, FolioMapping.PMD)).hasMessageContaining("0x40001000");
            assertThatThrownBy(() -> mm.populate(A, THP, 4, FolioMapping.PMD)).hasMessageContaining("order 4");
            assertThatThrownBy(() -> mm.populate(A + 2 * THP, THP, 9, FolioMapping.PMD)).hasMessageContaining("read-only");
            mm.populate(A, PAGE, 0);
            assertThatThrownBy(() -> mm.populate(A, THP, 9, FolioMapping.PMD)).hasMessageContaining("not none");
            assertThat(m.phys().freePageCount()).isEqualTo(free - 4);
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void checkerCatchesALeafWithoutDepositAndAWritableSharedLeaf(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final PageTables pt = m.pageTables();
            final long pmdTable = PmdLeaves.pmdOffset(pt, child.pgd(), A);
            final long leaf = pt.entry(pmdTable, PageTables.pmdIndex(A));
            pt.setEntry(pmdTable, PageTables.pmdIndex(A), PmdOps.of(m.arch()).pmdMkwrite(leaf));
            assertThat(InvariantChecker.violations(m)).anyMatch(v -> v.contains("writable PMD leaf"));
            pt.setEntry(pmdTable, PageTables.pmdIndex(A), leaf);
            final long dep = TransHugeDeposit.withdraw(m.memmap(), pmdTable);
            assertThat(InvariantChecker.violations(m)).anyMatch(v -> v.contains("1 PMD-mapped anon THPs but 0 deposited"));
            TransHugeDeposit.deposit(m.memmap(), pmdTable, dep);
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void runningOutOfRamForADepositFailsTheForkAndLeavesTheParentAsItWas(final String arch)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 32L << 20)))
        {
            final Mm parent = thpProcess(m, 2 * THP);
            final long token = parent.read(A + THP + PAGE);
            // fill the rest of RAM with order-0 pages the fork does not copy, then give back exactly 4 pages:
            // the fork needs 5 (PGD, PUD, PMD table and two deposits)
            final long filler = Fixtures.B;
            parent.mmap(filler, 32L << 20, RW, false, null, 0);
            parent.madvise(filler, 32L << 20, Advice.DONTFORK);
            long mapped = 0;
            try
            {
                while (true)
                {
                    parent.populate(filler + mapped, PAGE, 0);
                    mapped += PAGE;
                }
            }
            catch (final io.forksim.mem.OutOfSimulatedMemoryException e)
            {
                // RAM is full
            }
            for (long a = filler; m.phys().freePageCount() < 4; a += PAGE)
            {
                parent.munmap(a, PAGE);
            }
            assertThat(m.phys().freePageCount()).isEqualTo(4);
            assertThatThrownBy(() -> Fork.fork(parent, Strategy.FOLIO_BATCH))
                .isInstanceOf(io.forksim.mem.OutOfSimulatedMemoryException.class);
            assertThat(m.processes()).containsExactly(parent);
            assertThat(m.phys().freePageCount()).isEqualTo(4);
            assertThat(parent.read(A + THP + PAGE)).isEqualTo(token);
            assertThat(HugeRmap.folioEntireMapcount(m.memmap(), head(parent, A))).isEqualTo(1);
            consistent(m);
            parent.write(A, 1);
            assertThat(parent.peekPmd(A)).as("a write-protected leaf is reused, as the kernel leaves it")
                .isEqualTo(freshLeaf(arch, head(parent, A)));
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void theOtherWayRoundTheChildUnmapsAndTheParentProtectsAndDiscardsPartOfASharedThp(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, 3 * THP);
            final Mm child = Fork.fork(parent, Strategy.ARCH_BATCH);
            final long h0 = head(parent, A);
            final long h1 = head(parent, A + THP);
            final long h2 = head(parent, A + 2 * THP);
            final long t = parent.read(A + 2 * THP + 100 * PAGE);
            child.munmap(A + THP - PAGE, PAGE);
            parent.mprotect(A + THP, 2 * PAGE, R);
            parent.madvise(A + 2 * THP + 8 * PAGE, 8 * PAGE, Advice.DONTNEED);
            assertThat(m.events().pmdSplit).isEqualTo(3);
            assertThat(child.peekPte(A + THP - PAGE)).isZero();
            assertThat(parent.peekPmd(A)).isEqualTo(parentAfterFork(arch, h0));
            assertThat(child.peekPmd(A + THP)).isEqualTo(childAfterFork(arch, h1));
            assertThat(child.peekPmd(A + 2 * THP)).isEqualTo(childAfterFork(arch, h2));
            assertThat(parent.vmas()).hasSize(3);
            assertThat(parent.peekPte(A + 2 * THP + 8 * PAGE)).isZero();
            assertThat(child.read(A + 2 * THP + 8 * PAGE)).as("the child keeps its view").isNotZero();
            assertThat(parent.read(A + 2 * THP + 100 * PAGE)).isEqualTo(t);
            final MemMap mem = m.memmap();
            assertThat(mem.rawRefcount(h0)).as("parent PMD + child 511 PTEs").isEqualTo(512);
            assertThat(mem.rawRefcount(h1)).as("child PMD + parent 512 PTEs").isEqualTo(513);
            assertThat(mem.rawRefcount(h2)).as("child PMD + parent 504 PTEs").isEqualTo(505);
            consistent(m);
            parent.exit();
            consistent(m);
            child.exit();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aPmdPopulateThatRunsOutOfRamUndoesEverything(final String arch)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 16L << 20)))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 16L << 20, RW, false, null, 0);
            final long free = m.phys().freePageCount();
            final Events before = m.events().copy();
            assertThatThrownBy(() -> mm.populate(A, 16L << 20, 9, FolioMapping.PMD))
                .isInstanceOf(io.forksim.mem.OutOfSimulatedMemoryException.class);
            assertThat(m.phys().freePageCount()).isEqualTo(free);
            assertThat(mm.peekPmd(A)).isZero();
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isZero();
            assertThat(mm.vmas().get(0).hasAnonVma()).isFalse();
            assertThat(m.events().minus(before).pmdCopy).isZero();
            consistent(m);
            mm.populate(A, 4 * THP, 9, FolioMapping.PMD);
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(2048);
            consistent(m);
        }
    }
}
