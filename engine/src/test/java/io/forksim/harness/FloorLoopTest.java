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
        try (FloorLoop f = FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 32))
        {
            assertThat(f.data().parentPte(5)).isEqualTo(writable(5)).isEqualTo(0x3ED023L);
            f.pass(0);
            assertThat(f.data().parentPte(5)).isEqualTo(0x3ED021L);
            assertThat(f.data().childPte(5)).isEqualTo(0x3ED001L);
            assertThat(f.data().refcount(5)).isEqualTo(2);
            assertThat(f.data().mapcount(5)).isEqualTo(1);
            f.restoreWritable();
            assertThat(f.data().parentPte(5)).isEqualTo(0x3ED023L);
        }
    }

    @Test
    void aBatchedPassOfOrderFourUpdatesEachFolioHeadOncePerSixteenPages()
    {
        try (FloorLoop f = FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 64))
        {
            f.pass(4);
            for (final long head : new long[] {0, 16, 32, 48})
            {
                assertThat(f.data().refcount(head)).isEqualTo(1 + 16);
                assertThat(f.data().mapcount(head)).isEqualTo(16);
            }
            assertThat(f.data().refcount(17)).isEqualTo(1);
            assertThat(f.data().parentPte(63)).isEqualTo(writable(63) & ~0x2L);
            assertThat(f.data().childPte(63)).isEqualTo(writable(63) & ~0x22L);
        }
    }

    @Test
    void aBatchedPassLeavesTheEntriesOfAPerPtePassAndEachFolioCountOnItsHead()
    {
        // 1000 pages: the last order-4 and order-9 folios are cut short by the end of the data
        for (final int order : new int[] {1, 4, 9})
        {
            try (FloorLoop perPte = FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 1000);
                 FloorLoop batched = FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 1000))
            {
                perPte.pass(0);
                batched.pass(order);
                final long fn = 1L << order;
                for (long k = 0; k < 1000; k++)
                {
                    assertThat(batched.data().parentPte(k)).as("parent %d, order %d", k, order)
                        .isEqualTo(perPte.data().parentPte(k));
                    assertThat(batched.data().childPte(k)).as("child %d, order %d", k, order)
                        .isEqualTo(perPte.data().childPte(k));
                    final long inFolio = k % fn == 0 ? Math.min(fn, 1000 - k) : 0;
                    assertThat(batched.data().mapcount(k)).as("mapcount %d, order %d", k, order).isEqualTo(inFolio);
                    assertThat(batched.data().refcount(k)).as("refcount %d, order %d", k, order).isEqualTo(1 + inFolio);
                }
            }
        }
    }

    @Test
    void aBatchEndsWhereThePfnsStopBeingConsecutive()
    {
        try (FloorLoop f = FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 32))
        {
            // page 5 not present: order-4 folio 0 splits into the batches 0-4 and 6-15
            f.data().setParentPte(5, 0);
            f.pass(4);
            assertThat(f.data().mapcount(0)).isEqualTo(5 + 10);
            assertThat(f.data().refcount(0)).isEqualTo(1 + 15);
            assertThat(f.data().childPte(5)).isZero();
            assertThat(f.data().parentPte(5)).isZero();
            assertThat(f.data().childPte(6)).isEqualTo(writable(6) & ~0x22L);
            assertThat(f.data().mapcount(16)).isEqualTo(16);
        }
    }

    @Test
    void theFloorInTheEnginesMemoryStartsFromTheSameStateAndPassesAlike()
    {
        for (final boolean huge : new boolean[] {true, false})
        {
            try (FloorLoop f = FloorLoop.allocate(FloorPlacement.engine(huge), 1024))
            {
                assertThat(f.pages()).isEqualTo(1024);
                assertThat(f.data().parentPte(700)).isEqualTo(writable(700));
                assertThat(f.data().childPte(700)).isZero();
                assertThat(f.data().refcount(700)).isEqualTo(1);
                f.pass(0);
                assertThat(f.data().parentPte(700)).isEqualTo(writable(700) & ~0x2L);
                assertThat(f.data().childPte(700)).isEqualTo(writable(700) & ~0x22L);
                assertThat(f.data().mapcount(700)).isEqualTo(1);
            }
        }
    }

    @Test
    void theFloorInTheEnginesMemoryIsUnmappedByCloseAndRefusesPassesAfterwards()
    {
        final FloorLoop f = FloorLoop.allocate(FloorPlacement.engine(true), 1024);
        f.close();
        assertThatThrownBy(() -> f.pass(9)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> FloorLoop.allocate(FloorPlacement.engine(true), 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("the floor loop needs at least one page, not 0");
    }

    @Test
    void aPassAfterCloseIsRefusedAndTouchesNoFreedMemory()
    {
        final FloorLoop f = FloorLoop.allocate(FloorPlacement.in(Arena.ofConfined(), true), 8);
        f.close();
        assertThatThrownBy(() -> f.pass(0)).isInstanceOf(IllegalStateException.class)
            .hasMessage("the floor loop's memory was freed (closed), no pass over it");
        assertThatThrownBy(() -> f.batched(9)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> f.perPte(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void noPagesIsRefusedByValue()
    {
        assertThatThrownBy(() -> FloorLoop.allocate(FloorPlacement.in(Arena.global(), false), 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("the floor loop needs at least one page, not 0");
    }
}
