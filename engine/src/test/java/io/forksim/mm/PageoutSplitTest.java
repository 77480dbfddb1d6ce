package io.forksim.mm;

import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.pte.X86Pte;
import org.junit.jupiter.api.Test;


import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.X86_ANON_RW;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;

/** MADV_PAGEOUT of a large folio the range covers only in part: split_folio, then reclaim what is in range. */
class PageoutSplitTest
{
    private static long swp(final long off)
    {
        return X86Pte.swpEntryToPte(0, off) | X86Pte.SWP_EXCLUSIVE | X86Pte.SWP_SOFT_DIRTY;
    }

    @Test
    void pageoutOfFourPagesOfAn16PageFolioSplitsItAndSwapsOutThoseFour()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 16 * PAGE, RW, false, null, 0);
            mm.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(mm, A);
            final PageoutResult r = mm.pageout(A + 4 * PAGE, 4 * PAGE);
            assertThat(r.pagedOut()).containsExactly(A + 4 * PAGE, A + 5 * PAGE, A + 6 * PAGE, A + 7 * PAGE);
            assertThat(r.foliosSplit()).isEqualTo(1);
            assertThat(r.pagesFreedBySplit()).isZero();
            for (int i = 0; i < 4; i++)
            {
                assertThat(mm.peekPte(A + (4 + i) * PAGE)).isEqualTo(swp(1 + i));
            }
            for (final int i : new int[] {0, 3, 8, 15})
            {
                final long pfn = head + i;
                assertThat(mm.peekPte(A + i * PAGE)).as("PTEs outside the range are untouched").isEqualTo(pfn << 12 | X86_ANON_RW);
                assertThat(m.memmap().order(pfn)).isZero();
                assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1);
                assertThat(m.memmap().rawMapcount(pfn)).isEqualTo(1);
                assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            }
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(12);
            assertThat(mm.rss(Mm.MM_SWAPENTS)).isEqualTo(4);
            consistent(m);
        }
    }

    @Test
    void aSplitFreesThePagesOfTheFolioThatNothingMapsAnyMore()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 16 * PAGE, RW, false, null, 0);
            mm.populate(A, 16 * PAGE, 4);
            mm.munmap(A + 8 * PAGE, 8 * PAGE);
            final long free = m.phys().freePageCount();
            final PageoutResult r = mm.pageout(A, 8 * PAGE);
            assertThat(r.pagedOut()).hasSize(8);
            assertThat(r.foliosSplit()).isEqualTo(1);
            assertThat(r.pagesFreedBySplit()).isEqualTo(8);
            assertThat(m.phys().freePageCount()).as("8 unmapped pages at the split, 8 reclaimed").isEqualTo(free + 16);
            consistent(m);
        }
    }

    @Test
    void aFolioWholeInTheRangeIsReclaimedWholeWithoutASplit()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 32 * PAGE, RW, false, null, 0);
            mm.populate(A, 32 * PAGE, 4);
            final PageoutResult r = mm.pageout(A + 16 * PAGE, 16 * PAGE);
            assertThat(r.pagedOut()).hasSize(16);
            assertThat(r.foliosSplit()).isZero();
            assertThat(m.memmap().order(pfnAt(mm, A))).isEqualTo(4);
            consistent(m);
        }
    }

    @Test
    void aFolioSharedWithAChildOrPinnedIsNeitherSplitNorPagedOut()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 32 * PAGE, RW, false, null, 0);
            parent.populate(A, 32 * PAGE, 4);
            parent.pin(A + 16 * PAGE);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            child.exit();
            final MachineImage before = MachineImage.of(m);
            final PageoutResult pinned = parent.pageout(A + 16 * PAGE, 4 * PAGE);
            assertThat(pinned.pagedOut()).isEmpty();
            assertThat(pinned.foliosSplit()).isZero();
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
            final Mm child2 = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final PageoutResult shared = parent.pageout(A, 4 * PAGE);
            assertThat(shared.pagedOut()).isEmpty();
            assertThat(shared.foliosSplit()).isZero();
            assertThat(m.memmap().order(pfnAt(parent, A))).isEqualTo(4);
            consistent(m);
            child2.exit();
        }
    }
}
