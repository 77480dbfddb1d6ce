package io.forksim.mm;

import io.forksim.check.MachineImage;
import io.forksim.mem.MemMap;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mem.PageDescriptor;
import io.forksim.pte.Arm64Pte;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.THP;
import static io.forksim.mm.Fixtures.anonRw;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PopulateTest
{
    private static final int ANON = PageDescriptor.PG_ANON | PageDescriptor.PG_SWAPBACKED;

    @Test
    void order0PopulateMapsEachPageWithItsOwnExclusiveFolioYoungDirtyAndWritable()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 8 * PAGE, RW, false, null, 0);
            final Events before = m.events().copy();
            mm.populate(A, 8 * PAGE, 0);
            final Events e = m.events().minus(before);
            final MemMap mem = m.memmap();
            long lastToken = 0;
            for (int i = 0; i < 8; i++)
            {
                final long pte = mm.peekPte(A + i * PAGE);
                final long pfn = X86Pte.ptePfn(pte);
                assertThat(pte).as("page %d", i).isEqualTo(pfn << 12 | 0x8000_0000_0000_0867L);
                assertThat(pte).isEqualTo(pfn << 12 | X86Pte.PRESENT | X86Pte.RW | X86Pte.USER | X86Pte.ACCESSED
                    | X86Pte.DIRTY | X86Pte.SOFT_DIRTY | X86Pte.NX);
                assertThat(mem.flags(pfn)).isEqualTo(ANON);
                assertThat(mem.rawRefcount(pfn)).isEqualTo(1);
                assertThat(mem.rawMapcount(pfn)).isEqualTo(1);
                assertThat(mem.testAnonExclusive(pfn)).isTrue();
                assertThat(mem.token(pfn)).as("a fresh token per page, in address order").isGreaterThan(lastToken);
                lastToken = mem.token(pfn);
            }
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(8);
            assertThat(e.faults).isEqualTo(8);
            assertThat(e.foliosAllocated).isEqualTo(8);
            assertThat(e.pteStore).as("one set_ptes(nr=1) per folio").isEqualTo(8);
            assertThat(e.ptPagesAlloc).as("PUD, PMD and PTE table").isEqualTo(3);
            assertThat(mm.findVma(A).hasAnonVma()).isTrue();
            consistent(m);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"x86_64", "arm64"})
    void order4PopulateMapsSixteenConsecutivePfnsOfOneFolioWithOneSetPtes(final String arch)
    {
        try (Machine m = Fixtures.machine(arch))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 128 * 1024, RW, false, null, 0);
            final Events before = m.events().copy();
            mm.populate(A, 128 * 1024, 4);
            final Events e = m.events().minus(before);
            final MemMap mem = m.memmap();
            for (int f = 0; f < 2; f++)
            {
                final long head = pfnAt(mm, A + f * 16 * PAGE);
                assertThat(head % 16).as("naturally aligned folio").isZero();
                for (int i = 0; i < 16; i++)
                {
                    final long pte = mm.peekPte(A + (f * 16 + i) * PAGE);
                    final long expected = arch.equals("arm64")
                        ? anonRw(arch, head + i) | Arm64Pte.CONT   // contpte_set_ptes folds a full aligned block
                        : anonRw(arch, head + i);
                    assertThat(pte).as("folio %d page %d", f, i).isEqualTo(expected);
                    assertThat(mem.testAnonExclusive(head + i)).isTrue();
                }
                assertThat(mem.flags(head)).isEqualTo(ANON | PageDescriptor.PG_HEAD | 4);
                assertThat(mem.rawRefcount(head)).isEqualTo(16);
                assertThat(mem.largeMapcount(head)).isEqualTo(16);
                assertThat(mem.pincount(head)).isZero();
                assertThat(mem.folioMmId(head, 0)).isEqualTo(mm.id());
                assertThat(mem.folioMmIdMapcount(head, mm.id())).isEqualTo(16);
                assertThat(mem.folioMmIdsShared(head)).isFalse();
            }
            assertThat(e.faults).as("one fault per 64 KiB folio").isEqualTo(2);
            assertThat(e.foliosAllocated).isEqualTo(2);
            assertThat(e.pteStore).isEqualTo(32);
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isEqualTo(32);
            consistent(m);
        }
    }

    @Test
    void order9PopulateMapsA2MiBFolioWith512Ptes()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 2 * THP, RW, false, null, 0);
            mm.populate(A, 2 * THP, 9);
            final MemMap mem = m.memmap();
            for (int f = 0; f < 2; f++)
            {
                final long head = pfnAt(mm, A + f * THP);
                assertThat(head % 512).isZero();
                assertThat(mm.peekPte(A + f * THP)).isEqualTo(head << 12 | Fixtures.X86_ANON_RW);
                assertThat(mm.peekPte(A + f * THP + 511 * PAGE)).isEqualTo((head + 511) << 12 | Fixtures.X86_ANON_RW);
                assertThat(mem.rawRefcount(head)).isEqualTo(512);
                assertThat(mem.largeMapcount(head)).isEqualTo(512);
                assertThat(mem.anyAnonExclusive(head, 512)).isTrue();
            }
            consistent(m);
        }
    }

    @Test
    void populatingAReadOnlyPrivateMappingMapsTheSharedZeroPageAndWritesNoToken()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final Vma v = mm.mmap(A, 32 * PAGE, R, false, null, 0);
            final long free = m.phys().freePageCount();
            final long token = m.counters().nextToken();
            mm.populate(A, 32 * PAGE, 4);
            for (int i = 0; i < 32; i++)
            {
                assertThat(mm.peekPte(A + i * PAGE)).isEqualTo(io.forksim.mem.PhysMem.ZERO_PFN << 12 | X86Pte.PRESENT
                    | X86Pte.USER | X86Pte.ACCESSED | X86Pte.NX | X86Pte.SPECIAL);
            }
            assertThat(m.phys().freePageCount()).as("a PUD, a PMD and a PTE table; no folio").isEqualTo(free - 3);
            assertThat(mm.rss(Mm.MM_ANONPAGES)).isZero();
            assertThat(v.hasAnonVma()).as("a read fault prepares no anon_vma").isFalse();
            assertThat(m.counters().nextToken()).isEqualTo(token);
            assertThat(mm.read(A + 5 * PAGE)).isZero();
            consistent(m);
        }
    }

    @Test
    void populatingASharedAnonymousMappingFillsItsShmemPageCacheAndMapsPagesDirtyAndWritable()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            final Vma v = mm.mmap(A, 4 * PAGE, RW, true, null, 0);
            mm.populate(A, 4 * PAGE, 0);
            final SimFile shm = v.file();
            assertThat(shm.isShmem()).isTrue();
            assertThat(shm.cachedPages()).isEqualTo(4);
            final MemMap mem = m.memmap();
            for (int i = 0; i < 4; i++)
            {
                final long pfn = shm.cachedPfn(i);
                assertThat(mm.peekPte(A + i * PAGE)).isEqualTo(pfn << 12 | X86Pte.PAGE_SHARED | X86Pte.DIRTY | X86Pte.SOFT_DIRTY);
                assertThat(mem.flags(pfn)).isEqualTo(PageDescriptor.PG_FILE | PageDescriptor.PG_SWAPBACKED | PageDescriptor.PG_DIRTY);
                assertThat(mem.rawRefcount(pfn)).as("page cache + one mapping").isEqualTo(2);
                assertThat(mem.rawMapcount(pfn)).isEqualTo(1);
                assertThat(mem.testAnonExclusive(pfn)).isFalse();
            }
            assertThat(mm.rss(Mm.MM_SHMEMPAGES)).isEqualTo(4);
            consistent(m);
        }
    }

    @Test
    void populateRejectsBadRangesNamingTheValueAndChangesNothing()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * MIB, RW, false, null, 0);
            final SimFile f = m.createFile("data", MIB);
            mm.mmap(A + 8 * MIB, MIB, RW, false, f, 0);
            mm.populate(A, 64 * 1024, 4);
            final MachineImage before = MachineImage.of(m);
            assertThatThrownBy(() -> mm.populate(A + 64 * 1024 + PAGE, 64 * 1024, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x40011000");
            assertThatThrownBy(() -> mm.populate(A + MIB, 3 * PAGE, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("length 12288");
            assertThatThrownBy(() -> mm.populate(A + MIB, THP, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("order 10");
            assertThatThrownBy(() -> mm.populate(A, 2 * 64 * 1024, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x40000000 is already mapped");
            assertThatThrownBy(() -> mm.populate(A + 3 * MIB, 2 * MIB, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no mapping at 0x40400000");
            assertThatThrownBy(() -> mm.populate(A + 8 * MIB, PAGE, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("private file mapping");
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
        }
    }

    @ParameterizedTest(name = "order {0}")
    @ValueSource(ints = {0, 4, 9})
    void populateThatRunsOutOfSimulatedRamUndoesEverythingItDid(final int order)
    {
        try (Machine m = new Machine(Machine.Config.of("x86_64", 4 * MIB)))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 8 * MIB, RW, false, null, 0);
            mm.mmap(A + 16 * MIB, 4 * PAGE, RW, false, null, 0);
            mm.populate(A + 16 * MIB, 4 * PAGE, 0);
            final MachineImage before = MachineImage.of(m);
            final long nextToken = m.newToken() + 1;
            assertThatThrownBy(() -> mm.populate(A, 8 * MIB, order)).isInstanceOf(OutOfSimulatedMemoryException.class);
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
            assertThat(m.newToken()).as("no token was handed out").isEqualTo(nextToken);
            assertThat(mm.findVma(A).hasAnonVma()).isFalse();
            consistent(m);
        }
    }
}
