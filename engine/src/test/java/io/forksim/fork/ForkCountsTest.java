package io.forksim.fork;

import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exact per-fork event counts at the scale of the thread's benchmark: 1 GiB = 262,144 pages
 * = 512 PTE tables under one PMD table under one PUD table.
 */
class ForkCountsTest
{
    static final long GIB = 1L << 30;
    static final long BASE = 1L << 40;   // 1 TiB: PGD-, PUD- and PMD-aligned
    static final long PAGES = GIB >>> 12;

    private static Events forkOnce(final String arch, final int order, final Strategy strategy)
    {
        try (Machine m = new Machine(Machine.Config.of(arch, 3 * GIB)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(BASE, GIB, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            parent.populate(BASE, GIB, order);
            final Events before = m.events().copy();
            final Mm child = Fork.fork(parent, strategy);
            final Events e = m.events().minus(before);
            assertThat(child.rss(Mm.MM_ANONPAGES)).isEqualTo(PAGES);
            return e;
        }
    }

    @Test
    void legacyForkOfOneGibOfOrder0CostsOnePtepGetAndOneRefcountUpdatePerPage()
    {
        final Events e = forkOnce("x86_64", 0, Strategy.LEGACY);
        assertThat(e.ptepGet).isEqualTo(262_144);
        assertThat(e.pteLoad).isEqualTo(262_144);
        assertThat(e.refcountUpdate).isEqualTo(262_144);
        assertThat(e.rmapUpdate).isEqualTo(262_144);
        assertThat(e.batches).isEqualTo(262_144);
        // every parent PTE was writable: one atomic write-protect each; one store per child PTE
        assertThat(e.pteAtomic).isEqualTo(262_144);
        assertThat(e.pteStore).isEqualTo(262_144);
        // child PGD + PUD + PMD + 512 PTE tables
        assertThat(e.ptPagesAlloc).isEqualTo(515);
        assertThat(e.tlbiAsid).isEqualTo(1);
        assertThat(e.tlbiPage + e.tlbiRange + e.unfold + e.fold).isZero();
    }

    @Test
    void archBatchOnX86CostsExactlyWhatLegacyCosts()
    {
        assertThat(forkOnce("x86_64", 0, Strategy.ARCH_BATCH)).isEqualTo(forkOnce("x86_64", 0, Strategy.LEGACY));
    }

    @Test
    void folioBatchOnOrder0CostsExactlyWhatLegacyCosts()
    {
        assertThat(forkOnce("x86_64", 0, Strategy.FOLIO_BATCH)).isEqualTo(forkOnce("x86_64", 0, Strategy.LEGACY));
    }

    @Test
    void folioBatchForkOfOneGibOfOrder9Costs512BatchesAnd512RefcountUpdates()
    {
        final Events e = forkOnce("x86_64", 9, Strategy.FOLIO_BATCH);
        assertThat(e.batches).isEqualTo(512);
        assertThat(e.refcountUpdate).isEqualTo(512);
        assertThat(e.rmapUpdate).isEqualTo(512);
        // x86 has no pte_batch_hint: folio_pte_batch reads every entry once
        assertThat(e.ptepGet).isEqualTo(262_144);
        assertThat(e.pteAtomic).isEqualTo(262_144);
        assertThat(e.pteStore).isEqualTo(262_144);
        assertThat(e.ptPagesAlloc).isEqualTo(515);
        assertThat(e.tlbiAsid).isEqualTo(1);
    }

    @Test
    void legacyForkOfOrder9UpdatesTheFolioOncePerPage()
    {
        final Events e = forkOnce("x86_64", 9, Strategy.LEGACY);
        assertThat(e.batches).isEqualTo(262_144);
        assertThat(e.refcountUpdate).isEqualTo(262_144);
        assertThat(e.ptepGet).isEqualTo(262_144);
    }
}
