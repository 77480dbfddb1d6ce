package io.forksim.mm;

import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.fork.Strategy;
import io.forksim.mem.MemMap;
import io.forksim.stats.Events;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.THP;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static io.forksim.mm.HugePmdTest.freshLeaf;
import static io.forksim.mm.HugePmdTest.head;
import static io.forksim.mm.HugePmdTest.parentAfterFork;
import static io.forksim.mm.HugePmdTest.thpProcess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Longterm pins without FOLL_WRITE of a PMD-mapped THP, as 6.18's {@code follow_huge_pmd} takes them: no fault when
 * the leaf is writable or its head PageAnonExclusive; else an unshare fault at PMD level ({@code do_huge_pmd_wp_page}
 * with FAULT_FLAG_UNSHARE) that reuses a folio only this leaf references and splits any other.
 */
class HugePmdReadOnlyPinTest
{
    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aReadOnlyPinOfAnExclusiveLeafTakesThePinWithoutAFaultAndLeavesTheLeafAsItIs(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = thpProcess(m, THP);
            final long h = head(mm, A);
            mm.mprotect(A, THP, R);
            final long leaf = mm.peekPmd(A);
            final Events before = m.events().copy();
            assertThat(mm.pin(A + 5 * PAGE, false)).isEqualTo(h + 5);
            final Events e = m.events().minus(before);
            assertThat(e.faults).isZero();
            assertThat(e.pmdSplit).isZero();
            assertThat(mm.peekPmd(A)).isEqualTo(leaf);
            final MemMap mem = m.memmap();
            assertThat(mem.pincount(h)).isEqualTo(1);
            assertThat(mem.rawRefcount(h)).as("one PMD mapping + one pin").isEqualTo(2);
            consistent(m);
            mm.unpin(A + 5 * PAGE);
            assertThat(mem.pincount(h)).isZero();
            assertThat(mem.rawRefcount(h)).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aReadOnlyPinAfterTheChildExitedReusesTheWholeLeafAndMarksItsHeadExclusive(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final long h = head(parent, A);
            Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
            final MemMap mem = m.memmap();
            assertThat(mem.testAnonExclusive(h)).as("fork cleared it; the child's exit does not set it").isFalse();
            assertThat(mem.rawRefcount(h)).isEqualTo(1);
            final Events before = m.events().copy();
            assertThat(parent.pin(A + 7 * PAGE, false)).isEqualTo(h + 7);
            final Events e = m.events().minus(before);
            assertThat(e.faults).as("one unshare fault").isEqualTo(1);
            assertThat(e.cowReuses).isEqualTo(1);
            assertThat(e.cowCopies).isZero();
            assertThat(e.pmdSplit).isZero();
            assertThat(parent.peekPmd(A)).as("unshare reuse changes no leaf bit").isEqualTo(parentAfterFork(arch, h));
            assertThat(mem.testAnonExclusive(h)).isTrue();
            assertThat(mem.pincount(h)).isEqualTo(1);
            assertThat(mem.rawRefcount(h)).isEqualTo(2);
            assertThat(HugeRmap.folioEntireMapcount(mem, h)).isEqualTo(1);
            consistent(m);
            parent.write(A + 7 * PAGE, 99);
            assertThat(parent.peekPmd(A)).as("the write reuses the exclusive leaf: the pin sees it").isEqualTo(freshLeaf(arch, h));
            assertThat(mem.token(h + 7)).isEqualTo(99);
            consistent(m);
            parent.unpin(A + 7 * PAGE);
            parent.exit();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aReadOnlyPinOfALeafSharedWithAChildSplitsItAndCopiesThePinnedPageAlone(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final long h = head(parent, A);
            final long token = parent.read(A + 3 * PAGE);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final Events before = m.events().copy();
            final long pinned = parent.pin(A + 3 * PAGE, false);
            final Events e = m.events().minus(before);
            assertThat(e.faults).as("one unshare fault: PMD fallback, then do_wp_page").isEqualTo(1);
            assertThat(e.pmdSplit).isEqualTo(1);
            assertThat(e.cowCopies).isEqualTo(1);
            assertThat(e.cowReuses).isZero();
            assertThat(pinned).isNotEqualTo(h + 3);
            assertThat(pfnAt(parent, A + 3 * PAGE)).isEqualTo(pinned);
            assertThat(m.arch().pteWrite(parent.peekPte(A + 3 * PAGE))).as("unshare maps the copy read-only").isFalse();
            assertThat(m.arch().pteDirty(parent.peekPte(A + 3 * PAGE))).isFalse();
            assertThat(pfnAt(parent, A + 4 * PAGE)).isEqualTo(h + 4);
            final MemMap mem = m.memmap();
            assertThat(mem.token(pinned)).isEqualTo(token);
            assertThat(mem.testAnonExclusive(pinned)).isTrue();
            assertThat(mem.rawRefcount(h)).as("child's PMD 1 + parent's 511 PTEs").isEqualTo(512);
            assertThat(mem.largeMapcount(h)).isEqualTo(512);
            assertThat(HugeRmap.folioEntireMapcount(mem, h)).as("the child's leaf").isEqualTo(1);
            assertThat(child.peekPmd(A)).isEqualTo(HugePmdTest.childAfterFork(arch, h));
            consistent(m);
            parent.unpin(A + 3 * PAGE);
            child.exit();
            parent.exit();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aCowFaultOrReadOnlyPinOfASharedLeafThatRunsOutOfRamLeavesTheLeafUnsplit(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm parent = thpProcess(m, THP);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long leaf = child.peekPmd(A);
            final MachineImage before = MachineImage.of(m);
            m.phys().failAllocationsAfter(0);
            try
            {
                assertThatThrownBy(() -> child.write(A + PAGE, 1)).isInstanceOf(OutOfSimulatedMemoryException.class);
                assertThatThrownBy(() -> child.pin(A + PAGE, false)).isInstanceOf(OutOfSimulatedMemoryException.class);
            }
            finally
            {
                m.phys().clearFailureInjection();
            }
            assertThat(MachineImage.of(m)).isEqualTo(before);
            assertThat(child.peekPmd(A)).isEqualTo(leaf);
            consistent(m);
        }
    }
}
