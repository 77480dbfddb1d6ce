package io.forksim.harness;

import io.forksim.pte.Arm64Pte;
import org.junit.jupiter.api.Test;

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

    @Test
    void passesAndRestoresAllocateNothingOnTheHeap()
    {
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (Floors floors = Floors.of("arm64", 0, 4096, true))
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
    void onlyArm64AtOrderZeroHasAnArchFloor()
    {
        assertThat(Floors.hasArchFloor("arm64", 0)).isTrue();
        assertThat(Floors.hasArchFloor("arm64", 4)).isFalse();
        assertThat(Floors.hasArchFloor("arm64", 9)).isFalse();
        assertThat(Floors.hasArchFloor("arm64", FolioOrder.PMD_9)).isFalse();
        assertThat(Floors.hasArchFloor("x86_64", 0)).isFalse();
        try (Floors floors = Floors.of("x86_64", 0, 64, true))
        {
            assertThat(floors.count()).isEqualTo(1);
        }
    }
}
