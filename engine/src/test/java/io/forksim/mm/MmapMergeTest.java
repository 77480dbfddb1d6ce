package io.forksim.mm;

import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.stats.Events;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.THP;
import static io.forksim.mm.Fixtures.consistent;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new mapping merges with an adjacent compatible VMA as 6.18's {@code __mmap_region} does it
 * ({@code vma_merge_new_range}): equal flags, the same file (none for private anon), a contiguous pgoff
 * (anon: {@code addr >> 12}), and a neighbour anon_vma that was not cloned by fork.
 */
class MmapMergeTest
{
    private static final int ANON_RW_FLAGS = RW | VmFlags.VM_MAYREAD | VmFlags.VM_MAYWRITE | VmFlags.VM_MAYEXEC
        | VmFlags.VM_ACCOUNT;

    @ParameterizedTest
    @CsvSource({"x86_64, 1", "arm64, 1"})
    void twoAdjacentAnonMmapsAreOneVmaAndAThpAcrossTheSeamForksInTheKernelsBatches(final String arch, final long batches)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = m.newProcess();
            final Vma first = parent.mmap(A, MIB, RW, false, null, 0);
            final Vma merged = parent.mmap(A + MIB, MIB, RW, false, null, 0);
            assertThat(merged).as("prev survives a left merge").isSameAs(first);
            assertThat(parent.vmas()).extracting(Vma::start, Vma::end, Vma::flags, Vma::pgoff)
                .containsExactly(Tuple.tuple(A, A + THP, ANON_RW_FLAGS, A >>> 12));
            parent.populate(A, THP, 9);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Events e = m.events().minus(before);
            assertThat(e.batches).isEqualTo(batches);
            assertThat(e.refcountUpdate).isEqualTo(batches);
            assertThat(child.vmas()).hasSize(1);
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aThpCanBePmdMappedOverTwoMergedMmapsAndForksWithOnePmdCopy(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A + MIB, MIB, RW, false, null, 0);
            parent.mmap(A, MIB, RW, false, null, 0);
            assertThat(parent.vmas()).extracting(Vma::start, Vma::end, Vma::pgoff)
                .as("next survives a right-only merge and takes the new pgoff").containsExactly(Tuple.tuple(A, A + THP, A >>> 12));
            parent.populate(A, THP, 9, FolioMapping.PMD);
            final Events before = m.events().copy();
            Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Events e = m.events().minus(before);
            assertThat(e.pmdCopy).isEqualTo(1);
            assertThat(e.pmdSplit).isZero();
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void mmapIntoTheHoleBetweenTwoVmasMergesAllThree(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            mm.mmap(A + 8 * PAGE, 4 * PAGE, RW, false, null, 0);
            mm.populate(A, 4 * PAGE, 0);
            assertThat(mm.vmas()).hasSize(2);
            mm.mmap(A + 4 * PAGE, 4 * PAGE, RW, false, null, 0);
            assertThat(mm.vmas()).extracting(Vma::start, Vma::end).containsExactly(Tuple.tuple(A, A + 12 * PAGE));
            mm.populate(A + 8 * PAGE, 4 * PAGE, 0);
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void differentProtSharedAnonAndANonContiguousPgoffDoNotMerge(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            mm.mmap(A + 4 * PAGE, 4 * PAGE, R, false, null, 0);
            assertThat(mm.vmas()).as("R is not RW (nor VM_ACCOUNT)").hasSize(2);
            mm.mmap(A + 16 * PAGE, 4 * PAGE, RW, true, null, 0);
            mm.mmap(A + 20 * PAGE, 4 * PAGE, RW, true, null, 0);
            assertThat(mm.vmas()).as("each shared anon mapping has its own shmem file").hasSize(4);
            mm.mmap(A + 32 * PAGE, 4 * PAGE, RW, false, null, 0);
            mm.populate(A + 32 * PAGE, 4 * PAGE, 0);
            mm.mremap(A + 32 * PAGE, 4 * PAGE, A + 64 * PAGE);
            mm.mmap(A + 68 * PAGE, 4 * PAGE, RW, false, null, 0);
            assertThat(mm.vmas()).as("the moved VMA keeps pgoff A+32 pages: not contiguous with A+68").hasSize(6);
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void theForkedChildsVmaDoesNotAbsorbANewNeighbourButTheParentsDoes(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 4 * PAGE, RW, false, null, 0);
            parent.populate(A, 4 * PAGE, 0);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            child.mmap(A + 4 * PAGE, 4 * PAGE, RW, false, null, 0);
            assertThat(child.vmas()).as("vma_had_uncowed_parents: the child's anon_vma chain is not singular").hasSize(2);
            parent.mmap(A + 4 * PAGE, 4 * PAGE, RW, false, null, 0);
            assertThat(parent.vmas()).extracting(Vma::start, Vma::end).containsExactly(Tuple.tuple(A, A + 8 * PAGE));
            consistent(m);
        }
    }
}
