package io.forksim.mm;

import io.forksim.arch.ArchVariant;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.THP;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * handle_mm_fault at its edges on x86_64: a fault on a PTE that already allows the access, a store that needs no
 * fault, a mapping at address 0, a fault on a PMD-mapped THP, the PTL on a concurrent machine, and the write bit of what a fault maps in a
 * read-only mapping (swap-in, and the unshare of a R/O pin, by copy and by reuse).
 */
class FaultEdgesTest
{
    @Test
    void aReadFaultOnAnOldPresentPteOnlyMakesItYoung()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.write(A, 1);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long old = child.peekPte(A);
            assertThat(old & X86Pte.ACCESSED).as("fork leaves the child's PTE old").isZero();
            final Events before = m.events().copy();
            assertThat(child.fault(A, false)).isEqualTo(FaultResult.MAPPED);
            assertThat(m.events().minus(before).faults).isEqualTo(1);
            assertThat(child.peekPte(A)).as("young, still not dirty or writable").isEqualTo(old | X86Pte.ACCESSED);
            consistent(m);
        }
    }

    @Test
    void aStoreToAPresentWritablePteTakesNoFault()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.write(A, 1);
            final Events before = m.events().copy();
            mm.write(A, 2);
            assertThat(m.events().minus(before).faults).isZero();
            assertThat(mm.read(A)).isEqualTo(2);
        }
    }

    @Test
    void aMappingAtAddressZeroFaultsLikeAnyOther()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(0, PAGE, RW, false, null, 0);
            mm.write(0, 9);
            assertThat(mm.read(0)).isEqualTo(9);
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(1);
            consistent(m);
        }
    }

    @Test
    void aWriteFaultOnAPmdMappedThpSharedWithAChildIsOneFault()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = HugePmdTest.thpProcess(m, THP);
            Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Events before = m.events().copy();
            assertThat(parent.fault(A + 3 * PAGE, true)).isNotNull();
            assertThat(m.events().minus(before).faults).isEqualTo(1);
            consistent(m);
        }
    }

    @Test
    void faultsOnAConcurrentMachineReleaseThePteTableLock()
    {
        try (Machine m = new Machine(new Machine.Config(ArchVariant.of("x86_64"), 64 * MIB, 64 * MIB, true, true)))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 2 * PAGE, RW, false, null, 0);
            mm.write(A, 1);                                  // a new table, then the fault under its PTL
            final long table = Tables.lookup(m, mm, A).table;
            assertThat(m.pageTables().ptl().heldByCurrentThread(table)).isFalse();
            assertThat(mm.fault(A + PAGE, true)).isEqualTo(FaultResult.MAPPED);   // the table exists
            assertThat(mm.fault(A, false)).isEqualTo(FaultResult.MAPPED);          // a present PTE
            assertThat(m.pageTables().ptl().heldByCurrentThread(table)).isFalse();
            consistent(m);
        }
    }

    @Test
    void aSwapInInAReadOnlyMappingMapsThePageReadOnly()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.write(A, 7);
            mm.madvise(A, PAGE, Advice.PAGEOUT);
            mm.mprotect(A, PAGE, R);
            assertThat(mm.read(A)).isEqualTo(7);
            assertThat(m.arch().pteWrite(mm.peekPte(A))).isFalse();
            consistent(m);
        }
    }

    @Test
    void theUnshareOfAReadOnlyPinInAReadOnlyMappingNeverMapsTheResultWritable()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 2 * PAGE, RW, false, null, 0);
            parent.write(A, 1);
            parent.write(A + PAGE, 2);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            child.munmap(A + PAGE, PAGE);                    // page 1 is the parent's alone again, page 0 shared
            parent.mprotect(A, 2 * PAGE, R);
            final long shared = pfnAt(parent, A);
            final long last = pfnAt(parent, A + PAGE);
            assertThat(parent.pin(A, false)).as("wp_page_copy").isNotEqualTo(shared);
            assertThat(parent.pin(A + PAGE, false)).as("wp_page_reuse").isEqualTo(last);
            assertThat(m.arch().pteWrite(parent.peekPte(A))).isFalse();
            assertThat(m.arch().pteWrite(parent.peekPte(A + PAGE))).isFalse();
            assertThat(m.memmap().testAnonExclusive(pfnAt(parent, A + PAGE))).isTrue();
            consistent(m);
        }
    }
}
