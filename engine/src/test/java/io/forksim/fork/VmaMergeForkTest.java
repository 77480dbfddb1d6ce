package io.forksim.fork;

import io.forksim.check.InvariantChecker;
import io.forksim.mm.Advice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.Vma;
import io.forksim.mm.VmFlags;
import io.forksim.stats.Events;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * VMA merging (mm/vma.c) seen through fork: the cow.c steps that split a VMA and make it whole again leave one
 * VMA, so a PTE-mapped THP forks in as many folio-batch batches as in the kernel.
 */
class VmaMergeForkTest
{
    static final long PAGE = 4096;
    static final long THP = 2L << 20;
    static final long BASE = 1L << 30;
    static final int R = VmFlags.VM_READ;
    static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

    private static Machine machine(final String arch)
    {
        return new Machine(Machine.Config.of(arch, 64L << 20));
    }

    /**
     * cow.c {@code THP_RUN_PTE}: mprotect the second subpage PROT_READ, then back to PROT_READ|PROT_WRITE. The
     * VMA is whole again; x86 forks the order-9 folio in one batch; arm64 in two, because the mprotect unfolded
     * the first contpte block (entry 1 changed alone) and nothing refolds it (set_ptes tries a fold only at the
     * last entry of a block), so folio_pte_batch stops where the CONT bit starts at entry 16.
     */
    @ParameterizedTest
    @CsvSource({"x86_64, 1", "arm64, 2"})
    void mprotectOneSubpageReadOnlyAndBackLeavesOneVmaAndForksTheThpInKernelBatches(final String arch, final long batches)
    {
        try (Machine m = machine(arch))
        {
            final Mm parent = m.newProcess();
            parent.mmap(BASE, THP, RW, false, null, 0);
            parent.populate(BASE, THP, 9);
            parent.mprotect(BASE + PAGE, PAGE, R);
            assertThat(parent.vmas()).hasSize(3);
            parent.mprotect(BASE + PAGE, PAGE, RW);
            assertThat(parent.vmas()).extracting(Vma::start, Vma::end, Vma::flags).containsExactly(
                Tuple.tuple(BASE, BASE + THP, RW | VmFlags.VM_MAYREAD | VmFlags.VM_MAYWRITE | VmFlags.VM_MAYEXEC | VmFlags.VM_ACCOUNT));
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Events e = m.events().minus(before);
            assertThat(e.batches).isEqualTo(batches);
            assertThat(e.refcountUpdate).isEqualTo(batches);
            assertThat(child.vmas()).hasSize(1);
            InvariantChecker.check(m);
        }
    }

    @ParameterizedTest
    @CsvSource({"x86_64, 1", "arm64, 1"})
    void dontforkThenDoforkOfOneSubpageLeavesOneVmaAndForksTheThpInOneBatch(final String arch, final long batches)
    {
        try (Machine m = machine(arch))
        {
            final Mm parent = m.newProcess();
            parent.mmap(BASE, THP, RW, false, null, 0);
            parent.populate(BASE, THP, 9);
            parent.madvise(BASE + PAGE, PAGE, Advice.DONTFORK);
            assertThat(parent.vmas()).hasSize(3);
            parent.madvise(BASE + PAGE, PAGE, Advice.DOFORK);
            assertThat(parent.vmas()).extracting(Vma::start, Vma::end).containsExactly(Tuple.tuple(BASE, BASE + THP));
            final Events before = m.events().copy();
            Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(m.events().minus(before).batches).isEqualTo(batches);
            InvariantChecker.check(m);
        }
    }

    @Test
    void mremapAwayAndBackMergesWithTheVmaItCameFrom()
    {
        try (Machine m = machine("x86_64"))
        {
            final Mm mm = m.newProcess();
            mm.mmap(BASE, 16 * PAGE, RW, false, null, 0);
            mm.populate(BASE, 16 * PAGE, 0);
            mm.mremap(BASE + 12 * PAGE, 4 * PAGE, BASE + THP);
            assertThat(mm.vmas()).extracting(Vma::start, Vma::end, Vma::pgoff).containsExactly(
                Tuple.tuple(BASE, BASE + 12 * PAGE, BASE >>> 12),
                Tuple.tuple(BASE + THP, BASE + THP + 4 * PAGE, (BASE >>> 12) + 12));
            final Vma back = mm.mremap(BASE + THP, 4 * PAGE, BASE + 12 * PAGE);
            assertThat(back.start()).isEqualTo(BASE);
            assertThat(mm.vmas()).extracting(Vma::start, Vma::end).containsExactly(Tuple.tuple(BASE, BASE + 16 * PAGE));
            InvariantChecker.check(m);
        }
    }

    @Test
    void anUnfaultedAnonVmaMovedByMremapTakesItsNewAddressAsPgoffAndMergesThere()
    {
        try (Machine m = machine("x86_64"))
        {
            final Mm mm = m.newProcess();
            mm.mmap(BASE, 4 * PAGE, RW, false, null, 0);
            mm.mmap(BASE + THP, 4 * PAGE, RW, false, null, 0);
            mm.mremap(BASE + THP, 4 * PAGE, BASE + 4 * PAGE);
            assertThat(mm.vmas()).extracting(Vma::start, Vma::end, Vma::pgoff)
                .containsExactly(Tuple.tuple(BASE, BASE + 8 * PAGE, BASE >>> 12));
        }
    }

    @Test
    void aForkedChildsSplitPiecesMergeButTheParentsAnonVmaIsNotLentToANeighbour()
    {
        try (Machine m = machine("x86_64"))
        {
            final Mm parent = m.newProcess();
            parent.mmap(BASE, 8 * PAGE, RW, false, null, 0);
            parent.populate(BASE, 4 * PAGE, 0); // the VMA has an anon_vma; pages 4..7 stay unfaulted
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            child.mprotect(BASE + 2 * PAGE, 2 * PAGE, R);
            child.mprotect(BASE + 2 * PAGE, 2 * PAGE, RW);
            assertThat(child.vmas()).as("split pieces share the child's anon_vma").hasSize(1);
            // a neighbour without anon_vma: the forked chain may not be lent to it (vma_had_uncowed_parents)
            child.mmap(BASE + 8 * PAGE, 4 * PAGE, R, false, null, 0);
            child.mprotect(BASE + 8 * PAGE, 4 * PAGE, RW);
            assertThat(child.vmas()).extracting(Vma::start, Vma::end).containsExactly(
                Tuple.tuple(BASE, BASE + 8 * PAGE), Tuple.tuple(BASE + 8 * PAGE, BASE + 12 * PAGE));
            // the parent's own (singular) chain is lent
            parent.mmap(BASE + 8 * PAGE, 4 * PAGE, R, false, null, 0);
            parent.mprotect(BASE + 8 * PAGE, 4 * PAGE, RW);
            assertThat(parent.vmas()).extracting(Vma::start, Vma::end).containsExactly(Tuple.tuple(BASE, BASE + 12 * PAGE));
            InvariantChecker.check(m);
        }
    }

    @Test
    void vmasWithDifferentAnonVmasDoNotMerge()
    {
        try (Machine m = machine("x86_64"))
        {
            final Mm mm = m.newProcess();
            mm.mmap(BASE, 4 * PAGE, RW, false, null, 0);
            mm.mmap(BASE + 4 * PAGE, 4 * PAGE, R, false, null, 0);
            mm.populate(BASE, 4 * PAGE, 0);
            mm.fault(BASE + 4 * PAGE, false); // the zero page: no anon_vma
            mm.mprotect(BASE + 4 * PAGE, 4 * PAGE, RW);
            assertThat(mm.vmas()).as("the neighbour without anon_vma takes the first VMA's").hasSize(1);
            mm.mmap(BASE + 8 * PAGE, 4 * PAGE, R, false, null, 0);
            mm.mmap(BASE + 12 * PAGE, 4 * PAGE, RW, false, null, 0);
            mm.populate(BASE + 12 * PAGE, 4 * PAGE, 0);
            mm.mprotect(BASE + 8 * PAGE, 4 * PAGE, RW); // unfaulted: merges with both, whose anon_vmas differ
            assertThat(mm.vmas()).as("prev and next anon_vmas differ: merge left only").extracting(Vma::start, Vma::end)
                .containsExactly(Tuple.tuple(BASE, BASE + 12 * PAGE), Tuple.tuple(BASE + 12 * PAGE, BASE + 16 * PAGE));
            InvariantChecker.check(m);
        }
    }
}
