package io.forksim.mm;

import io.forksim.check.MachineImage;
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
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;

/** MADV_PAGEOUT and do_swap_page round trips, with SWP_EXCLUSIVE and the swap cache. */
class SwapTest
{
    @Test
    void pageoutTurnsAnExclusivePageIntoAnExclusiveSwapEntryAndFreesTheFolio()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            final long free = m.phys().freePageCount();
            mm.populate(A, PAGE, 0);
            final long token = mm.read(A);
            final Events before = m.events().copy();
            mm.madvise(A, PAGE, Advice.PAGEOUT);
            final Events e = m.events().minus(before);
            final long off = 1;
            assertThat(mm.peekPte(A)).isEqualTo(X86Pte.swpEntryToPte(0, off) | X86Pte.SWP_EXCLUSIVE | X86Pte.SWP_SOFT_DIRTY);
            assertThat(m.swap().count(off)).isEqualTo(1);
            assertThat(m.swap().token(off)).isEqualTo(token);
            assertThat(m.swap().cachePfn(off)).as("no swap cache kept after pageout").isEqualTo(-1);
            assertThat(m.phys().freePageCount()).as("folio freed; the 3 tables stay").isEqualTo(free - 3);
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isZero();
            assertThat(mm.rss(Mm.MM_SWAPENTS)).isEqualTo(1);
            assertThat(e.swapOuts).isEqualTo(1);
            assertThat(e.foliosFreed).isEqualTo(1);
            assertThat(e.tlbiRange).isEqualTo(1);
            consistent(m);
        }
    }

    @Test
    void swappingInAnExclusiveEntryOnAReadMapsANewExclusivePageWritableButClean()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.populate(A, PAGE, 0);
            final long token = mm.read(A);
            mm.madvise(A, PAGE, Advice.PAGEOUT);
            final Events before = m.events().copy();
            assertThat(mm.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            final long pfn = pfnAt(mm, A);
            assertThat(mm.peekPte(A)).isEqualTo(pfn << 12 | X86Pte.PRESENT | X86Pte.RW | X86Pte.USER | X86Pte.ACCESSED
                | X86Pte.SOFT_DIRTY | X86Pte.NX);
            assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            assertThat(m.memmap().token(pfn)).isEqualTo(token);
            assertThat(m.memmap().flags(pfn) & PageDescriptor.PG_SWAPCACHE).as("count was 1: no swap cache").isZero();
            assertThat(m.swap().used()).isZero();
            assertThat(mm.rss(Mm.MM_SWAPENTS)).isZero();
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(1);
            assertThat(m.events().minus(before).swapIns).isEqualTo(1);
            mm.write(A, 99);
            assertThat(pfnAt(mm, A)).as("writable already: no COW").isEqualTo(pfn);
            consistent(m);
        }
    }

    @Test
    void swappingInOnAWriteFaultMapsThePageDirty()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.populate(A, PAGE, 0);
            mm.madvise(A, PAGE, Advice.PAGEOUT);
            assertThat(mm.fault(A, true)).isEqualTo(FaultResult.SWAPPED_IN);
            assertThat(mm.peekPte(A)).isEqualTo(pfnAt(mm, A) << 12 | Fixtures.X86_ANON_RW);
            consistent(m);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"x86_64", "arm64"})
    void pageoutOfAnOrder4FolioUsesSixteenConsecutiveSlotsAndSwapInRestoresEveryToken(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 16 * PAGE, RW, false, null, 0);
            mm.populate(A, 16 * PAGE, 4);
            final long[] tokens = new long[16];
            for (int i = 0; i < 16; i++)
            {
                tokens[i] = mm.read(A + i * PAGE);
            }
            mm.madvise(A, 16 * PAGE, Advice.PAGEOUT);
            final long first = m.arch().pteSwpOffset(mm.peekPte(A));
            for (int i = 0; i < 16; i++)
            {
                final long pte = mm.peekPte(A + i * PAGE);
                assertThat(m.arch().pteSwpOffset(pte)).isEqualTo(first + i);
                assertThat(m.arch().pteSwpExclusive(pte)).isTrue();
                assertThat(m.swap().token(first + i)).isEqualTo(tokens[i]);
            }
            consistent(m);
            for (int i = 0; i < 16; i++)
            {
                assertThat(mm.read(A + i * PAGE)).isEqualTo(tokens[i]);
            }
            assertThat(m.swap().used()).isZero();
            consistent(m);
        }
    }

    @Test
    void aSlotSharedWithAChildIsSwappedInThroughTheSwapCacheAndBothMapTheSameFolio()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            final long token = parent.read(A);
            parent.madvise(A, PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long off = m.arch().pteSwpOffset(parent.peekPte(A));
            assertThat(m.swap().count(off)).isEqualTo(2);
            assertThat(m.arch().pteSwpExclusive(parent.peekPte(A))).as("fork clears SWP_EXCLUSIVE in the parent").isFalse();

            assertThat(parent.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            final long pfn = pfnAt(parent, A);
            final MemMap mem = m.memmap();
            assertThat(m.arch().pteWrite(parent.peekPte(A))).isFalse();
            assertThat(mem.testAnonExclusive(pfn)).isFalse();
            assertThat(mem.flags(pfn) & PageDescriptor.PG_SWAPCACHE).isNotZero();
            assertThat(m.swap().cachePfn(off)).isEqualTo(pfn);
            assertThat(m.swap().count(off)).isEqualTo(1);
            assertThat(mem.rawRefcount(pfn)).as("swap cache + parent").isEqualTo(2);
            consistent(m);

            final Events before = m.events().copy();
            assertThat(child.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            assertThat(m.events().minus(before).swapIns).as("a swap-cache hit reads nothing").isZero();
            assertThat(pfnAt(child, A)).isEqualTo(pfn);
            assertThat(m.swap().count(off)).isZero();
            assertThat(mem.flags(pfn) & PageDescriptor.PG_SWAPCACHE)
                .as("last swap PTE gone on a read fault: the mapped folio stays in the swap cache").isNotZero();
            assertThat(m.swap().cachePfn(off)).isEqualTo(pfn);
            assertThat(m.swap().used()).as("the slot holds only the swap cache (SWAP_HAS_CACHE)").isEqualTo(1);
            assertThat(mem.rawRefcount(pfn)).as("swap cache + parent + child").isEqualTo(3);
            assertThat(mem.rawMapcount(pfn)).isEqualTo(2);
            consistent(m);

            assertThat(parent.fault(A, true)).isEqualTo(FaultResult.COW_COPIED);
            assertThat(mem.flags(pfn) & PageDescriptor.PG_SWAPCACHE).as("still mapped by the child").isNotZero();
            assertThat(child.fault(A, true)).as("wp_can_reuse_anon_folio frees the swap cache").isEqualTo(FaultResult.REUSED);
            assertThat(mem.flags(pfn) & PageDescriptor.PG_SWAPCACHE).isZero();
            assertThat(m.swap().used()).isZero();
            assertThat(mem.rawRefcount(pfn)).isEqualTo(1);
            assertThat(child.read(A)).isEqualTo(token);
            assertThat(parent.read(A)).isEqualTo(token);
            consistent(m);
        }
    }

    @Test
    void aWriteFaultOnASharedSlotCopiesAndLeavesTheCachedFolioForTheOtherProcess()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            final long token = parent.read(A);
            parent.madvise(A, PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long off = m.arch().pteSwpOffset(parent.peekPte(A));
            assertThat(parent.fault(A, true)).isEqualTo(FaultResult.SWAPPED_IN);
            final long cached = m.swap().cachePfn(off);
            assertThat(pfnAt(parent, A)).as("the parent got its own copy").isNotEqualTo(cached);
            assertThat(m.memmap().testAnonExclusive(pfnAt(parent, A))).isTrue();
            assertThat(m.memmap().rawRefcount(cached)).as("only the swap cache").isEqualTo(1);
            consistent(m);
            assertThat(child.fault(A, true)).isEqualTo(FaultResult.SWAPPED_IN);
            assertThat(pfnAt(child, A)).as("last reference: the cached folio is reused").isEqualTo(cached);
            assertThat(m.memmap().testAnonExclusive(cached)).isTrue();
            assertThat(child.read(A)).isEqualTo(token);
            consistent(m);
        }
    }

    @Test
    void pageoutSkipsFoliosSharedWithAChildPinnedOrPartlyMappedInTheRange()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 64 * PAGE, RW, false, null, 0);
            mm.populate(A, 32 * PAGE, 4);       // two 64 KiB folios
            mm.populate(A + 32 * PAGE, 2 * PAGE, 0);
            mm.pin(A + 32 * PAGE);              // pinned order-0 page
            final Mm child = Fork.fork(mm, Strategy.FOLIO_BATCH);
            child.madvise(A + 33 * PAGE, PAGE, Advice.DONTNEED); // page 33: now mapped by the parent only (not PAE)
            final MachineImage before = MachineImage.of(m);
            mm.madvise(A, 8 * PAGE, Advice.PAGEOUT);                 // half of folio 0, and shared with the child
            mm.madvise(A + 16 * PAGE, 16 * PAGE, Advice.PAGEOUT);    // whole folio 1, but shared with the child
            mm.madvise(A + 32 * PAGE, PAGE, Advice.PAGEOUT);         // pinned
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
            mm.madvise(A + 33 * PAGE, PAGE, Advice.PAGEOUT);         // exclusive to the parent since the child zapped it
            assertThat(m.arch().isSwapPte(mm.peekPte(A + 33 * PAGE))).isTrue();
            assertThat(m.arch().pteSwpExclusive(mm.peekPte(A + 33 * PAGE))).as("not PAE after fork").isFalse();
            consistent(m);
            child.exit();
            mm.unpin(A + 32 * PAGE);
        }
    }
}
