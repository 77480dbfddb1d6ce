package io.forksim.mm;

import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;


import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.X86_ANON_RW;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Longterm pins without FOLL_WRITE: unshare first (FAULT_FLAG_UNSHARE), so the pinned page is the one the process sees. */
class ReadOnlyPinTest
{
    /** x86 PAGE_COPY / PAGE_READONLY as a fresh PTE: present, user, accessed, NX; neither dirty nor writable. */
    private static final long X86_RO = X86Pte.PRESENT | X86Pte.USER | X86Pte.ACCESSED | X86Pte.NX;

    @Test
    void aReadOnlyPinOfAPageSharedWithAChildUnsharesItIntoAReadOnlyCleanExclusiveCopy()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            parent.write(A, 0xabc);
            final long shared = pfnAt(parent, A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Events before = m.events().copy();
            final long pinned = parent.pin(A, false);
            assertThat(pinned).isNotEqualTo(shared);
            assertThat(parent.peekPte(A)).as("wp_page_copy with unshare: vm_page_prot, soft-dirty kept, not dirty/writable")
                .isEqualTo(pinned << 12 | X86_RO | X86Pte.SOFT_DIRTY);
            assertThat(m.memmap().token(pinned)).isEqualTo(0xabc);
            assertThat(m.memmap().testAnonExclusive(pinned)).isTrue();
            assertThat(m.memmap().rawRefcount(pinned)).isEqualTo(1 + PageDescriptor.GUP_PIN_COUNTING_BIAS);
            assertThat(pfnAt(child, A)).isEqualTo(shared);
            assertThat(m.memmap().rawRefcount(shared)).isEqualTo(1);
            assertThat(m.events().minus(before).cowCopies).isEqualTo(1);
            consistent(m);
            parent.write(A, 0xdef);
            assertThat(pfnAt(parent, A)).as("an exclusive page is reused by the write: the pin still sees it").isEqualTo(pinned);
            assertThat(m.memmap().token(pinned)).isEqualTo(0xdef);
            assertThat(child.read(A)).isEqualTo(0xabc);
            consistent(m);
        }
    }

    @Test
    void aReadOnlyPinOfAnExclusivePageTakesThePinWithoutAFault()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.populate(A, PAGE, 0);
            final long pte = mm.peekPte(A);
            final Events before = m.events().copy();
            assertThat(mm.pin(A, false)).isEqualTo(pfnAt(mm, A));
            assertThat(m.events().minus(before).faults).isZero();
            assertThat(mm.peekPte(A)).isEqualTo(pte).isEqualTo(pfnAt(mm, A) << 12 | X86_ANON_RW);
            consistent(m);
        }
    }

    @Test
    void pinOnAReadOnlyPrivateMappingUnsharesTheZeroPageIntoAnExclusiveAnonPage()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final Vma v = mm.mmap(A, 2 * PAGE, R, false, null, 0);
            mm.populate(A + PAGE, PAGE, 0);
            assertThat(pfnAt(mm, A + PAGE)).isEqualTo(PhysMem.ZERO_PFN);
            final long p0 = mm.pin(A);
            final long p1 = mm.pin(A + PAGE);
            for (final long pfn : new long[] {p0, p1})
            {
                assertThat(pfn).isNotEqualTo(PhysMem.ZERO_PFN);
                assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
                assertThat(m.memmap().token(pfn)).isZero();
            }
            assertThat(mm.peekPte(A)).isEqualTo(p0 << 12 | X86_RO);
            assertThat(v.hasAnonVma()).isTrue();
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(2);
            consistent(m);
            mm.unpinRange(A, 2 * PAGE);
            assertThat(mm.pins()).isEmpty();
            consistent(m);
        }
    }

    @Test
    void aReadOnlyPinOfASharedMappingPinsThePageCachePageAsItIs()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final Vma v = mm.mmap(A, PAGE, R, true, null, 0);
            final long pfn = mm.pin(A);
            assertThat(pfn).isEqualTo(v.file().cachedPfn(0));
            assertThat(pfnAt(mm, A)).isEqualTo(pfn);
            consistent(m);
        }
    }

    @Test
    void aReadOnlyPinOfOnePageOfASharedLargeFolioCopiesThatPageAlone()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(parent, A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long pinned = parent.pin(A + 3 * PAGE, false);
            assertThat(m.memmap().order(pinned)).isZero();
            assertThat(pfnAt(parent, A + 2 * PAGE)).isEqualTo(head + 2);
            assertThat(m.memmap().largeMapcount(head)).isEqualTo(31);
            assertThat(pfnAt(child, A + 3 * PAGE)).isEqualTo(head + 3);
            consistent(m);
        }
    }

    @Test
    void pinRangeAndUnpinRangeCoverEveryPageAndABadPageChangesNothing()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            mm.mmap(A + 4 * PAGE, PAGE, 0, false, null, 0);
            final MachineImage before = MachineImage.of(m);
            assertThatThrownBy(() -> mm.pinRange(A, 5 * PAGE, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x40004000");
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
            final long[] pfns = mm.pinRange(A, 4 * PAGE, true);
            assertThat(pfns).hasSize(4).doesNotContain(PhysMem.ZERO_PFN);
            assertThat(mm.pins()).extracting(Mm.Pin::addr).containsExactly(A, A + PAGE, A + 2 * PAGE, A + 3 * PAGE);
            mm.pinRange(A + PAGE, PAGE, false);
            assertThat(m.memmap().rawRefcount(pfns[1])).isEqualTo(1 + 2 * PageDescriptor.GUP_PIN_COUNTING_BIAS);
            mm.unpinRange(A, 4 * PAGE);
            assertThat(mm.pins()).extracting(Mm.Pin::addr).containsExactly(A + PAGE);
            consistent(m);
        }
    }
}
