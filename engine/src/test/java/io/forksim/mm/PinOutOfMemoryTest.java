package io.forksim.mm;

import io.forksim.check.MachineImage;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pte.Arm64Pte;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A longterm pin that runs out of simulated RAM keeps the faults it completed, as {@code __get_user_pages} does (it
 * returns {@code -ENOMEM} from the fault that failed and undoes none before it), and takes no pin.
 *
 * <p>The case that shows it: a R/O pin of a page never touched in a private read-only anonymous mapping. GUP finds no
 * PTE and read-faults: {@code do_anonymous_page} maps the zero page (after the PUD, PMD and PTE tables of an empty
 * address space: three allocations). {@code follow_page_pte} then finds the zero page, which
 * {@code gup_must_unshare} refuses in a COW mapping ({@code -EMLINK}), so GUP takes an unshare fault:
 * {@code wp_page_copy} allocates a zeroed page, the fourth allocation. When that one fails, the zero-page PTE and
 * its tables stay.
 */
class PinOutOfMemoryTest
{
    /** A machine with a process that has a one-page private mapping at {@link Fixtures#A} with {@code prot}, nothing mapped. */
    private static Mm process(final Machine m, final int prot)
    {
        final Mm mm = m.newProcess();
        mm.mmap(A, PAGE, prot, false, null, 0);
        return mm;
    }

    /** The zero page as {@code do_anonymous_page} maps it for a read of a private read-only mapping. */
    private static long zeroPagePte(final String arch)
    {
        if (arch.equals("x86_64"))
        {
            // PAGE_READONLY + _PAGE_SPECIAL, PFN 0: P | US | A | SPECIAL | NX
            final long pte = X86Pte.PRESENT | X86Pte.USER | X86Pte.ACCESSED | X86Pte.SPECIAL | X86Pte.NX;
            assertThat(pte).isEqualTo(0x8000_0000_0000_0225L);
            return pte;
        }
        // PAGE_READONLY (valid, page, AP user R/O, inner shareable, AF, nG, PXN, UXN) + PTE_SPECIAL, PFN 0
        final long pte = Arm64Pte.pteMkspecial(Arm64Pte.pfnPte(PhysMem.ZERO_PFN, Arm64Pte.vmGetPageProt(true, false, false, false)));
        assertThat(pte).isEqualTo(0x0160_0000_0000_0fc3L);
        return pte;
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aReadOnlyPinWhoseUnshareRunsOutKeepsTheZeroPageItsReadFaultMappedAndTakesNoPin(final String arch)
    {
        try (Machine m = Fixtures.machine(arch);
             Machine readFaultOnly = Fixtures.machine(arch))
        {
            final Mm mm = process(m, R);
            final long free = m.phys().freePageCount();
            final long zeroRefcount = m.memmap().rawRefcount(PhysMem.ZERO_PFN);
            final Events before = m.events().copy();
            m.phys().failAllocationsAfter(3);   // the PUD, PMD and PTE tables of the read fault; the unshare's copy fails
            assertThatThrownBy(() -> mm.pin(A)).isInstanceOf(OutOfSimulatedMemoryException.class);
            m.phys().clearFailureInjection();
            final Events e = m.events().minus(before);

            assertThat(mm.peekPte(A)).as("the read fault's zero-page PTE stays").isEqualTo(zeroPagePte(arch));
            assertThat(m.phys().freePageCount()).as("its three page tables stay; no page was copied").isEqualTo(free - 3);
            assertThat(m.memmap().rawRefcount(PhysMem.ZERO_PFN)).as("the zero page is special: no reference").isEqualTo(zeroRefcount);
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isZero();
            assertThat(mm.pins()).as("no pin taken").isEmpty();
            assertThat(mm.findVma(A).hasAnonVma()).as("the failed unshare prepared no anon_vma (forksim's faults are atomic)").isFalse();
            assertThat(e.faults).as("the read fault and the unshare fault").isEqualTo(2);
            assertThat(e.cowCopies).isZero();
            assertThat(e.ptPagesAlloc).isEqualTo(3);
            assertThat(e.foliosAllocated).isZero();
            consistent(m);

            final Mm twin = process(readFaultOnly, R);
            assertThat(twin.fault(A, false)).isEqualTo(FaultResult.MAPPED);
            assertThat(MachineImage.of(readFaultOnly).diff(MachineImage.of(m))).as("exactly what a read fault alone leaves").isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void theSamePinRetriedWithMemoryUnsharesTheZeroPageAndEndsWhereAPinThatNeverFailedEnds(final String arch)
    {
        try (Machine m = Fixtures.machine(arch);
             Machine neverFailed = Fixtures.machine(arch))
        {
            final Mm mm = process(m, R);
            m.phys().failAllocationsAfter(3);
            assertThatThrownBy(() -> mm.pin(A)).isInstanceOf(OutOfSimulatedMemoryException.class);
            m.phys().clearFailureInjection();
            final Events before = m.events().copy();
            final long pfn = mm.pin(A);
            final Events e = m.events().minus(before);

            assertThat(pfn).isNotEqualTo(PhysMem.ZERO_PFN);
            assertThat(e.faults).as("GUP finds the zero page and takes only the unshare fault").isEqualTo(1);
            assertThat(e.cowCopies).isEqualTo(1);
            assertThat(e.ptPagesAlloc).isZero();
            assertThat(pfnAt(mm, A)).isEqualTo(pfn);
            assertThat(m.memmap().testAnonExclusive(pfn)).isTrue();
            assertThat(m.memmap().rawRefcount(pfn)).as("the mapping and the pin").isEqualTo(1 + PageDescriptor.GUP_PIN_COUNTING_BIAS);
            assertThat(mm.pins()).containsExactly(new Mm.Pin(A, pfn));
            consistent(m);

            final Mm other = process(neverFailed, R);
            assertThat(other.pin(A)).isEqualTo(pfn);
            assertThat(MachineImage.of(neverFailed).diff(MachineImage.of(m))).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void aReadOnlyPinWhoseReadFaultRunsOutChangesNothing(final int tablesBeforeTheFailure)
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = process(m, R);
            final MachineImage before = MachineImage.of(m);
            m.phys().failAllocationsAfter(tablesBeforeTheFailure);
            assertThatThrownBy(() -> mm.pin(A)).isInstanceOf(OutOfSimulatedMemoryException.class);
            m.phys().clearFailureInjection();
            assertThat(before.diff(MachineImage.of(m))).as("the read fault is the step that failed: forksim's faults are atomic").isEmpty();
        }
    }

    @Test
    void aWritePinThatRunsOutChangesNothing()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = process(m, RW);
            mm.fault(A, false);                  // the zero page: the write pin's one fault must copy it
            final MachineImage before = MachineImage.of(m);
            m.phys().failAllocationsAfter(0);
            assertThatThrownBy(() -> mm.pin(A)).isInstanceOf(OutOfSimulatedMemoryException.class);
            m.phys().clearFailureInjection();
            assertThat(before.diff(MachineImage.of(m))).as("FOLL_WRITE: one write fault, which failed").isEmpty();
            assertThat(mm.pins()).isEmpty();
        }
    }
}
