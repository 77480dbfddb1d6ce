package io.forksim.check;

import io.forksim.arch.Arch;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.PageDescriptor;
import io.forksim.mm.Advice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.VmFlags;
import io.forksim.pgtable.PageTables;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InvariantCheckerTest
{
    private static final long PAGE = Arch.PAGE_SIZE;
    private static final long A = 1L << 30;
    private static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

    private static Machine machine()
    {
        return new Machine(Machine.Config.of("x86_64", 64L << 20));
    }

    /** A process with order-0 and order-4 anon memory, a zero page, a swap entry and a shmem page. */
    private static Mm busy(final Machine m)
    {
        final Mm mm = m.newProcess();
        mm.mmap(A, 64 * PAGE, RW, false, null, 0);
        mm.populate(A, 16 * PAGE, 4);
        mm.populate(A + 16 * PAGE, 4 * PAGE, 0);
        mm.read(A + 20 * PAGE);
        mm.madvise(A + 16 * PAGE, PAGE, Advice.PAGEOUT);
        mm.mmap(A + (1L << 21), 4 * PAGE, RW, true, null, 0);
        mm.populate(A + (1L << 21), PAGE, 0);
        return mm;
    }

    private static void poke(final Machine m, final Mm mm, final long va, final long pte)
    {
        final PageTables pt = m.pageTables();
        final long t = pt.pteOffsetMap(mm.pgd(), va);
        Arch.poke(pt.segment(t), pt.base(t), PageTables.pteIndex(va), pte);
    }

    @Test
    void aConsistentMachinePassesAndAForkedOneToo()
    {
        try (Machine m = machine())
        {
            final Mm mm = busy(m);
            InvariantChecker.check(m);
            final Mm child = Fork.fork(mm, Strategy.FOLIO_BATCH);
            mm.pin(A + 17 * PAGE);
            assertThat(InvariantChecker.violations(m)).isEmpty();
            child.exit();
            mm.unpin(A + 17 * PAGE);
            InvariantChecker.check(m);
        }
    }

    @Test
    void aRefcountOffByOneIsReportedWithItsBreakdown()
    {
        try (Machine m = machine())
        {
            final Mm mm = busy(m);
            final long pfn = m.arch().ptePfn(mm.peekPte(A + 17 * PAGE));
            m.memmap().refAdd(pfn, 1);
            assertThatThrownBy(() -> InvariantChecker.check(m)).isInstanceOf(InvariantViolation.class)
                .hasMessageContaining("folio pfn " + pfn + " (order 0, flags 0x180): refcount 2 != 1 PTEs + 0 pins + 0 page cache"
                    + " + 0 swap cache = 1");
        }
    }

    @Test
    void aLargeMapcountOrMmIdSlotThatDisagreesWithThePageTablesIsReported()
    {
        try (Machine m = machine())
        {
            final Mm mm = busy(m);
            final long head = m.arch().ptePfn(mm.peekPte(A));
            m.memmap().folioAddLargeMapcount(head, 1, mm.id());
            assertThat(InvariantChecker.violations(m)).contains(
                "folio pfn " + head + " (order 4, flags 0x194): large_mapcount 17 != 16 mapping PTEs",
                "folio pfn " + head + " (order 4, flags 0x194): MM-ID slot of mm#" + mm.id()
                    + " counts 17 mappings, its page tables have 16");
        }
    }

    @Test
    void aStrayEntryOutsideAnyVmaAndAWritableSharedAnonPageAreReported()
    {
        try (Machine m = machine())
        {
            final Mm mm = busy(m);
            final Mm child = Fork.fork(mm, Strategy.FOLIO_BATCH);
            final long pte = mm.peekPte(A + 17 * PAGE);
            poke(m, mm, A + 17 * PAGE, m.arch().pteMkwrite(pte));
            poke(m, child, A + 100 * PAGE, pte);
            final List<String> v = InvariantChecker.violations(m);
            assertThat(v).anyMatch(s -> s.contains("va 0x40011000") && s.contains("COW would be bypassed"));
            assertThat(v).anyMatch(s -> s.startsWith("mm#" + child.id() + " va 0x40064000") && s.endsWith("entry outside any VMA"));
        }
    }

    @Test
    void pageAnonExclusiveOnASharedPageIsReported()
    {
        try (Machine m = machine())
        {
            final Mm mm = busy(m);
            Fork.fork(mm, Strategy.FOLIO_BATCH);
            final long pfn = m.arch().ptePfn(mm.peekPte(A + 18 * PAGE));
            m.memmap().setAnonExclusive(pfn);
            assertThat(InvariantChecker.violations(m)).containsExactly(
                "folio pfn " + pfn + " (order 0, flags 0x180): page " + pfn + " is PageAnonExclusive but mapped 2 times");
        }
    }

    @Test
    void aSwapCountThatDisagreesWithTheSwapEntriesIsReported()
    {
        try (Machine m = machine())
        {
            final Mm mm = busy(m);
            final long off = m.arch().pteSwpOffset(mm.peekPte(A + 16 * PAGE));
            m.swap().dup(off);
            assertThat(InvariantChecker.violations(m)).containsExactly("swap slot " + off + ": count 2 but 1 swap PTEs reference it");
        }
    }

    @Test
    void anUnreferencedFolioAndAnUnreachableTableAreLeaks()
    {
        try (Machine m = machine())
        {
            busy(m);
            final long pfn = m.phys().allocPages(0);
            m.memmap().prepFolio(pfn, 0, PageDescriptor.PG_ANON | PageDescriptor.PG_SWAPBACKED);
            m.memmap().setRefcount(pfn, 0);
            final long table = m.pageTables().allocTable(m.events());
            assertThat(InvariantChecker.violations(m)).contains(
                "folio pfn " + pfn + " (order 0, flags 0x180): allocated but unreferenced (leaked)",
                "page-table page pfn " + table + " is not reachable from any live process");
        }
    }

    @Test
    void leakCheckPassesOnceEveryProcessExitedAndEveryFileWasDropped()
    {
        try (Machine m = machine())
        {
            final long free = m.phys().freePageCount();
            final SimFile f = m.createFile("f", 16 * PAGE);
            final Mm mm = busy(m);
            mm.mmap(A + (2L << 21), 16 * PAGE, RW, false, f, 0);
            mm.read(A + (2L << 21));
            final Mm child = Fork.fork(mm, Strategy.FOLIO_BATCH);
            assertThat(InvariantChecker.leaks(m, free)).anyMatch(s -> s.endsWith("is still alive"));
            child.exit();
            mm.exit();
            assertThat(InvariantChecker.leaks(m, free)).as("f's page cache is still there")
                .containsExactly("free pages " + (free - 1) + " != " + free + " before (difference 1)");
            m.dropFile(f);
            InvariantChecker.leakCheck(m, free);
        }
    }
}
