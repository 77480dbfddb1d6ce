package io.forksim.mm;

import io.forksim.check.InvariantChecker;
import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;


import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.B;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.THP;
import static io.forksim.mm.Fixtures.consistent;
import static org.assertj.core.api.Assertions.assertThat;

/** zap_pte_range: the 6.9+ batched shape against the 6.8 per-PTE shape; munmap, MADV_DONTNEED, exit. */
class ZapTest
{
    /**
     * A process with every kind of entry: PTE-mapped order-9 and order-4 folios (whole, partially zapped,
     * partially mremap()ed, COW-shared with a child), order-0 pages, zero pages, swap entries (exclusive and
     * shared with the child), shmem and file pages. Deterministic, so two machines built alike are identical.
     */
    static Mm[] build(final Machine m)
    {
        final Mm mm = m.newProcess();
        mm.mmap(A, 16 * MIB, RW, false, null, 0);
        mm.populate(A, 4 * MIB, 9);
        mm.populate(A + 4 * MIB, 2 * MIB, 4);
        mm.populate(A + 6 * MIB, MIB, 0);
        for (long a = A + 7 * MIB; a < A + 7 * MIB + 16 * PAGE; a += PAGE)
        {
            mm.read(a);
        }
        mm.madvise(A + 6 * MIB, 64 * PAGE, Advice.PAGEOUT);
        mm.madvise(A + 4 * MIB, 16 * PAGE, Advice.PAGEOUT);
        mm.madvise(A + 2 * MIB + 100 * PAGE, 50 * PAGE, Advice.DONTNEED);
        mm.mremap(A + MIB, MIB, B);
        mm.mmap(A + 32 * MIB, 16 * PAGE, RW, true, null, 0);
        mm.populate(A + 32 * MIB, 16 * PAGE, 0);
        final SimFile f = m.createFile("f", 64 * PAGE);
        mm.mmap(A + 40 * MIB, 64 * PAGE, RW, true, f, 0);
        for (int i = 0; i < 64; i += 3)
        {
            mm.fault(A + 40 * MIB + i * PAGE, (i & 1) == 0);
        }
        final Mm child = Fork.fork(mm, Strategy.FOLIO_BATCH);
        mm.write(A + 3 * MIB + 5 * PAGE, 1234);
        mm.madvise(A + 6 * MIB + 64 * PAGE, 64 * PAGE, Advice.PAGEOUT);
        return new Mm[] {mm, child};
    }

    @Test
    void batchedAndPerPteMunmapOfAMixedAddressSpaceLeaveIdenticalState()
    {
        try (Machine batched = Fixtures.x86(); Machine perPte = Fixtures.x86())
        {
            final Mm[] a = build(batched);
            final Mm[] b = build(perPte);
            assertThat(MachineImage.of(perPte).diff(MachineImage.of(batched))).isEmpty();
            consistent(batched);
            a[0].munmap(A + MIB / 2, 40 * MIB, true);
            b[0].munmap(A + MIB / 2, 40 * MIB, false);
            assertThat(MachineImage.of(batched).diff(MachineImage.of(perPte))).isEmpty();
            consistent(batched);
            a[1].munmap(A, 64 * MIB, true);
            b[1].munmap(A, 64 * MIB, false);
            assertThat(MachineImage.of(batched).diff(MachineImage.of(perPte))).isEmpty();
            consistent(batched);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"x86_64", "arm64"})
    void batchedAndPerPteExitLeaveIdenticalStateAndFreeEverything(final String arch)
    {
        try (Machine batched = Fixtures.machine(arch); Machine perPte = Fixtures.machine(arch))
        {
            final long free = batched.phys().freePageCount();
            final Mm[] a = build(batched);
            final Mm[] b = build(perPte);
            a[1].exit(true);
            b[1].exit(false);
            assertThat(MachineImage.of(batched).diff(MachineImage.of(perPte))).isEmpty();
            consistent(batched);
            a[0].exit(true);
            b[0].exit(false);
            assertThat(MachineImage.of(batched).diff(MachineImage.of(perPte))).isEmpty();
            for (final Machine m : new Machine[] {batched, perPte})
            {
                for (final SimFile f : m.files())
                {
                    m.dropFile(f);
                }
                InvariantChecker.leakCheck(m, free);
            }
        }
    }

    @ParameterizedTest(name = "order {0}, batched {1}: {2} batches")
    @CsvSource({"9, true, 8", "9, false, 4096", "4, true, 256", "4, false, 4096", "0, true, 4096", "0, false, 4096"})
    void munmapOf16MiBCostsOneBatchPerFolioWhenBatchedAndOnePerPteOtherwise(final int order, final boolean batched,
        final long batches)
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 16 * MIB, RW, false, null, 0);
            mm.populate(A, 16 * MIB, order);
            final Events before = m.events().copy();
            mm.munmap(A, 16 * MIB, batched);
            final Events e = m.events().minus(before);
            assertThat(e.batches).isEqualTo(batches);
            assertThat(e.rmapUpdate).isEqualTo(batches);
            assertThat(e.refcountUpdate).isEqualTo(batches);
            assertThat(e.foliosFreed).isEqualTo(4096 >> order);
            assertThat(e.pteAtomic).as("one clear per PTE").isEqualTo(4096);
            assertThat(e.ptepGet).as("every entry read once: by the loop or by folio_pte_batch").isEqualTo(4096);
            assertThat(e.tlbiRange).as("one flush for the whole munmap").isEqualTo(1);
            assertThat(e.tlbiPage + e.tlbiAsid).isZero();
            assertThat(e.ptPagesFree).as("8 PTE tables, the PMD and the PUD table").isEqualTo(10);
            assertThat(mm.vmas()).isEmpty();
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isZero();
            consistent(m);
        }
    }

    @Test
    void onArm64ABatchedZapClearsWholeContpteBlocksWithoutUnfoldingThem()
    {
        try (Machine m = Fixtures.machine("arm64"))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 16 * MIB, RW, false, null, 0);
            mm.populate(A, 16 * MIB, 9);
            final Events before = m.events().copy();
            mm.munmap(A, 16 * MIB, true);
            final Events e = m.events().minus(before);
            assertThat(e.batches).isEqualTo(8);
            assertThat(e.unfold).isZero();
            assertThat(e.ptepGet).as("pte_batch_hint skips 15 of every 16 entries").isEqualTo(4096 / 16);
            assertThat(e.foliosFreed).isEqualTo(8);
            consistent(m);
        }
    }

    @Test
    void onArm64APerPteZapUnfoldsEveryContpteBlock()
    {
        try (Machine m = Fixtures.machine("arm64"))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 2 * MIB, RW, false, null, 0);
            mm.populate(A, 2 * MIB, 9);
            final Events before = m.events().copy();
            mm.munmap(A, 2 * MIB, false);
            final Events e = m.events().minus(before);
            assertThat(e.batches).isEqualTo(512);
            assertThat(e.unfold).as("ptep_get_and_clear on a CONT entry").isEqualTo(32);
            consistent(m);
        }
    }

    @Test
    void dontneedZapsThePtesButKeepsTheVmaAndThePageTables()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, THP, RW, false, null, 0);
            mm.populate(A, THP, 9);
            final long free = m.phys().freePageCount();
            mm.madvise(A, THP, Advice.DONTNEED);
            assertThat(m.phys().freePageCount()).isEqualTo(free + 512);
            assertThat(mm.vmas()).hasSize(1);
            assertThat(mm.peekPte(A)).isZero();
            assertThat(mm.read(A)).as("refaults as the zero page").isZero();
            consistent(m);
        }
    }

    @Test
    void munmapOfTheMiddleOfAVmaSplitsItAndFreesOnlyThatPart()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 3 * THP, RW, false, null, 0);
            mm.populate(A, 3 * THP, 0);
            final long free = m.phys().freePageCount();
            mm.munmap(A + THP, THP);
            assertThat(mm.vmas()).extracting(Vma::start, Vma::end, Vma::pgoff)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(A, A + THP, A >>> 12),
                    org.assertj.core.groups.Tuple.tuple(A + 2 * THP, A + 3 * THP, (A + 2 * THP) >>> 12));
            assertThat(m.phys().freePageCount()).as("512 pages and their PTE table").isEqualTo(free + 513);
            assertThat(mm.peekPte(A + THP - PAGE)).isNotZero();
            assertThat(mm.peekPte(A + 2 * THP)).isNotZero();
            consistent(m);
        }
    }

    @Test
    void munmapOfAPartOfALargeFolioLeavesTheRestMapped()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, THP, RW, false, null, 0);
            mm.populate(A, THP, 9);
            final long head = Fixtures.pfnAt(mm, A);
            mm.munmap(A + 10 * PAGE, 100 * PAGE);
            assertThat(m.memmap().largeMapcount(head)).isEqualTo(412);
            assertThat(m.memmap().rawRefcount(head)).isEqualTo(412);
            assertThat(mm.vmas()).hasSize(2);
            consistent(m);
            final MachineImage before = MachineImage.of(m);
            mm.munmap(A + 10 * PAGE, 100 * PAGE);
            assertThat(before.diff(MachineImage.of(m))).as("unmapping a hole is a no-op").isEmpty();
        }
    }
}
