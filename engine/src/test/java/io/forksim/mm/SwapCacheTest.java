package io.forksim.mm;

import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * When a folio leaves the swap cache (Linux 6.18, {@link SwapCache}): not when its slot's swap count reaches 0
 * while a PTE still maps it, unless swap is more than half full; at the zap of its last mapping; at swap-in
 * only if {@code should_try_to_free_swap}; at reclaim, which reuses its slot.
 *
 * <p>Every test starts from {@link Shared}: a parent that paged one page out and forked, so that parent and
 * child each hold a swap PTE of the same slot (count 2, neither SWP_EXCLUSIVE).
 */
class SwapCacheTest
{
    /** The x86-64 read-only PTE do_swap_page makes for a page it does not map exclusive: P|US|A|SoftDirty|NX. */
    private static final long X86_ANON_RO = X86Pte.PRESENT | X86Pte.USER | X86Pte.ACCESSED | X86Pte.SOFT_DIRTY | X86Pte.NX;
    /** do_swap_page's exclusive PTE on a read fault: writable, clean. */
    private static final long X86_ANON_RW_CLEAN = X86_ANON_RO | X86Pte.RW;

    /** Parent and child of {@code m}, each with a swap PTE of slot {@code off} at {@link Fixtures#A}. */
    private record Shared(Machine m, Mm parent, Mm child, long off, long token, long initialFree)
    {
        static Shared of(final Machine m)
        {
            final long initialFree = m.phys().freePageCount();
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            final long token = parent.read(A);
            parent.madvise(A, PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long off = m.arch().pteSwpOffset(parent.peekPte(A));
            assertThat(m.swap().count(off)).isEqualTo(2);
            return new Shared(m, parent, child, off, token, initialFree);
        }

        /** The parent swaps the page in on a read fault: the folio goes into the swap cache (count 2 -> 1). */
        long parentSwapsIn()
        {
            assertThat(parent.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            final long pfn = pfnAt(parent, A);
            assertThat(m.swap().cachePfn(off)).isEqualTo(pfn);
            assertThat(m.swap().count(off)).isEqualTo(1);
            assertThat(m.memmap().rawRefcount(pfn)).as("swap cache + parent").isEqualTo(2);
            return pfn;
        }

        /** Then the parent unmaps it: the folio is left with only the swap cache's reference (count 1). */
        long onlyTheSwapCacheHoldsIt()
        {
            final long pfn = parentSwapsIn();
            parent.munmap(A, PAGE);
            assertThat(m.memmap().flags(pfn) & PageDescriptor.PG_SWAPCACHE)
                .as("free_swap_cache: a swap PTE still references the slot").isNotZero();
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1);
            assertThat(m.memmap().rawMapcount(pfn)).isZero();
            return pfn;
        }

        /** Every process exits; nothing is left: no folio, table or swap slot. */
        void allExitWithoutLeaks()
        {
            for (final Mm p : java.util.List.copyOf(m.processes()))
            {
                p.exit();
            }
            InvariantChecker.leakCheck(m, initialFree);
        }
    }

    private static boolean inSwapCache(final MemMap memmap, final long pfn)
    {
        return (memmap.flags(pfn) & PageDescriptor.PG_SWAPCACHE) != 0;
    }

    private static boolean dirty(final MemMap memmap, final long pfn)
    {
        return (memmap.flags(pfn) & PageDescriptor.PG_DIRTY) != 0;
    }

    /** 64 MiB of RAM and 4 swap pages: 3 usable slots, "more than half full" (vm_swap_full) from 2 in use. */
    private static Machine smallSwap()
    {
        return new Machine(Machine.Config.of("x86_64", 64 * MIB).withSwap(4 * PAGE));
    }

    // ---------------------------------------------------------------- zap of a swap PTE: free_swap_and_cache_nr

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"x86_64", "arm64"})
    void aMappedSwapCacheFolioSurvivesTheZapOfTheLastOtherSwapPte(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Shared s = Shared.of(m);
            final long pfn = s.parentSwapsIn();
            final long parentPte = s.parent.peekPte(A);
            final Events before = m.events().copy();

            s.child.munmap(A, PAGE);

            final Events e = m.events().minus(before);
            assertThat(m.swap().count(s.off)).isZero();
            assertThat(inSwapCache(m.memmap(), pfn)).as("__try_to_reclaim_swap: folio_mapped, swap not full").isTrue();
            assertThat(m.swap().cachePfn(s.off)).isEqualTo(pfn);
            assertThat(m.swap().cacheSlotOf(pfn)).isEqualTo(s.off);
            assertThat(m.swap().used()).as("the slot holds only the swap cache (SWAP_HAS_CACHE)").isEqualTo(1);
            assertThat(m.memmap().rawRefcount(pfn)).as("swap cache + parent").isEqualTo(2);
            assertThat(m.memmap().rawMapcount(pfn)).isEqualTo(1);
            assertThat(dirty(m.memmap(), pfn)).isFalse();
            assertThat(s.parent.peekPte(A)).isEqualTo(parentPte);
            assertThat(s.child.rss(Mm.MM_SWAPENTS)).isZero();
            assertThat(e.foliosFreed).isZero();
            consistent(m);

            assertThat(s.parent.read(A)).isEqualTo(s.token);
            s.allExitWithoutLeaks();
        }
    }

    @Test
    void anUnmappedSwapCacheFolioIsFreedWhenTheLastSwapPteIsZapped()
    {
        try (Machine m = Fixtures.x86())
        {
            final Shared s = Shared.of(m);
            final long pfn = s.onlyTheSwapCacheHoldsIt();
            final long free = m.phys().freePageCount();
            final Events before = m.events().copy();

            s.child.munmap(A, PAGE);

            final Events e = m.events().minus(before);
            assertThat(e.foliosFreed).as("__try_to_reclaim_swap: not mapped").isEqualTo(1);
            assertThat(m.swap().cachePfn(s.off)).isEqualTo(-1);
            assertThat(m.swap().count(s.off)).isZero();
            assertThat(m.swap().used()).isZero();
            assertThat(m.phys().freePageCount()).as("the folio and the child's page tables").isEqualTo(free + 1 + e.ptPagesFree);
            assertThat(m.memmap().rawRefcount(pfn)).isZero();
            consistent(m);
            s.allExitWithoutLeaks();
        }
    }

    @Test
    void whenSwapIsMoreThanHalfFullTheLastSwapPteTakesEvenAMappedFolioOutOfTheSwapCache()
    {
        try (Machine m = smallSwap())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 2 * PAGE, RW, false, null, 0);
            parent.populate(A, 2 * PAGE, 0);
            parent.madvise(A, 2 * PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long off = m.arch().pteSwpOffset(parent.peekPte(A));
            assertThat(parent.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            final long pfn = pfnAt(parent, A);
            final long parentPte = parent.peekPte(A);
            assertThat(parentPte).isEqualTo(pfn << 12 | X86_ANON_RO);
            assertThat(m.swap().used()).isEqualTo(2);
            assertThat(m.swap().vmSwapFull()).as("1 of 3 slots free").isTrue();

            child.munmap(A, PAGE);

            assertThat(inSwapCache(m.memmap(), pfn)).as("TTRS_FULL").isFalse();
            assertThat(dirty(m.memmap(), pfn)).as("folio_set_dirty: its data is no longer on swap").isTrue();
            assertThat(m.swap().cachePfn(off)).isEqualTo(-1);
            assertThat(m.swap().used()).isEqualTo(1);
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1);
            assertThat(parent.peekPte(A)).as("the mapping is untouched").isEqualTo(parentPte);
            assertThat(m.memmap().testAnonExclusive(pfn)).isFalse();
            consistent(m);

            assertThat(parent.fault(A, true)).as("the folio is the parent's alone now").isEqualTo(FaultResult.REUSED);
            assertThat(pfnAt(parent, A)).isEqualTo(pfn);
            consistent(m);
            parent.exit();
            child.exit();
            consistent(m);
            assertThat(m.swap().used()).isZero();
        }
    }

    // ---------------------------------------------------------------- swap-in: do_swap_page

    @Test
    void aReadFaultOnTheLastSwapPteLeavesTheFolioInTheSwapCacheAndMapsItReadOnly()
    {
        try (Machine m = Fixtures.x86())
        {
            final Shared s = Shared.of(m);
            final long pfn = s.onlyTheSwapCacheHoldsIt();
            final Events before = m.events().copy();

            assertThat(s.child.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);

            final Events e = m.events().minus(before);
            assertThat(pfnAt(s.child, A)).isEqualTo(pfn);
            assertThat(s.child.peekPte(A)).as("refcount 2 (cache + fault): not exclusive").isEqualTo(pfn << 12 | X86_ANON_RO);
            assertThat(m.memmap().testAnonExclusive(pfn)).isFalse();
            assertThat(m.swap().count(s.off)).isZero();
            assertThat(inSwapCache(m.memmap(), pfn)).as("should_try_to_free_swap: read fault, swap not full").isTrue();
            assertThat(m.swap().used()).isEqualTo(1);
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(2);
            assertThat(e.swapIns).as("a swap-cache hit reads nothing").isZero();
            consistent(m);

            final Events beforeWrite = m.events().copy();
            assertThat(s.child.fault(A, true)).as("wp_can_reuse_anon_folio: folio_free_swap").isEqualTo(FaultResult.REUSED);
            assertThat(m.events().minus(beforeWrite).cowReuses).isEqualTo(1);
            assertThat(inSwapCache(m.memmap(), pfn)).isFalse();
            assertThat(dirty(m.memmap(), pfn)).isTrue();
            assertThat(m.swap().used()).isZero();
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1);
            assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            s.allExitWithoutLeaks();
        }
    }

    @Test
    void aWriteFaultOnTheLastSwapPteOfAFolioOnlyTheCacheHoldsMapsItExclusiveWithoutDoWpPage()
    {
        try (Machine m = Fixtures.x86())
        {
            final Shared s = Shared.of(m);
            final long pfn = s.onlyTheSwapCacheHoldsIt();
            final Events before = m.events().copy();

            assertThat(s.child.fault(A, true)).isEqualTo(FaultResult.SWAPPED_IN);

            final Events e = m.events().minus(before);
            assertThat(s.child.peekPte(A)).as("folio_free_swap, then refcount 1: exclusive")
                .isEqualTo(pfn << 12 | Fixtures.X86_ANON_RW);
            assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            assertThat(inSwapCache(m.memmap(), pfn)).isFalse();
            assertThat(dirty(m.memmap(), pfn)).isTrue();
            assertThat(m.swap().count(s.off)).isZero();
            assertThat(m.swap().used()).isZero();
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1);
            assertThat(e.cowReuses).as("no do_wp_page").isZero();
            assertThat(e.cowCopies).isZero();
            assertThat(e.foliosAllocated).isZero();
            assertThat(e.swapIns).isZero();
            assertThat(s.child.read(A)).isEqualTo(s.token);
            consistent(m);
            s.allExitWithoutLeaks();
        }
    }

    @Test
    void aWriteFaultOnTheLastSwapPteOfAFolioAnotherProcessMapsCopiesAndLeavesItInTheSwapCache()
    {
        try (Machine m = Fixtures.x86())
        {
            final Shared s = Shared.of(m);
            final long pfn = s.parentSwapsIn();
            final Events before = m.events().copy();

            assertThat(s.child.fault(A, true)).isEqualTo(FaultResult.SWAPPED_IN);

            final Events e = m.events().minus(before);
            assertThat(pfnAt(s.child, A)).as("do_wp_page copied").isNotEqualTo(pfn);
            assertThat(e.cowCopies).isEqualTo(1);
            assertThat(m.swap().count(s.off)).isZero();
            assertThat(inSwapCache(m.memmap(), pfn)).as("the parent still maps it").isTrue();
            assertThat(m.memmap().rawRefcount(pfn)).as("swap cache + parent").isEqualTo(2);
            assertThat(m.swap().used()).isEqualTo(1);
            consistent(m);
            s.allExitWithoutLeaks();
        }
    }

    @Test
    void inAVmLockedVmaAReadFaultOnTheLastSwapPteTakesTheFolioOutOfTheSwapCache()
    {
        try (Machine m = Fixtures.x86())
        {
            final Shared s = Shared.of(m);
            final long pfn = s.onlyTheSwapCacheHoldsIt();
            s.child.findVma(A).flags |= VmFlags.VM_LOCKED; // as a restored snapshot carries it (forksim has no mlock)

            assertThat(s.child.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);

            assertThat(inSwapCache(m.memmap(), pfn)).as("should_try_to_free_swap: VM_LOCKED").isFalse();
            assertThat(m.swap().used()).isZero();
            assertThat(s.child.peekPte(A)).as("refcount 1 after folio_free_swap: exclusive, writable, clean")
                .isEqualTo(pfn << 12 | X86_ANON_RW_CLEAN);
            assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            consistent(m);
            s.allExitWithoutLeaks();
        }
    }

    @Test
    void whenSwapIsMoreThanHalfFullAReadFaultOnTheLastSwapPteTakesTheFolioOutOfTheSwapCache()
    {
        try (Machine m = smallSwap())
        {
            final long initialFree = m.phys().freePageCount();
            final Mm parent = m.newProcess();
            parent.mmap(A, 2 * PAGE, RW, false, null, 0);
            parent.populate(A, 2 * PAGE, 0);
            parent.madvise(A, 2 * PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(parent.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            final long pfn = pfnAt(parent, A);
            parent.munmap(A, PAGE);
            assertThat(inSwapCache(m.memmap(), pfn)).isTrue();
            assertThat(m.swap().vmSwapFull()).isTrue();

            assertThat(child.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);

            assertThat(inSwapCache(m.memmap(), pfn)).as("should_try_to_free_swap: swap full").isFalse();
            assertThat(child.peekPte(A)).isEqualTo(pfn << 12 | X86_ANON_RW_CLEAN);
            assertThat(m.swap().used()).isEqualTo(1);
            consistent(m);
            parent.exit();
            child.exit();
            InvariantChecker.leakCheck(m, initialFree);
        }
    }

    // ---------------------------------------------------------------- the last mapping goes: free_swap_cache

    @Test
    void theZapOfTheLastMappingTakesAFolioWhoseSlotHasNoSwapPteOutOfTheSwapCache()
    {
        try (Machine m = Fixtures.x86())
        {
            final Shared s = Shared.of(m);
            final long pfn = s.parentSwapsIn();
            s.child.munmap(A, PAGE);
            assertThat(inSwapCache(m.memmap(), pfn)).isTrue();
            final Events before = m.events().copy();

            s.parent.munmap(A, PAGE);

            assertThat(m.events().minus(before).foliosFreed).as("free_pages_and_swap_cache").isEqualTo(1);
            assertThat(m.swap().cachePfn(s.off)).isEqualTo(-1);
            assertThat(m.swap().used()).isZero();
            consistent(m);
            s.allExitWithoutLeaks();
        }
    }

    @Test
    void forkOfAMappedSwapCacheFolioLeavesTheSwapCacheAloneAndTheLastExitFreesIt()
    {
        try (Machine m = Fixtures.x86())
        {
            final Shared s = Shared.of(m);
            final long pfn = s.parentSwapsIn();
            s.child.munmap(A, PAGE);
            final Mm grandchild = Fork.fork(s.parent, Strategy.LEGACY);
            assertThat(pfnAt(grandchild, A)).isEqualTo(pfn);
            assertThat(m.memmap().rawRefcount(pfn)).as("swap cache + parent + grandchild").isEqualTo(3);
            assertThat(m.swap().count(s.off)).isZero();
            assertThat(inSwapCache(m.memmap(), pfn)).isTrue();
            consistent(m);

            s.parent.exit();
            assertThat(inSwapCache(m.memmap(), pfn)).as("the grandchild still maps it").isTrue();
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(2);
            assertThat(grandchild.read(A)).isEqualTo(s.token);
            consistent(m);
            s.allExitWithoutLeaks();
        }
    }

    // ---------------------------------------------------------------- reclaim

    @Test
    void reclaimReusesTheSlotThatOnlyTheSwapCacheHolds()
    {
        try (Machine m = Fixtures.x86())
        {
            final Shared s = Shared.of(m);
            final long pfn = s.parentSwapsIn();
            s.child.munmap(A, PAGE);
            assertThat(m.swap().count(s.off)).isZero();
            final Events before = m.events().copy();

            s.parent.madvise(A, PAGE, Advice.PAGEOUT);

            final Events e = m.events().minus(before);
            assertThat(s.parent.peekPte(A)).as("swap_duplicate of its swap-cache slot; not PAE: not SWP_EXCLUSIVE")
                .isEqualTo(X86Pte.swpEntryToPte(0, s.off) | X86Pte.SWP_SOFT_DIRTY);
            assertThat(m.swap().count(s.off)).isEqualTo(1);
            assertThat(m.swap().cachePfn(s.off)).isEqualTo(-1);
            assertThat(m.swap().token(s.off)).isEqualTo(s.token);
            assertThat(m.swap().used()).isEqualTo(1);
            assertThat(e.swapOuts).isEqualTo(1);
            assertThat(e.foliosFreed).isEqualTo(1);
            assertThat(m.memmap().rawRefcount(pfn)).isZero();
            consistent(m);

            assertThat(s.parent.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            assertThat(s.parent.read(A)).isEqualTo(s.token);
            assertThat(m.swap().used()).as("count 1: read into a fresh folio, outside the swap cache").isZero();
            s.allExitWithoutLeaks();
        }
    }
}
