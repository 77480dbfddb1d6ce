package io.forksim.mm;

import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.MemMap;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mem.PageDescriptor;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.anonRw;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Fault paths on x86_64 whose result only shows in the exact PTE word, the folio's counts or the swap cache: the
 * PTE a file fault maps (shared write, private COW, read of a dirty page-cache page), the spurious write fault on
 * a clean writable PTE, wp_can_reuse_anon_folio at its boundaries (a large folio mapped once, a swap-cache folio
 * whose slot another process still references) and the out-of-memory rollback of a write swap-in (6.18 mm/memory.c:
 * set_pte_range, do_cow_fault, handle_pte_fault, wp_can_reuse_anon_folio, do_swap_page).
 */
class FaultReuseEdgesTest
{
    /** The PTE of a clean page-cache page in a shared writable mapping: PAGE_SHARED (P|RW|US|A|NX). */
    private static final long SHARED_CLEAN = X86Pte.PAGE_SHARED;
    /** {@code pte_mkdirty} on x86 sets D and SoftDirty. */
    private static final long DIRTY = X86Pte.DIRTY | X86Pte.SOFT_DIRTY;

    @Test
    void aWriteFaultOnASharedFileMappingMapsThePageWritableAndDirty()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final SimFile f = m.createFile("f", PAGE);
            mm.mmap(A, PAGE, RW, true, f, 0);
            assertThat(mm.fault(A, true)).isEqualTo(FaultResult.MAPPED);
            final long pfn = f.cachedPfn(0);
            assertThat(mm.peekPte(A)).isEqualTo((pfn << 12) | SHARED_CLEAN | DIRTY);
            assertThat(m.memmap().flags(pfn) & PageDescriptor.PG_DIRTY).as("the page-cache page is dirty").isNotZero();
            consistent(m);
        }
    }

    @Test
    void aWriteFaultOnAPrivateFileMappingMapsTheCopyWritableAndDirty()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final SimFile f = m.createFile("f", PAGE);
            mm.mmap(A, PAGE, RW, false, f, 0);
            assertThat(mm.fault(A, true)).isEqualTo(FaultResult.COW_COPIED);
            final long pfn = pfnAt(mm, A);
            assertThat(pfn).as("a new anon page, not the page-cache page").isNotEqualTo(f.cachedPfn(0));
            assertThat(mm.peekPte(A)).isEqualTo(anonRw("x86_64", pfn));
            assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            consistent(m);
        }
    }

    @Test
    void aReadFaultOfADirtyPageCachePageInASharedWritableMappingMapsItDirty()
    {
        try (Machine m = Fixtures.x86())
        {
            final SimFile f = m.createFile("f", PAGE);
            final Mm writer = m.newProcess();
            writer.mmap(A, PAGE, RW, true, f, 0);
            writer.write(A, 5);
            final Mm reader = m.newProcess();
            reader.mmap(A, PAGE, RW, true, f, 0);
            assertThat(reader.fault(A, false)).isEqualTo(FaultResult.MAPPED);
            final long pfn = f.cachedPfn(0);
            assertThat(reader.peekPte(A)).as("set_pte_range: pte_write && folio_test_dirty")
                .isEqualTo((pfn << 12) | SHARED_CLEAN | DIRTY);
            consistent(m);
        }
    }

    @Test
    void aReadFaultOfACleanPageCachePageInASharedWritableMappingMapsItClean()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final SimFile f = m.createFile("f", PAGE);
            mm.mmap(A, PAGE, RW, true, f, 0);
            assertThat(mm.fault(A, false)).isEqualTo(FaultResult.MAPPED);
            assertThat(mm.peekPte(A)).isEqualTo((f.cachedPfn(0) << 12) | SHARED_CLEAN);
            consistent(m);
        }
    }

    @Test
    void aWriteFaultOnACleanWritablePteOnlyMarksItDirty()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final SimFile f = m.createFile("f", PAGE);
            mm.mmap(A, PAGE, RW, true, f, 0);
            mm.fault(A, false);
            final long pfn = f.cachedPfn(0);
            final Events before = m.events().copy();
            assertThat(mm.fault(A, true)).isEqualTo(FaultResult.MAPPED);
            final Events d = m.events().minus(before);
            assertThat(d.faults).isEqualTo(1);
            assertThat(d.cowCopies + d.cowReuses).isZero();
            assertThat(mm.peekPte(A)).as("handle_pte_fault: pte_mkdirty on a write").isEqualTo((pfn << 12) | SHARED_CLEAN | DIRTY);
            assertThat(m.memmap().rawMapcount(pfn)).isEqualTo(1);
            consistent(m);
        }
    }

    @Test
    void aWriteFaultOnALargeFolioMappedOnlyOnceCopiesThePage()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(parent, A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            child.exit();
            parent.munmap(A + PAGE, 15 * PAGE);
            final MemMap mem = m.memmap();
            assertThat(mem.largeMapcount(head)).isEqualTo(1);
            assertThat(mem.rawRefcount(head)).isEqualTo(1);
            assertThat(mem.testAnonExclusive(head)).as("fork cleared PAE").isFalse();
            final Events before = m.events().copy();
            assertThat(parent.fault(A, true)).as("a large folio mapped once is freed up by copying")
                .isEqualTo(FaultResult.COW_COPIED);
            final Events d = m.events().minus(before);
            assertThat(d.cowCopies).isEqualTo(1);
            assertThat(d.cowReuses).isZero();
            assertThat(pfnAt(parent, A)).isNotEqualTo(head);
            assertThat(parent.peekPte(A)).isEqualTo(anonRw("x86_64", pfnAt(parent, A)));
            consistent(m);
        }
    }

    @Test
    void aLargeFolioMappedWhollyByItsOnlyProcessIsReusedAfterTheChildExits()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(parent, A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            child.exit();
            assertThat(parent.fault(A + 3 * PAGE, true)).isEqualTo(FaultResult.REUSED);
            assertThat(pfnAt(parent, A + 3 * PAGE)).isEqualTo(head + 3);
            assertThat(parent.peekPte(A + 3 * PAGE)).isEqualTo(anonRw("x86_64", head + 3));
            assertThat(m.memmap().testAnonExclusive(head + 3)).isTrue();
            assertThat(m.memmap().testAnonExclusive(head + 4)).as("only the faulting page").isFalse();
            consistent(m);
        }
    }

    @Test
    void aWriteFaultOnALargeFolioWithAPinnedPageCopiesEvenThoughOnlyThisProcessMapsIt()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(parent, A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            child.exit();
            assertThat(parent.pin(A, false)).as("the R/O pin unshares by reuse").isEqualTo(head);
            final MemMap mem = m.memmap();
            assertThat(mem.largeMapcount(head)).isEqualTo(16);
            assertThat(mem.rawRefcount(head)).as("16 mappings + the pin").isEqualTo(17);
            final Events before = m.events().copy();
            assertThat(parent.fault(A + 5 * PAGE, true)).as("folio_ref_count != large mapcount").isEqualTo(FaultResult.COW_COPIED);
            assertThat(m.events().minus(before).cowReuses).isZero();
            assertThat(pfnAt(parent, A + 5 * PAGE)).isNotEqualTo(head + 5);
            assertThat(mem.rawRefcount(head)).isEqualTo(16);
            consistent(m);
        }
    }

    @Test
    void aReadFaultOnAPmdMappedThpReturnsMappedAndTakesNoPteTable()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = HugePmdTest.thpProcess(m, Fixtures.THP);
            final long pmd = mm.peekPmd(A);
            assertThat(mm.fault(A + 3 * PAGE, false)).isEqualTo(FaultResult.MAPPED);
            assertThat(mm.peekPmd(A)).as("still the leaf").isEqualTo(pmd | X86Pte.ACCESSED);
            consistent(m);
        }
    }

    @Test
    void aReadSwapInOfASlotWhoseOtherReferenceIsGoneMapsAFreshExclusiveWritablePage()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            parent.madvise(A, PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            child.exit();
            final long swp = parent.peekPte(A);
            assertThat(m.arch().pteSwpExclusive(swp)).as("fork cleared SWP_EXCLUSIVE").isFalse();
            assertThat(m.swap().count(m.arch().pteSwpOffset(swp))).isEqualTo(1);
            assertThat(parent.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            final long pfn = pfnAt(parent, A);
            assertThat(parent.peekPte(A)).as("fresh page not exposed to the swapcache: certainly exclusive")
                .isEqualTo((pfn << 12) | X86Pte.PRESENT | X86Pte.RW | X86Pte.USER | X86Pte.ACCESSED | X86Pte.SOFT_DIRTY
                    | X86Pte.NX);
            assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            assertThat(m.memmap().flags(pfn) & PageDescriptor.PG_SWAPCACHE).isZero();
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1);
            assertThat(m.swap().used()).isZero();
            consistent(m);
        }
    }

    /** Parent and child share one swap slot; the parent read-faults it in through the swap cache. */
    private static Mm swapCacheShared(final Machine m, final Mm parent)
    {
        parent.mmap(A, PAGE, RW, false, null, 0);
        parent.populate(A, PAGE, 0);
        parent.madvise(A, PAGE, Advice.PAGEOUT);
        final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
        assertThat(parent.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
        return child;
    }

    @Test
    void theLastSwapPteGoingAwayLeavesTheMappedFolioInTheSwapCacheAndTheNextWriteFreesItAndReusesTheFolio()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            final Mm child = swapCacheShared(m, parent);
            final long pfn = pfnAt(parent, A);
            final long off = m.swap().cacheSlotOf(pfn);
            child.exit();
            assertThat(m.swap().count(off)).isZero();
            assertThat(m.swap().cachePfn(off)).as("free_swap_and_cache_nr: still mapped, swap not full").isEqualTo(pfn);
            assertThat(m.memmap().flags(pfn) & PageDescriptor.PG_SWAPCACHE).isNotZero();
            assertThat(m.memmap().rawRefcount(pfn)).as("the swap cache + the parent's mapping").isEqualTo(2);
            final Events before = m.events().copy();
            assertThat(parent.fault(A, true)).isEqualTo(FaultResult.REUSED);
            final Events d = m.events().minus(before);
            assertThat(d.cowReuses).isEqualTo(1);
            assertThat(d.cowCopies).isZero();
            assertThat(pfnAt(parent, A)).isEqualTo(pfn);
            assertThat(parent.peekPte(A)).isEqualTo(anonRw("x86_64", pfn));
            assertThat(m.swap().cachePfn(off)).as("wp_can_reuse_anon_folio: folio_free_swap").isEqualTo(-1);
            assertThat(m.memmap().flags(pfn) & PageDescriptor.PG_SWAPCACHE).isZero();
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1);
            assertThat(m.swap().used()).isZero();
            consistent(m);
        }
    }

    @Test
    void aWriteToASwapCacheFolioWhoseSlotAnotherProcessStillReferencesCopiesIt()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            final Mm child = swapCacheShared(m, parent);
            final long pfn = pfnAt(parent, A);
            final long off = m.swap().cacheSlotOf(pfn);
            assertThat(m.swap().count(off)).isEqualTo(1);
            final Events before = m.events().copy();
            assertThat(parent.fault(A, true)).isEqualTo(FaultResult.COW_COPIED);
            assertThat(m.events().minus(before).cowReuses).isZero();
            assertThat(pfnAt(parent, A)).isNotEqualTo(pfn);
            assertThat(m.swap().cachePfn(off)).as("the child's swap PTE still needs the cache").isEqualTo(pfn);
            assertThat(m.memmap().rawRefcount(pfn)).as("only the swap cache").isEqualTo(1);
            assertThat(m.memmap().rawMapcount(pfn)).isZero();
            consistent(m);
            assertThat(child.fault(A, true)).isEqualTo(FaultResult.SWAPPED_IN);
            assertThat(pfnAt(child, A)).isEqualTo(pfn);
            consistent(m);
        }
    }

    @Test
    void aWriteSwapInThatFindsNoPageForTheCopyLeavesTheSwapSlotAndTheMachineAsTheyWere()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            parent.madvise(A, PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long swp = parent.peekPte(A);
            final long off = m.arch().pteSwpOffset(swp);
            final long free = m.phys().freePageCount();
            final Events before = m.events().copy();
            m.phys().failAllocationsAfter(1);   // the swap-in's folio, not the copy's
            assertThatThrownBy(() -> parent.fault(A, true)).isInstanceOf(OutOfSimulatedMemoryException.class);
            m.phys().clearFailureInjection();
            assertThat(parent.peekPte(A)).isEqualTo(swp);
            assertThat(m.swap().count(off)).isEqualTo(2);
            assertThat(m.swap().cachePfn(off)).as("the read folio left the swap cache again").isEqualTo(-1);
            assertThat(m.phys().freePageCount()).isEqualTo(free);
            assertThat(m.events().minus(before).swapIns).isZero();
            consistent(m);
            assertThat(parent.fault(A, true)).isEqualTo(FaultResult.SWAPPED_IN);
            assertThat(child.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            assertThat(child.read(A)).isEqualTo(parent.read(A));
            consistent(m);
        }
    }

    @Test
    void aWriteSwapInOfTheLastReferenceToACachedFolioNeedsNoPageForACopy()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            parent.madvise(A, PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long off = m.arch().pteSwpOffset(child.peekPte(A));
            assertThat(parent.fault(A, true)).isEqualTo(FaultResult.SWAPPED_IN);
            final long cached = m.swap().cachePfn(off);
            assertThat(m.memmap().rawRefcount(cached)).as("only the swap cache").isEqualTo(1);
            assertThat(m.swap().count(off)).isEqualTo(1);
            m.phys().failAllocationsAfter(0);
            try
            {
                assertThat(child.fault(A, true)).as("the cached folio is reused: no allocation").isEqualTo(FaultResult.SWAPPED_IN);
            }
            finally
            {
                m.phys().clearFailureInjection();
            }
            assertThat(pfnAt(child, A)).isEqualTo(cached);
            assertThat(child.peekPte(A)).isEqualTo(anonRw("x86_64", cached));
            assertThat(m.memmap().rawRefcount(cached)).isEqualTo(1);
            assertThat(m.swap().used()).isZero();
            consistent(m);
        }
    }

    @Test
    void aWriteSwapInFromTheSwapCacheThatFindsNoPageForTheCopyKeepsTheCachedFolio()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            parent.madvise(A, PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Mm grandchild = Fork.fork(child, Strategy.FOLIO_BATCH);
            assertThat(parent.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            final long pfn = pfnAt(parent, A);
            final long swp = child.peekPte(A);
            final long off = m.arch().pteSwpOffset(swp);
            assertThat(m.swap().count(off)).isEqualTo(2);
            final long free = m.phys().freePageCount();
            m.phys().failAllocationsAfter(0);
            assertThatThrownBy(() -> child.fault(A, true)).isInstanceOf(OutOfSimulatedMemoryException.class);
            m.phys().clearFailureInjection();
            assertThat(child.peekPte(A)).isEqualTo(swp);
            assertThat(m.swap().cachePfn(off)).isEqualTo(pfn);
            assertThat(m.swap().count(off)).isEqualTo(2);
            assertThat(m.memmap().rawRefcount(pfn)).as("swap cache + parent").isEqualTo(2);
            assertThat(m.memmap().rawMapcount(pfn)).isEqualTo(1);
            assertThat(m.phys().freePageCount()).isEqualTo(free);
            consistent(m);
            assertThat(grandchild.read(A)).isEqualTo(parent.read(A));
            consistent(m);
        }
    }
}
