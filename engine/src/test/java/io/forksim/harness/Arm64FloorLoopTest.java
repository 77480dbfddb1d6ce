package io.forksim.harness;

import io.forksim.pte.Arm64Pte;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The arm64 floor loop: what one pass leaves in the parent, the child and the folio records, and what it costs the heap. */
class Arm64FloorLoopTest
{
    /** Page k's parent entry before a pass: PFN 1024 + k, valid page, user, inner shareable, AF, nG, PXN, UXN, DBM, DIRTY. */
    private static long writable(final long k)
    {
        return 0x00E8_0000_0000_0F43L | ((1024 + k) << 12);
    }

    @Test
    void theParentEntryIsAYoungWritableHardwareDirtyAnonEntry()
    {
        assertThat(Arm64FloorLoop.WRITABLE).isEqualTo(0x00E8_0000_0000_0F43L);
        final long p = writable(5);
        assertThat(Arm64Pte.ptePfn(p)).isEqualTo(1029);
        assertThat(Arm64Pte.pteWrite(p)).isTrue();
        assertThat(p & Arm64Pte.RDONLY).as("hardware dirty: DBM and not RDONLY").isZero();
        assertThat(Arm64Pte.pteCont(p)).isFalse();
    }

    @Test
    void aPassWriteProtectsTheParentMovingHardwareDirtyAndStoresAnOldReadOnlyChild()
    {
        try (Arm64FloorLoop f = Arm64FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 32))
        {
            assertThat(f.data().parentPte(5)).isEqualTo(writable(5)).isEqualTo(0x00E8_0000_0040_5F43L);
            f.pass();
            // pte_wrprotect: DBM (bit 51) cleared, RDONLY (bit 7) set, DIRTY (bit 55) kept
            assertThat(f.data().parentPte(5)).isEqualTo(0x00E0_0000_0040_5FC3L);
            // pte_mkold: AF (bit 10) cleared too
            assertThat(f.data().childPte(5)).isEqualTo(0x00E0_0000_0040_5BC3L);
            assertThat(f.data().refcount(5)).isEqualTo(2);
            assertThat(f.data().mapcount(5)).isEqualTo(1);
            f.restoreWritable();
            assertThat(f.data().parentPte(5)).isEqualTo(writable(5));
            assertThat(f.data().childPte(5)).as("the child stays as the pass left it").isEqualTo(0x00E0_0000_0040_5BC3L);
        }
    }

    @Test
    void contpteTryFoldsFilterPassesForTheLastEntryOfEachSixteenEntryBlock()
    {
        try (Arm64FloorLoop f = Arm64FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 64))
        {
            // entries 15, 31, 47, 63: VA and PFN (1024 + k) both last of a block; the folio size read is 0 here
            assertThat(f.pass()).isEqualTo(4);
            for (long k = 0; k < 64; k++)
            {
                assertThat(f.data().refcount(k)).isEqualTo(2);
                assertThat(f.data().mapcount(k)).isEqualTo(1);
            }
        }
    }

    @Test
    void inTheEnginesMemoryItStartsFromTheSameStateAndPassesAlike()
    {
        for (final boolean huge : new boolean[] {true, false})
        {
            try (Arm64FloorLoop f = Arm64FloorLoop.allocate(FloorPlacement.engine(huge), 1024))
            {
                assertThat(f.pages()).isEqualTo(1024);
                assertThat(f.data().parentPte(700)).isEqualTo(writable(700));
                assertThat(f.data().childPte(700)).isZero();
                assertThat(f.data().refcount(700)).isEqualTo(1);
                assertThat(f.pass()).isEqualTo(1024 / 16);
                assertThat(f.data().parentPte(700)).isEqualTo(Arm64Pte.pteWrprotect(writable(700)));
                assertThat(f.data().childPte(700)).isEqualTo(Arm64Pte.pteMkold(Arm64Pte.pteWrprotect(writable(700))));
                assertThat(f.data().mapcount(700)).isEqualTo(1);
            }
        }
    }

    @Test
    void contEntriesAreRefusedWithTheirCount()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment par = a.allocate(16 * 8);
            final MemorySegment chi = a.allocate(16 * 8);
            final MemorySegment fo = a.allocate(16 * FloorData.FOLIO);
            for (long k = 0; k < 16; k++)
            {
                // entry 9: ptep_get's and wrprotect_ptes' tests both see it
                par.setAtIndex(ValueLayout.JAVA_LONG, k, writable(k) | (k == 9 ? Arm64Pte.CONT : 0));
            }
            assertThatThrownBy(() -> Arm64FloorLoop.perPte(par.address(), chi.address(), fo.address(), 16))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("2 CONT entries met: the arm64 floor copies order-0 entries only");
        }
    }

    @Test
    void aPassAfterCloseIsRefused()
    {
        final Arm64FloorLoop f = Arm64FloorLoop.allocate(FloorPlacement.engine(true), 64);
        f.close();
        assertThatThrownBy(f::pass).isInstanceOf(IllegalStateException.class)
            .hasMessage("the floor loop's memory was freed (closed), no pass over it");
        assertThatThrownBy(() -> Arm64FloorLoop.allocate(FloorPlacement.engine(true), 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("the floor loop needs at least one page, not 0");
    }

    @ParameterizedTest(name = "order {0}")
    @ValueSource(ints = {0, 4, 9})
    void passesOfBothFloorsAllocateNothingOnTheHeap(final int order)
    {
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (Floors floors = Floors.of("arm64", order, 4096, true))
        {
            assertThat(floors.count()).isEqualTo(2);
            for (int w = 0; w < 200; w++)
            {
                floors.timedPass(Floors.FLOOR);
                floors.timedPass(Floors.ARCH_FLOOR);
            }
            final long before = mx.getCurrentThreadAllocatedBytes();
            for (int w = 0; w < 100; w++)
            {
                floors.timedPass(Floors.FLOOR);
                floors.timedPass(Floors.ARCH_FLOOR);
            }
            assertThat(mx.getCurrentThreadAllocatedBytes() - before).isZero();
        }
    }

    @Test
    void arm64HasAnArchFloorAtEveryPteMappedOrderOverWholeFolios()
    {
        assertThat(Floors.hasArchFloor("arm64", 0, 1024)).isTrue();
        assertThat(Floors.hasArchFloor("arm64", 4, 1024)).isTrue();
        assertThat(Floors.hasArchFloor("arm64", 9, 1024)).isTrue();
        assertThat(Floors.hasArchFloor("arm64", 9, 1000)).as("not whole order-9 folios").isFalse();
        assertThat(Floors.hasArchFloor("arm64", FolioOrder.PMD_9, 1024)).isFalse();
        assertThat(Floors.hasArchFloor("x86_64", 0, 1024)).isFalse();
        try (Floors floors = Floors.of("x86_64", 0, 64, true))
        {
            assertThat(floors.count()).isEqualTo(1);
        }
    }

    /** Page k's parent entry before a pass at order 4 or more: CONT (bit 52) on every entry of each whole block. */
    private static long contWritable(final long k)
    {
        return writable(k) | Arm64Pte.CONT;
    }

    @Test
    void theBatchedFloorAtOrderFourWriteProtectsTheContParentAndStoresContChildBlocks()
    {
        try (Arm64FloorLoop f = Arm64FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 64, 4))
        {
            assertThat(f.data().parentPte(5)).isEqualTo(contWritable(5)).isEqualTo(0x00F8_0000_0040_5F43L);
            // one contpte_ptep_get gather per batch: the batch is the block (pte_batch_hint), the scan reads nothing
            assertThat(f.pass()).isEqualTo(4);
            for (long k = 0; k < 64; k++)
            {
                // pte_wrprotect: DBM cleared, RDONLY set, DIRTY and CONT kept
                assertThat(f.data().parentPte(k)).isEqualTo(0x00F0_0000_0000_0FC3L | ((1024 + k) << 12));
                // pte_mkold too; contpte_set_ptes: CONT on the whole aligned block
                assertThat(f.data().childPte(k)).isEqualTo(0x00F0_0000_0000_0BC3L | ((1024 + k) << 12));
                // refcount and mapcount once per folio, on its head's record
                final boolean head = (k & 15) == 0;
                assertThat(f.data().refcount(k)).isEqualTo(head ? 17 : 1);
                assertThat(f.data().mapcount(k)).isEqualTo(head ? 16 : 0);
            }
            f.restoreWritable();
            assertThat(f.data().parentPte(37)).isEqualTo(contWritable(37));
        }
    }

    @Test
    void theBatchedFloorAtOrderNineGathersOneEntryPerBlockAndCopiesTheFolioAsOneBatch()
    {
        try (Arm64FloorLoop f = Arm64FloorLoop.allocate(FloorPlacement.engine(true), 1024, 9))
        {
            assertThat(f.order()).isEqualTo(9);
            // ptep_get of the first entry, then folio_pte_batch_flags reads one entry per further block: 32 per folio
            assertThat(f.pass()).isEqualTo(1024 / 16);
            for (final long k : new long[] {0, 1, 15, 16, 511, 512, 700, 1023})
            {
                assertThat(f.data().parentPte(k)).isEqualTo(Arm64Pte.pteWrprotect(contWritable(k)));
                assertThat(f.data().childPte(k)).isEqualTo(Arm64Pte.pteMkold(Arm64Pte.pteWrprotect(contWritable(k))));
            }
            assertThat(f.data().refcount(0)).isEqualTo(513);
            assertThat(f.data().mapcount(512)).isEqualTo(512);
            assertThat(f.data().refcount(700)).isEqualTo(1);
            f.restoreWritable();
            assertThat(f.pass()).as("a second pass after the restore").isEqualTo(64);
            assertThat(f.data().mapcount(0)).isEqualTo(1024);
        }
    }

    @Test
    void belowOrderFourTheBatchedFloorHasNoContEntriesAndGathersNothing()
    {
        try (Arm64FloorLoop f = Arm64FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 32, 2))
        {
            assertThat(f.data().parentPte(5)).isEqualTo(writable(5));
            assertThat(f.pass()).isZero();
            assertThat(f.data().parentPte(5)).isEqualTo(0x00E0_0000_0040_5FC3L);
            assertThat(f.data().childPte(5)).as("no CONT: the chunk is not a whole block").isEqualTo(0x00E0_0000_0040_5BC3L);
            assertThat(f.data().refcount(4)).isEqualTo(5);
            assertThat(f.data().mapcount(4)).isEqualTo(4);
            assertThat(f.data().mapcount(5)).isZero();
        }
    }

    @Test
    void aBatchOfOddLengthIsWriteProtectedEntryByEntryToo()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment par = a.allocate(8 * 8, 128);
            final MemorySegment chi = a.allocate(8 * 8, 128);
            final MemorySegment fo = a.allocate(8 * FloorData.FOLIO);
            for (long k = 0; k < 8; k++)
            {
                // entries 5-7 map the first pages of the order-3 folio again: two batches, 0-4 and 5-7, both odd
                par.setAtIndex(ValueLayout.JAVA_LONG, k, k < 5 ? writable(k) : writable(k - 5));
            }
            assertThat(Arm64FloorLoop.batched(par.address(), chi.address(), fo.address(), 8, 3)).isZero();
            for (long k = 0; k < 8; k++)
            {
                assertThat(par.getAtIndex(ValueLayout.JAVA_LONG, k) & (Arm64Pte.RDONLY | Arm64Pte.WRITE))
                    .as("entry %d write-protected", k).isEqualTo(Arm64Pte.RDONLY);
            }
            assertThat(fo.get(ValueLayout.JAVA_INT, FloorData.MAPCOUNT)).isEqualTo(8);
        }
    }

    @Test
    void theBatchedFloorRefusesPartialFoliosAndOrdersAboveNine()
    {
        assertThatThrownBy(() -> Arm64FloorLoop.allocate(FloorPlacement.engine(true), 1000, 9))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("the batched arm64 floor copies whole order-9 folios: 1000 pages is not a multiple of 512");
        assertThatThrownBy(() -> Arm64FloorLoop.allocate(FloorPlacement.engine(true), 1024, 10))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("the arm64 floor's folio order must be 0..9, not 10");
    }

    @Test
    void aBatchOfOneEntryIsRefusedWithItsCount()
    {
        try (Arena a = Arena.ofConfined())
        {
            final MemorySegment par = a.allocate(16 * 8, 128);
            final MemorySegment chi = a.allocate(16 * 8, 128);
            final MemorySegment fo = a.allocate(16 * FloorData.FOLIO);
            for (long k = 0; k < 16; k++)
            {
                // entry 9 not the PFN the scan expects: the order-2 folio of entries 8-11 splits into 8, 9 and 10-11
                par.setAtIndex(ValueLayout.JAVA_LONG, k, writable(k == 9 ? 3 : k));
            }
            assertThatThrownBy(() -> Arm64FloorLoop.batched(par.address(), chi.address(), fo.address(), 16, 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("2 batches of one entry, unfolds or executable entries met: the batched arm64 floor copies"
                    + " whole folios of private anon entries only");
        }
    }
}
