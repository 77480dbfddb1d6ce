package io.forksim.mm;

import io.forksim.mem.PageDescriptor;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;

/** Rules that surviving PIT mutants of Zap and Gup showed untested (engine/pom.xml -Pmutation). */
class MutantKillersTest
{
    @Test
    void zappingAPteTheMmuDirtiedMarksItsPageCacheFolioDirty()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final SimFile f = m.createFile("f", PAGE);
            mm.mmap(A, PAGE, RW, true, f, 0);
            mm.read(A); // do_read_fault: writable, clean; the folio is clean
            final long pfn = pfnAt(mm, A);
            assertThat(m.memmap().flags(pfn) & PageDescriptor.PG_DIRTY).isZero();
            mm.write(A, 5); // the MMU sets D in the PTE only
            assertThat(m.memmap().flags(pfn) & PageDescriptor.PG_DIRTY).isZero();
            mm.munmap(A, PAGE);
            assertThat(m.memmap().flags(pfn) & PageDescriptor.PG_DIRTY).as("zap_present_ptes: folio_mark_dirty").isNotZero();
            consistent(m);
        }
    }

    @Test
    void aReadOnlyPinOfAnExclusivePageMappedReadOnlyNeedsNoUnshare()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.populate(A, PAGE, 0);
            mm.mprotect(A, PAGE, R);
            final long pte = mm.peekPte(A);
            final Events before = m.events().copy();
            assertThat(mm.pin(A)).isEqualTo(pfnAt(mm, A));
            final Events e = m.events().minus(before);
            assertThat(e.faults).isZero();
            assertThat(e.cowReuses).isZero();
            assertThat(mm.peekPte(A)).isEqualTo(pte);
            consistent(m);
        }
    }

    @Test
    void aReadOnlyPinOfAMappedSharedPageNeedsNoFault()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final SimFile f = m.createFile("f", PAGE);
            mm.mmap(A, PAGE, R, true, f, 0);
            mm.read(A);
            final long pte = mm.peekPte(A);
            assertThat(pte).isEqualTo(pfnAt(mm, A) << 12 | X86Pte.PRESENT | X86Pte.USER | X86Pte.ACCESSED | X86Pte.NX);
            final Events before = m.events().copy();
            assertThat(mm.pin(A, false)).isEqualTo(f.cachedPfn(0));
            assertThat(m.events().minus(before).faults).as("no unshare: not a COW mapping").isZero();
            assertThat(mm.peekPte(A)).isEqualTo(pte);
            consistent(m);
        }
    }
}
