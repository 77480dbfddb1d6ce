package io.forksim.mm;

import io.forksim.arch.ArchVariant;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.consistent;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * zap_pte_range's accounting, one scenario each: the mmu_gather span it flushes (from the first to the last present
 * entry cleared), its per-entry counts for a zero page among normal pages, and its PTL on a concurrent machine. On
 * arm64 without FEAT_TLBIRANGE the flush is one TLBI VALE1IS per page of the span, so the span is visible in the
 * counts.
 */
class ZapFlushSpanTest
{
    private static Machine arm64WithoutTlbiRange()
    {
        return new Machine(new Machine.Config(ArchVariant.of("arm64"), 64 * MIB, 64 * MIB, false));
    }

    @Test
    void munmapFlushesFromTheFirstToTheLastPresentEntryAndCountsAZeroPageAsABatchWithoutAFolio()
    {
        try (Machine m = arm64WithoutTlbiRange())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 8 * PAGE, RW, false, null, 0);
            mm.write(A + 2 * PAGE, 1);
            mm.read(A + 3 * PAGE);          // the shared zero page
            mm.write(A + 4 * PAGE, 2);
            final Events before = m.events().copy();
            mm.munmap(A, 8 * PAGE);
            final Events e = m.events().minus(before);
            assertThat(e.ptepGet).as("each of the 8 entries read once").isEqualTo(8);
            assertThat(e.pteLoad).as("the 8 reads and the probe load of each arm64 ptep_get_and_clear").isEqualTo(11);
            assertThat(e.pteAtomic).as("ptep_get_and_clear of the 3 present entries").isEqualTo(3);
            assertThat(e.batches).as("2 folios and the zero page").isEqualTo(3);
            assertThat(e.refcountUpdate).isEqualTo(2);
            assertThat(e.rmapUpdate).isEqualTo(2);
            assertThat(e.foliosFreed).isEqualTo(2);
            assertThat(e.tlbiPage).as("span [2, 5) of the table: 3 pages").isEqualTo(3);
            assertThat(e.tlbiRange + e.tlbiAsid).isZero();
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isZero();
            consistent(m);
        }
    }

    @Test
    void aSpanStartingAtTheFirstEntryOfATableReachesTheLastPresentEntryPastAHole()
    {
        try (Machine m = arm64WithoutTlbiRange())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, RW, false, null, 0);
            mm.write(A, 1);
            mm.write(A + 2 * PAGE, 2);
            final Events before = m.events().copy();
            mm.munmap(A, 4 * PAGE);
            final Events e = m.events().minus(before);
            assertThat(e.tlbiPage).as("span [0, 3): 3 pages").isEqualTo(3);
            assertThat(e.pteAtomic).isEqualTo(2);
            consistent(m);
        }
    }

    @Test
    void oneFlushCoversTheSpansOfTwoTablesFromTheFirstPresentEntryToTheLast()
    {
        try (Machine m = arm64WithoutTlbiRange())
        {
            final Mm mm = m.newProcess();
            final long table1 = A + 2 * MIB;
            mm.mmap(A, 4 * MIB, RW, false, null, 0);
            mm.write(table1 - PAGE, 1);          // the last entry of the first table
            mm.write(table1 + 2 * PAGE, 2);      // entries 2 and 3 of the second
            mm.write(table1 + 3 * PAGE, 3);
            final Events before = m.events().copy();
            mm.munmap(A, 4 * MIB);
            final Events e = m.events().minus(before);
            assertThat(e.tlbiPage).as("[table1 - 1 page, table1 + 4 pages): 5 pages").isEqualTo(5);
            assertThat(e.tlbiRange + e.tlbiAsid).isZero();
            consistent(m);
        }
    }

    @Test
    void dontneedOnAConcurrentMachineReleasesThePteTableLock()
    {
        try (Machine m = new Machine(new Machine.Config(ArchVariant.of("x86_64"), 64 * MIB, 64 * MIB, true, true)))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 16 * PAGE, RW, false, null, 0);
            mm.populate(A, 16 * PAGE, 4);
            final long table = Tables.lookup(m, mm, A).table;
            mm.madvise(A, 16 * PAGE, Advice.DONTNEED);
            assertThat(mm.peekPte(A)).isZero();
            assertThat(m.pageTables().ptl().heldByCurrentThread(table)).isFalse();
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isZero();
            consistent(m);
        }
    }
}
