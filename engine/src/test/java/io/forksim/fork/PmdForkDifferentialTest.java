package io.forksim.fork;

import io.forksim.check.InvariantChecker;
import io.forksim.check.MachineImage;
import io.forksim.mm.FolioMapping;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.ProcessCheckpoint;
import io.forksim.mm.VmFlags;
import io.forksim.stats.Events;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every strategy forks a parent with PMD-mapped THPs (one of them pinned, so split and copied page by page) next to
 * PTE-mapped order-9 folios into the same machine state: PTE and PMD words, memmap records, tokens, PageAnonExclusive.
 */
class PmdForkDifferentialTest
{
    static final long A = 1L << 30;
    static final long THP = 2L << 20;
    static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

    record Outcome(MachineImage state, List<Long> pmds, Events events)
    {
    }

    static Outcome forkWith(final String arch, final Strategy s, final long pteMask)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 128L << 20)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 4 * THP, RW, false, null, 0);
            parent.populate(A, 3 * THP, 9, FolioMapping.PMD);
            parent.populate(A + 3 * THP, THP, 9, FolioMapping.PTE);
            parent.pin(A + THP + 4096);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, s);
            final Events e = m.events().minus(before);
            InvariantChecker.check(m);
            final List<Long> pmds = new ArrayList<>();
            for (long va = A; va < A + 4 * THP; va += THP)
            {
                pmds.add(parent.peekPmd(va));
                pmds.add(child.peekPmd(va));
            }
            return new Outcome(MachineImage.ofEveryPage(m), pmds, e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void everyStrategyLeavesTheSameMachine(final String arch)
    {
        // legacy unfolds the parent's contpte blocks of the PTE-mapped THP: compared with CONT masked, as
        // DifferentialForkTest does; the two batched strategies must agree bit for bit
        final long mask = arch.equals("arm64") ? ~io.forksim.pte.Arm64Pte.CONT : -1L;
        assertThat(forkWith(arch, Strategy.ARCH_BATCH, -1L).state().diff(forkWith(arch, Strategy.FOLIO_BATCH, -1L).state()))
            .isEmpty();
        final Outcome legacy = forkWith(arch, Strategy.LEGACY, mask);
        assertThat(legacy.events().pmdCopy).isEqualTo(2);
        assertThat(legacy.events().pmdSplit).as("the pinned THP").isEqualTo(1);
        assertThat(legacy.events().eagerCopies).isEqualTo(512);
        for (final Strategy s : new Strategy[] {Strategy.ARCH_BATCH, Strategy.FOLIO_BATCH})
        {
            final Outcome o = forkWith(arch, s, mask);
            assertThat(legacy.state().diff(s.cliName() + " vs legacy:", o.state(), mask != -1L)).isEmpty();
            assertThat(o.pmds()).as(s.cliName()).isEqualTo(legacy.pmds());
            assertThat(o.events().pmdCopy).isEqualTo(2);
            assertThat(o.events().pmdSplit).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aCheckpointPutsAPmdMappedParentBackAfterForkAndExit(final String arch)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 128L << 20)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 4 * THP, RW, false, null, 0);
            parent.populate(A, 4 * THP, 9, FolioMapping.PMD);
            final long fresh = parent.peekPmd(A);
            final MachineImage before = MachineImage.ofEveryPage(m);
            try (ProcessCheckpoint cp = ProcessCheckpoint.capture(parent))
            {
                final Events e1 = m.events().copy();
                Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
                final Events first = m.events().minus(e1);
                assertThat(parent.peekPmd(A)).isNotEqualTo(fresh);
                cp.restoreAfterChildExit(true);
                assertThat(parent.peekPmd(A)).isEqualTo(fresh);
                assertThat(before.diff(MachineImage.ofEveryPage(m))).isEmpty();
                InvariantChecker.check(m);
                final Events e2 = m.events().copy();
                Fork.fork(parent, Strategy.FOLIO_BATCH).exit();
                assertThat(m.events().minus(e2)).isEqualTo(first);
            }
        }
    }
}
