package io.forksim.mm;

import io.forksim.arch.ArchVariant;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mem.PageDescriptor;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.THP;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Longterm pins (mm/gup.c) at their edges: what needs no fault, R/O pins of PMD-mapped THPs, a range pin that runs out
 * of memory half-way, a range unpin that finds a page without a pin, and the PTL of the unshare fault.
 */
class PinEdgeCasesTest
{
    @Test
    void aWritePinOfAWritableSharedFilePageTakesNoFault()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final SimFile f = m.createFile("f", PAGE);
            mm.mmap(A, PAGE, RW, true, f, 0);
            mm.write(A, 7);
            final long pte = mm.peekPte(A);
            final long pfn = pfnAt(mm, A);
            final Events before = m.events().copy();
            assertThat(mm.pin(A, true)).isEqualTo(pfn);
            final Events e = m.events().minus(before);
            assertThat(e.faults).as("a page-cache page is never PageAnonExclusive and needs none").isZero();
            assertThat(mm.peekPte(A)).isEqualTo(pte);
            assertThat(m.memmap().rawRefcount(pfn)).as("page cache + mapping + pin")
                .isEqualTo(2 + PageDescriptor.GUP_PIN_COUNTING_BIAS);
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aReadOnlyPinOfAnExclusivePmdMappedThpInAReadOnlyMappingPinsItWithoutSplitOrFault(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = HugePmdTest.thpProcess(m, THP);
            mm.mprotect(A, THP, R);
            final long leaf = mm.peekPmd(A);
            final long head = HugePmdTest.head(mm, A);
            final Events before = m.events().copy();
            assertThat(mm.pin(A + 3 * PAGE, false)).isEqualTo(head + 3);
            final Events e = m.events().minus(before);
            assertThat(e.faults).isZero();
            assertThat(e.pmdSplit).isZero();
            assertThat(mm.peekPmd(A)).isEqualTo(leaf);
            assertThat(m.memmap().pincount(head)).isEqualTo(1);
            assertThat(m.memmap().rawRefcount(head)).as("the PMD mapping and the pin").isEqualTo(2);
            assertThat(mm.pins()).containsExactly(new Mm.Pin(A + 3 * PAGE, head + 3));
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aReadOnlyPinOfAPmdMappedThpSharedWithAChildSplitsTheParentsPmdAndUnsharesThePinnedPage(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = HugePmdTest.thpProcess(m, THP);
            final long head = HugePmdTest.head(parent, A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long childLeaf = child.peekPmd(A);
            final Events before = m.events().copy();
            final long pinned = parent.pin(A + 3 * PAGE, false);
            final Events e = m.events().minus(before);
            assertThat(pinned).isNotEqualTo(head + 3);
            assertThat(e.pmdSplit).as("__split_huge_pmd of the parent's leaf").isEqualTo(1);
            assertThat(e.faults).as("the FAULT_FLAG_UNSHARE fault").isEqualTo(1);
            assertThat(e.cowCopies).isEqualTo(1);
            assertThat(parent.peekPmd(A)).as("a PTE table now").isNotEqualTo(HugePmdTest.parentAfterFork(arch, head));
            assertThat(pfnAt(parent, A + 3 * PAGE)).isEqualTo(pinned);
            assertThat(pfnAt(parent, A + 4 * PAGE)).as("the rest stays on the shared folio").isEqualTo(head + 4);
            assertThat(m.memmap().testAnonExclusive(pinned)).isTrue();
            assertThat(m.memmap().rawRefcount(pinned)).isEqualTo(1 + PageDescriptor.GUP_PIN_COUNTING_BIAS);
            assertThat(child.peekPmd(A)).isEqualTo(childLeaf);
            assertThat(m.memmap().pincount(head)).isZero();
            consistent(m);
        }
    }

    @Test
    void aRangePinThatRunsOutOfMemoryHalfWayDropsThePinsItTookAndThrows()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 3 * PAGE, RW, false, null, 0);
            mm.write(A, 1);
            mm.write(A + PAGE, 2);
            final long p0 = pfnAt(mm, A);
            final long p1 = pfnAt(mm, A + PAGE);
            m.phys().failAllocationsAfter(0);   // the third page has none yet: its fault fails
            assertThatThrownBy(() -> mm.pinRange(A, 3 * PAGE, true)).isInstanceOf(OutOfSimulatedMemoryException.class);
            m.phys().clearFailureInjection();
            assertThat(mm.pins()).isEmpty();
            assertThat(m.memmap().rawRefcount(p0)).isEqualTo(1);
            assertThat(m.memmap().rawRefcount(p1)).isEqualTo(1);
            assertThat(mm.peekPte(A + 2 * PAGE)).isZero();
            consistent(m);
        }
    }

    @Test
    void aRangeUnpinOverAPageWithoutAPinChangesNothingAndThrows()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 2 * PAGE, RW, false, null, 0);
            mm.populate(A, 2 * PAGE, 0);
            final long pfn = mm.pin(A, true);
            assertThatThrownBy(() -> mm.unpinRange(A, 2 * PAGE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no pin at 0x" + Long.toHexString(A + PAGE));
            assertThatThrownBy(() -> mm.unpinRange(A, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 0");
            assertThat(mm.pins()).containsExactly(new Mm.Pin(A, pfn));
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1 + PageDescriptor.GUP_PIN_COUNTING_BIAS);
            consistent(m);
        }
    }

    @Test
    void theUnshareFaultOfAReadOnlyPinOnAConcurrentMachineReleasesThePteTableLock()
    {
        try (Machine m = new Machine(new Machine.Config(ArchVariant.of("x86_64"), 64 * MIB, 64 * MIB, true, true)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.write(A, 5);
            final long shared = pfnAt(parent, A);
            Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long table = Tables.lookup(m, parent, A).table;
            final long pinned = parent.pin(A, false);
            assertThat(pinned).isNotEqualTo(shared);
            assertThat(m.pageTables().ptl().heldByCurrentThread(table)).isFalse();
            consistent(m);
        }
    }
}
