package io.forksim.mem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

class ClearPageTest
{
    private static MemorySegment filled(final Arena arena, final long bytes)
    {
        final MemorySegment s = arena.allocate(bytes, 8);
        s.fill((byte)0x5A);
        return s;
    }

    @Test
    void clearsARangeOfMoreThanOnePageAndNothingAroundIt()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = filled(arena, 3 * 4096);
            ClearPage.clear(s, 100, 4096 + 1000);
            for (long i = 0; i < s.byteSize(); i++)
            {
                final byte expected = i >= 100 && i < 100 + 4096 + 1000 ? 0 : (byte)0x5A;
                assertThat(s.get(ValueLayout.JAVA_BYTE, i)).as("byte %d", i).isEqualTo(expected);
            }
        }
    }

    @Test
    void aRangePastTheSegmentEndIsRefusedAndNothingIsWritten()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = filled(arena, 8192);
            assertThatThrownBy(() -> ClearPage.clear(s, 4096, 8192)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(s.asSlice(4096, 4096).mismatch(filled(arena, 4096))).isEqualTo(-1L);
        }
    }

    @Test
    void aNegativeLengthIsRefusedWithItsValue()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment s = filled(arena, 64);
            assertThatThrownBy(() -> ClearPage.clear(s, 0, -8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-8");
        }
    }
}
