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

    @Test
    void ensureCommittedCommitsFreshSlotsBeyondTheFreeOnesOnce()
    {
        try (TableStore ts = new TableStore(false, false))
        {
            final int a = ts.allocSlot();
            ts.allocSlot();
            ts.freeSlot(a);                                   // one free slot, committed already
            assertThat(ts.ensureCommitted(16_384)).isEqualTo(16_383L * TableStore.TABLE_BYTES);   // 64 MiB minus a slot
            assertThat(ts.committedAhead()).isEqualTo(16_384);
            assertThat(ts.reservedBytes()).isEqualTo(5 * TableStore.CHUNK_BYTES);   // slots 0..16384 span five chunks
            assertThat(ts.ensureCommitted(16_384)).isZero();
            assertThat(ts.allocSlot()).isEqualTo(a);
            assertThat(ts.committedAhead()).isEqualTo(16_383);
            final int fresh = ts.allocSlot();
            assertThat(fresh).isEqualTo(2);
            assertThat(zero(ts, fresh)).isTrue();
            assertThat(ts.committedAhead()).isEqualTo(16_382);
        }
    }

    @Test
    void ensureCommittedRefusesMoreThanTheHostHasAndChangesNothing()
    {
        final long available = io.forksim.mem.OffHeapArena.hostMemAvailable();
        org.junit.jupiter.api.Assumptions.assumeTrue(available > 0, "MemAvailable is not known on this host");
        try (TableStore ts = new TableStore(false, false))
        {
            ts.allocSlot();
            final int slots = (int)Math.min(Integer.MAX_VALUE - 8, available / TableStore.TABLE_BYTES * 2 + 1);
            assertThatThrownBy(() -> ts.ensureCommitted(slots))
                .isInstanceOf(io.forksim.mem.HostMemoryException.class)
                .hasMessageContaining("page tables for " + slots + " more table pages need");
            assertThat(ts.committedAhead()).isZero();
            assertThat(ts.reservedBytes()).isEqualTo(TableStore.CHUNK_BYTES);
            assertThatThrownBy(() -> ts.ensureCommitted(-1)).hasMessage("table slots to commit: -1");
        }
    }

    @Test
    void ensureCommittedOrdersTheFreeSlotsLowestFirstAndKeepsTheirContentsClean()
    {
        try (TableStore ts = new TableStore(false, false))
        {
            for (int i = 0; i < 10; i++)
            {
                ts.allocSlot();
            }
            write(ts, 9, 3, 0x67L);   // freed with an entry left: cleared when handed out
            ts.freeSlot(2);
            ts.freeSlot(9);
            ts.freeSlot(5);
            assertThat(ts.freeSlotStack()).containsExactly(2, 9, 5);
            assertThat(ts.ensureCommitted(3)).isZero();
            assertThat(ts.freeSlotStack()).containsExactly(9, 5, 2);
            assertThat(ts.allocSlot()).isEqualTo(2);
            assertThat(ts.allocSlot()).isEqualTo(5);
            assertThat(ts.allocSlot()).isEqualTo(9);
            assertThat(zero(ts, 9)).isTrue();
        }
    }
}
