package io.forksim.mm;

import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.fork.Strategy;
import io.forksim.mem.MemMap;
import io.forksim.pte.Arm64Pte;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.B;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.THP;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static io.forksim.mm.HugePmdTest.childAfterFork;
import static io.forksim.mm.HugePmdTest.deposits;
import static io.forksim.mm.HugePmdTest.freshLeaf;
import static io.forksim.mm.HugePmdTest.head;
import static io.forksim.mm.HugePmdTest.parentAfterFork;
import static io.forksim.mm.HugePmdTest.thpProcess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * mremap of PMD-mapped THPs as 6.18's {@code move_page_tables} does it: a leaf the range covers whole, moved by a
 * multiple of 2 MiB, moves as it is ({@code move_huge_pmd}, with its deposit when it changes PMD-table page); any
 * other leaf is split and its PTEs move.
 */
class MoveHugePmdTest
{
    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void mremapOfTwoWholeLeavesBy4MiBMovesTheLeavesAsTheyAreWithinOnePmdTable(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = thpProcess(m, 2 * THP);
            final long h0 = head(mm, A);
            final long h1 = head(mm, A + THP);
            final long token = mm.read(A + THP + 9 * PAGE);
            final long to = A + 8 * THP;
            final Events before = m.events().copy();
            mm.mremap(A, 2 * THP, to);
            final Events e = m.events().minus(before);
            assertThat(mm.peekPmd(to)).as("x86: the fresh leaf is soft-dirty already").isEqualTo(freshLeaf(arch, h0));
            assertThat(mm.peekPmd(to + THP)).isEqualTo(freshLeaf(arch, h1));
            assertThat(mm.peekPmd(A)).isZero();
            assertThat(mm.peekPmd(A + THP)).isZero();
            assertThat(e.pmdSplit).isZero();
            assertThat(e.ptPagesAlloc).as("the PMD-table page is shared by old and new").isZero();
            assertThat(e.ptPagesFree).isZero();
            assertThat(e.ptepGet).isZero();
            assertThat(e.refcountUpdate).isZero();
            assertThat(e.rmapUpdate).isZero();
            assertThat(arch.equals("x86_64") ? e.tlbiRange : e.tlbiPage).as("one flush_pmd_tlb_range per leaf").isEqualTo(2);
            assertThat(deposits(mm, to)).as("same PMD-table page: the deposits stay").isEqualTo(2);
            final MemMap mem = m.memmap();
            assertThat(mem.rawRefcount(h0)).isEqualTo(1);
            assertThat(mem.largeMapcount(h0)).isEqualTo(1);
            assertThat(HugeRmap.folioEntireMapcount(mem, h0)).isEqualTo(1);
            assertThat(mem.testAnonExclusive(h0)).isTrue();
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(1024);
            assertThat(mm.read(to + THP + 9 * PAGE)).isEqualTo(token);
            assertThat(mm.vmas()).hasSize(1);
            consistent(m);
            mm.write(to + 3 * PAGE, 5);
            assertThat(mm.peekPmd(to)).as("still writable and exclusive: no fault, no split").isEqualTo(freshLeaf(arch, h0));
            mm.exit();
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aLeafMovedToAnotherGiBTakesItsDepositToTheNewPmdTableAndTheOldTableIsFreed(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = thpProcess(m, THP);
            final long h = head(mm, A);
            final Events before = m.events().copy();
            mm.mremap(A, THP, B);
            final Events e = m.events().minus(before);
            assertThat(mm.peekPmd(B)).isEqualTo(freshLeaf(arch, h));
            assertThat(e.ptPagesAlloc).as("the PMD-table page of B").isEqualTo(1);
            assertThat(e.ptPagesFree).as("the emptied PMD-table page of A").isEqualTo(1);
            assertThat(e.pmdSplit).isZero();
            assertThat(deposits(mm, B)).as("pmd_move_must_withdraw: the deposit moved").isEqualTo(1);
            consistent(m);
            mm.exit();
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aSharedLeafMovedByTheParentKeepsItsFolioCountsAndTheChildKeepsItsLeaf(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final long h = head(parent, A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long token = child.read(A + PAGE);
            parent.mremap(A, THP, A + 4 * THP);
            assertThat(parent.peekPmd(A + 4 * THP)).isEqualTo(parentAfterFork(arch, h));
            assertThat(child.peekPmd(A)).as("young: the child read it").isEqualTo(childAfterFork(arch, h) | (arch.equals("x86_64") ? X86Pte.ACCESSED : Arm64Pte.AF));
            final MemMap mem = m.memmap();
            assertThat(mem.rawRefcount(h)).isEqualTo(2);
            assertThat(HugeRmap.folioEntireMapcount(mem, h)).isEqualTo(2);
            assertThat(mem.testAnonExclusive(h)).isFalse();
            consistent(m);
            parent.write(A + 4 * THP + PAGE, 8);
            assertThat(child.read(A + PAGE)).isEqualTo(token);
            assertThat(parent.read(A + 4 * THP + PAGE)).isEqualTo(8);
            consistent(m);
            child.exit();
            parent.exit();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aMoveByADistanceThatIsNotAMultipleOf2MiBSplitsTheLeafAndMovesItsPtes(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = thpProcess(m, THP);
            final long h = head(mm, A);
            final long to = A + 4 * THP + 16 * PAGE;
            final Events before = m.events().copy();
            mm.mremap(A, THP, to);
            final Events e = m.events().minus(before);
            assertThat(e.pmdSplit).isEqualTo(1);
            assertThat(mm.peekPmd(A)).isZero();
            for (int i = 0; i < 512; i += 97)
            {
                assertThat(pfnAt(mm, to + i * PAGE)).isEqualTo(h + i);
            }
            assertThat(m.memmap().rawRefcount(h)).as("512 PTE mappings").isEqualTo(512);
            assertThat(HugeRmap.folioEntireMapcount(m.memmap(), h)).isZero();
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aMoveOfPartOfALeafSplitsItAndAWholeNeighbourLeafStillMovesWhole(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = thpProcess(m, 2 * THP);
            final long h1 = head(mm, A + THP);
            final Events before = m.events().copy();
            mm.mremap(A + THP - 4 * PAGE, THP + 4 * PAGE, A + 8 * THP - 4 * PAGE);
            final Events e = m.events().minus(before);
            assertThat(e.pmdSplit).as("only the first leaf, covered in part").isEqualTo(1);
            assertThat(mm.peekPmd(A + 8 * THP)).as("moved by 7 x 2 MiB").isEqualTo(freshLeaf(arch, h1));
            assertThat(mm.peekPmd(A + THP)).isZero();
            assertThat(mm.vmas()).hasSize(2);
            consistent(m);
            mm.exit();
            consistent(m);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void runningOutOfRamForADestinationTableLeavesTheLeafUnsplitAndUnmoved(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = thpProcess(m, THP);
            final long leaf = mm.peekPmd(A);
            for (final long to : new long[] {B, B + 16 * PAGE})
            {
                final MachineImage before = MachineImage.of(m);
                m.phys().failAllocationsAfter(0);
                try
                {
                    assertThatThrownBy(() -> mm.mremap(A, THP, to)).isInstanceOf(OutOfSimulatedMemoryException.class);
                }
                finally
                {
                    m.phys().clearFailureInjection();
                }
                assertThat(MachineImage.of(m)).as("to 0x%x", to).isEqualTo(before);
                assertThat(mm.peekPmd(A)).isEqualTo(leaf);
            }
            consistent(m);
        }
    }
}
