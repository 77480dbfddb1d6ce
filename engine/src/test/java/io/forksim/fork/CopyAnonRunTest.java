package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.check.InvariantChecker;
import io.forksim.check.MachineImage;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.stats.Events;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The order-0 run loop every strategy shares ({@link CopyContext#copyAnonRun0}) ends where the order-0 anon pages end:
 * at a none entry and at a large folio, the strategy's own loop takes that entry, and the next order-0 page starts a
 * new run. One PTE table holds runs of order-0 pages broken by holes and by an order-4 folio right after an order-0
 * page.
 */
class CopyAnonRunTest
{
    private static final long A = 1L << 30;
    private static final long PAGE = Arch.PAGE_SIZE;
    private static final long THP = 2L << 20;
    private static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;
    /** Populated pages of the table: 0-95 order 0, 96-111 one order-4 folio, 112-199, 300-349 and 400-511 order 0. */
    private static final int POPULATED = 96 + 16 + 88 + 50 + 112;

    private static Mm parent(final Machine m)
    {
        final Mm parent = m.newProcess();
        parent.mmap(A, THP, RW, false, null, 0);
        parent.populate(A, 96 * PAGE, 0);
        parent.populate(A + 96 * PAGE, 16 * PAGE, 4);
        parent.populate(A + 112 * PAGE, 88 * PAGE, 0);
        parent.populate(A + 300 * PAGE, 50 * PAGE, 0);
        parent.populate(A + 400 * PAGE, 112 * PAGE, 0);
        return parent;
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void everyStrategyLeavesTheSameParentChildAndPages(final String arch)
    {
        MachineImage legacy = null;
        for (final Strategy s : Strategy.values())
        {
            try (Machine m = new Machine(Machine.Config.of(arch, 64L << 20)))
            {
                final Mm parent = parent(m);
                final Mm child = Fork.fork(parent, s);
                assertThat(child.rss(Mm.MM_ANONPAGES)).as(s + " child's anon RSS").isEqualTo(POPULATED);
                assertThat(InvariantChecker.violations(m)).as(s.toString()).isEmpty();
                final MachineImage img = MachineImage.ofFork(m, parent, child, A, A + THP);
                if (legacy == null)
                {
                    legacy = img;
                }
                else
                {
                    // arm64's seed patch (set_ptes_full) folds no contpte block, so CONT bits may differ there
                    assertThat(img.diff(s.toString(), legacy, arch.equals("arm64"))).isEmpty();
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"legacy", "arch-batch", "folio-batch"})
    void onX86EveryEntryIsReadOnceAndEveryOrder0PageCountedOnce(final String strategy)
    {
        final Strategy s = Strategy.parse(strategy);
        try (Machine m = new Machine(Machine.Config.of("x86_64", 64L << 20)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, THP, RW, false, null, 0);
            parent.populate(A, 100 * PAGE, 0);
            parent.populate(A + 300 * PAGE, 50 * PAGE, 0);
            parent.populate(A + 400 * PAGE, 112 * PAGE, 0);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, s);
            final Events e = m.events().minus(before);
            final int pages = 100 + 50 + 112;
            assertThat(e.ptepGet).as("each of the table's 512 entries read once, holes included").isEqualTo(512);
            assertThat(e.pteStore).isEqualTo(pages);
            assertThat(e.pteAtomic).as("each writable parent PTE write-protected").isEqualTo(pages);
            assertThat(e.batches).isEqualTo(pages);
            assertThat(e.refcountUpdate).isEqualTo(pages);
            assertThat(e.rmapUpdate).isEqualTo(pages);
            assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(pages);
        }
    }
}
