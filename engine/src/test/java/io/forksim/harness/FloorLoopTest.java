package io.forksim.harness;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The FFM floor loop: what one pass leaves in the parent, the child and the folio records. */
class FloorLoopTest
{
    /** Present, writable, accessed PTE of pfn {@code i} in FfmLimit's layout (pfn offset by 1000). */
    private static long writable(final long i)
    {
        return ((i + 1000) << 12) | 0x23;
    }

    @Test
    void aPerPtePassWriteProtectsTheParentAndStoresAnOldReadOnlyChild()
    {
        try (FloorLoop f = FloorLoop.allocate(Arena.ofConfined(), 32, true))
        {
            assertThat(f.parentPte(5)).isEqualTo(writable(5)).isEqualTo(0x3ED023L);
            f.pass(0);
            assertThat(f.parentPte(5)).isEqualTo(0x3ED021L);
            assertThat(f.childPte(5)).isEqualTo(0x3ED001L);
            assertThat(f.refcount(5)).isEqualTo(2);
            assertThat(f.mapcount(5)).isEqualTo(1);
            f.restoreWritable();
            assertThat(f.parentPte(5)).isEqualTo(0x3ED023L);
        }
    }

    @Test
    void aBatchedPassOfOrderFourUpdatesEachFolioHeadOncePerSixteenPages()
    {
        try (FloorLoop f = FloorLoop.allocate(Arena.ofConfined(), 64, true))
        {
            f.pass(4);
            for (final long head : new long[] {0, 16, 32, 48})
            {
                assertThat(f.refcount(head)).isEqualTo(1 + 16);
                assertThat(f.mapcount(head)).isEqualTo(16);
            }
            assertThat(f.refcount(17)).isEqualTo(1);
            assertThat(f.parentPte(63)).isEqualTo(writable(63) & ~0x2L);
            assertThat(f.childPte(63)).isEqualTo(writable(63) & ~0x22L);
        }
    }

    @Test
    void theFloorInTheEnginesMemoryStartsFromTheSameStateAndPassesAlike()
    {
        for (final boolean huge : new boolean[] {true, false})
        {
            try (FloorLoop f = FloorLoop.allocateAsTheEngine(1024, huge))
            {
                assertThat(f.pages()).isEqualTo(1024);
                assertThat(f.parentPte(700)).isEqualTo(writable(700));
                assertThat(f.childPte(700)).isZero();
                assertThat(f.refcount(700)).isEqualTo(1);
                f.pass(0);
                assertThat(f.parentPte(700)).isEqualTo(writable(700) & ~0x2L);
                assertThat(f.childPte(700)).isEqualTo(writable(700) & ~0x22L);
                assertThat(f.mapcount(700)).isEqualTo(1);
            }
        }
    }

    @Test
    void theFloorInTheEnginesMemoryIsUnmappedByCloseAndRefusesPassesAfterwards()
    {
        final FloorLoop f = FloorLoop.allocateAsTheEngine(1024, true);
        f.close();
        assertThatThrownBy(() -> f.pass(9)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> FloorLoop.allocateAsTheEngine(0, true))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("the floor loop needs at least one page, not 0");
    }

    @Test
    void aPassAfterCloseIsRefusedAndTouchesNoFreedMemory()
    {
        final FloorLoop f = FloorLoop.allocate(Arena.ofConfined(), 8, true);
        f.close();
        assertThatThrownBy(() -> f.pass(0)).isInstanceOf(IllegalStateException.class)
            .hasMessage("the floor loop's memory was freed (closed), no pass over it");
        assertThatThrownBy(() -> f.batched(9)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> f.perPte(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void noPagesIsRefusedByValue()
    {
        assertThatThrownBy(() -> FloorLoop.allocate(Arena.global(), 0, false))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("the floor loop needs at least one page, not 0");
    }
}
