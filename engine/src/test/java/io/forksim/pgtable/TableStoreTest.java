package io.forksim.pgtable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forksim.mem.ClearPage;

import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

/** Table slots: handed out zeroed whether they were freed empty or still holding entries; LIFO reuse. */
class TableStoreTest
{
    private static void write(final TableStore ts, final int slot, final int index, final long value)
    {
        ts.chunk(slot).set(ValueLayout.JAVA_LONG_UNALIGNED, TableStore.offset(slot) + 8L * index, value);
    }

    private static boolean zero(final TableStore ts, final int slot)
    {
        return ClearPage.isZero(ts.chunk(slot), TableStore.offset(slot), TableStore.TABLE_BYTES);
    }

    @Test
    void aSlotFreedWithEntriesStillInItIsHandedOutZeroed()
    {
        try (TableStore ts = new TableStore())
        {
            final int slot = ts.allocSlot();
            write(ts, slot, 0, 0x8000_0000_1234_5067L);
            write(ts, slot, 511, 0x67L);
            ts.freeSlot(slot);
            assertThat(ts.allocSlot()).isEqualTo(slot);
            assertThat(zero(ts, slot)).isTrue();
        }
    }

    @Test
    void aSlotFreedEmptyIsHandedOutZeroedAndTheFreeStackIsLastInFirstOut()
    {
        try (TableStore ts = new TableStore())
        {
            final int a = ts.allocSlot();
            final int b = ts.allocSlot();
            write(ts, b, 7, 0x25L);
            ts.freeSlot(a);      // empty
            ts.freeSlot(b);      // one entry left in it
            assertThat(ts.freeSlotStack()).containsExactly(a, b);
            assertThat(ts.allocSlot()).isEqualTo(b);
            assertThat(zero(ts, b)).isTrue();
            assertThat(ts.allocSlot()).isEqualTo(a);
            assertThat(zero(ts, a)).isTrue();
            assertThat(ts.slotsInUse()).isEqualTo(2);
        }
    }

    @Test
    void aSlotThatWasNeverHandedOutCannotBeFreed()
    {
        try (TableStore ts = new TableStore())
        {
            assertThatThrownBy(() -> ts.freeSlot(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slot=3");
            assertThat(ts.slotsInUse()).isZero();
        }
    }
}
