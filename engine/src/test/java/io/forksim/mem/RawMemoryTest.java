package io.forksim.mem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forksim.arch.Arch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

class RawMemoryTest
{
    @Test
    void writesAtAnAbsoluteAddressAreTheSegmentsLittleEndianBytes()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = arena.allocate(32, 8);
            RawMemory.setLong(s.address() + 8, 0x1122334455667788L);
            RawMemory.setInt(s.address() + 20, 0xCAFEBABE);
            RawMemory.setByte(s.address() + 31, (byte)7);
            assertThat(s.get(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), 8)).isEqualTo(0x1122334455667788L);
            assertThat(s.get(ValueLayout.JAVA_BYTE, 8)).isEqualTo((byte)0x88);
            assertThat(s.get(ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN), 20)).isEqualTo(0xCAFEBABE);
            assertThat(RawMemory.getLong(s.address() + 8)).isEqualTo(0x1122334455667788L);
            assertThat(RawMemory.getInt(s.address() + 20)).isEqualTo(0xCAFEBABE);
            assertThat(RawMemory.getByte(s.address() + 31)).isEqualTo((byte)7);
            assertThat(RawMemory.getLong(s.address())).isZero();
        }
    }

    @Test
    void boundedIsTheIdentityOnEveryNativeAddressAndSize()
    {
        try (Arena arena = Arena.ofConfined())
        {
            for (final long size : new long[] {1, 4096, 1 << 21})
            {
                final MemorySegment s = arena.allocate(size, 8);
                assertThat(RawMemory.bounded(s.address())).isEqualTo(s.address());
                assertThat(RawMemory.bounded(s.address() + size - 1)).isEqualTo(s.address() + size - 1);
                assertThat(RawMemory.bounded(s.byteSize())).isEqualTo(size);
            }
        }
        assertThat(RawMemory.bounded(0)).isZero();
        assertThat(RawMemory.bounded((1L << 56) - 1)).isEqualTo((1L << 56) - 1);
        assertThat(RawMemory.ADDRESS_MASK).isEqualTo(0x00FF_FFFF_FFFF_FFFFL);
    }

    @Test
    void anAccessAtABoundedBasePlusAnOffsetReadsAndWritesExactlyTheBytesAtTheAddress()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = arena.allocate(64, 8);
            s.set(ValueLayout.JAVA_LONG, 16, 0x0102030405060708L);
            s.set(ValueLayout.JAVA_LONG, 24, -1L);
            final long base = RawMemory.bounded(s.address());
            assertThat(RawMemory.getLong(base + 16)).isEqualTo(0x0102030405060708L);
            RawMemory.setInt(base + 20, 0xCAFEBABE);
            RawMemory.setByte(base + ((long)3 << 3), (byte)0);
            assertThat(s.get(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), 16)).isEqualTo(0xCAFEBABE_05060708L);
            assertThat(s.get(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), 24)).isEqualTo(0xFFFFFFFF_FFFFFF00L);
            assertThat(s.get(ValueLayout.JAVA_LONG, 8)).isZero();
            assertThat(s.get(ValueLayout.JAVA_LONG, 32)).isZero();
        }
    }

    @Test
    void atIsTheBasePlusTheOffsetForEveryNativeBaseAndOffsetBelowTwoToThe31()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = arena.allocate(4096, 8);
            final long base = s.address();
            for (final int offset : new int[] {0, 8, 4088, Integer.MAX_VALUE})
            {
                assertThat(RawMemory.at(base, offset)).isEqualTo(base + offset);
            }
            for (int o = 0; o != 4096; o += 8)
            {
                RawMemory.setLong(RawMemory.at(base, o), o);
            }
            assertThat(s.get(ValueLayout.JAVA_LONG, 0)).isZero();
            assertThat(s.get(ValueLayout.JAVA_LONG, 8)).isEqualTo(8L);
            assertThat(RawMemory.getLong(RawMemory.at(base, 4088))).isEqualTo(4088L);
        }
    }

    @Test
    void aTableEntryOutsideItsSegmentIsRefusedAndNothingIsWritten()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment t = arena.allocate(4096, 4096);
            Arch.poke(t, 0, 511, 0x1234L);
            assertThat(Arch.peek(t, 0, 511)).isEqualTo(0x1234L);
            assertThatThrownBy(() -> Arch.poke(t, 0, 512, 1L)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Arch.peek(t, 8, 511)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Arch.peek(t, 0, -1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Arch.poke(t, Long.MAX_VALUE - 7, 0, 1L)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Arch.peek(t, Long.MIN_VALUE, 0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(Arch.peek(t, 0, 0)).isZero();
        }
    }

    @Test
    void aTableSegmentOf2GiBOrMoreHasItsEntriesRefusedNeverReadOutsideIt()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment small = arena.allocate(4096, 4096);
            Arch.poke(small, 0, 0, 0x42L);
            // the same memory seen as larger segments: nothing beyond the first 4 KiB is touched
            final MemorySegment twoGiB = MemorySegment.ofAddress(small.address()).reinterpret(1L << 31);
            assertThatThrownBy(() -> Arch.peek(twoGiB, 0, 0)).isInstanceOf(IndexOutOfBoundsException.class);
            final MemorySegment wraps = MemorySegment.ofAddress(small.address()).reinterpret((1L << 32) + 4096);
            assertThat(Arch.peek(wraps, 0, 0)).isEqualTo(0x42L);
            assertThatThrownBy(() -> Arch.peek(wraps, 0, 512)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(Arch.peek(small, 0, 0)).isEqualTo(0x42L);
        }
    }

    @Test
    void aPfnBeyondTheMemmapIsRefusedByEveryPlainAccessor()
    {
        try (MemMap m = new MemMap(64))
        {
            m.setRefcount(63, 3);
            assertThat(m.refAdd(63, 2)).isEqualTo(5);
            assertThatThrownBy(() -> m.flags(64)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("64");
            assertThatThrownBy(() -> m.refAdd(64, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.mapcountAdd(-1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.refAndMapcountAdd(64, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.clearAnonExclusive(64)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.flags((1L << 32) + 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.setAnonExclusive(Long.MIN_VALUE)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.testAnonExclusive(Long.MAX_VALUE)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.clearAnonExclusiveRange(60, 5)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(m.rawRefcount(63)).isEqualTo(5);
        }
    }
}
