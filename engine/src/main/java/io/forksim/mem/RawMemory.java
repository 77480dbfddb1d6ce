package io.forksim.mem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Absolute-address access to native memory for the fork copy loops: one constant segment spanning the whole
 * address space ({@code MemorySegment.NULL.reinterpret(Long.MAX_VALUE)}), read and written at
 * {@code segment.address() + offset}.
 *
 * <p>Why. An access through a segment that is not a compile-time constant carries, per access, a bounds check
 * against that segment's size, a liveness check of its arena, and an unknown heap base: C2 must assume the store
 * may hit any Java object, so it reloads every heap field the loop uses (the segments' own fields, the
 * {@code Events} counters, the {@code CopyContext} flags) after each store and keeps memory-carried chains
 * through them. Through this constant segment the base is known to be null: the accesses touch raw memory only,
 * which C2 keeps apart from the Java heap, the liveness check is the global arena's (never closed) and the bounds
 * check compares with a constant.
 *
 * <p>The bounds check ({@code address <u Long.MAX_VALUE - 7}, from the JDK's {@code checkIndex}) can only reject an
 * address no native memory has, yet it compiles to a compare, a branch and often a 64-bit constant per access.
 * C2 removes it where it can prove it from the address's type, so the hot loops form their addresses as
 * {@link #bounded bounded(base)} plus an offset C2 knows to be small and non-negative (an index checked against
 * an int, shifted by a record size; an entry's offset checked against a bounded segment size): {@code MemMap}'s
 * plain accessors, {@code Arch.loadRaw} / {@code storeRaw} and the floor loops' folio records. A loop over a range
 * forms its addresses with {@link #at at(base, offset)}, an int byte offset from the range's start, to a bound
 * tested with {@code !=} ({@code RampCopy}, {@code Contpte.copyWholeBlocks} and {@code contpteSetPtes},
 * {@code Staging}'s unstaged loops, {@code MemMap.clearAnonExclusiveRangePlain}, the batched floors' loops): no
 * check per access, and C2 makes no counted loop of it. An address formed otherwise (a running {@code long}
 * pointer, a base plus an unchecked long) keeps its check. C2's code of x86_64's order-0 copy loop
 * ({@code CopyContext.copyAnonRun0}) and of {@code RampCopy} has none of these checks left (timing.md, "Order-0 on
 * x86_64 against the floor" and "The range checks in the batch loops", give their instructions per entry and what
 * the checks cost).
 *
 * <p>What it gives up. The segment's own bounds and liveness checks: the callers guarantee them. Every method
 * states that as its precondition: {@code address} lies inside a live native segment with room for the value.
 * Heap segments have no absolute address and must never reach these methods.
 *
 * <p>Byte order: little-endian, as the memmap's layouts ({@link PageDescriptor#INT_LAYOUT}) and the page tables
 * (forksim runs on little-endian hosts only; the layouts say so explicitly).
 */
public final class RawMemory
{
    /** The whole address space; its base is null, its scope the global arena's. */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The bits an absolute address of native memory can have: user space lies below 2^56 on every host forksim runs
     * on (x86_64: 2^47, 2^56 with 5-level paging; arm64: at most 2^52), so does every segment's size.
     * <pre>
     *  63     56 55                                                 0
     * +---------+----------------------------------------------------+
     * |    0    |          address or size of native memory          |
     * +---------+----------------------------------------------------+
     * </pre>
     */
    public static final long ADDRESS_MASK = (1L << 56) - 1;

    private RawMemory()
    {
    }

    /**
     * {@code value}, as C2 can bound it: {@code value & }{@link #ADDRESS_MASK}, which is {@code value} itself for
     * every absolute address of native memory and every segment size (precondition: {@code value} is one of them).
     *
     * <p>Why. Each access checks its address against the constant segment's size ({@code address <u
     * Long.MAX_VALUE - 7}: a 64-bit constant, a compare and a branch). C2 drops the check when it can prove it
     * from the address's type: an address formed as {@code bounded(base) + offset}, with {@code base} a segment's
     * address and {@code offset} known to lie in {@code [0, 2^62)} (an index checked against an int or a
     * {@code bounded} size, times a record size, or a masked field of an entry), is below {@code 2^63 - 8}. The mask
     * itself costs an instruction only where it runs: a loop's bases are loop-invariant and C2 hoists it.
     */
    public static long bounded(final long value)
    {
        return value & ADDRESS_MASK;
    }

    /**
     * The address {@code offset} bytes past {@code base}, as C2 can bound it: {@link #bounded bounded(base)} plus
     * {@code offset} read as an unsigned int, so below {@code 2^56 + 2^32}, and an access there carries no check.
     * The form for a loop that walks a range: its counter is an int byte offset (stride 8 or 16, to a bound tested
     * with {@code !=}), which C2 gives no range of its own but which the unsigned read bounds, where a running
     * {@code long} pointer has none. {@code bounded(base)} is loop-invariant: C2 hoists the mask.
     * Precondition: {@code base} is an absolute address of native memory and {@code 0 <= offset < 2^31} (a table is
     * 4 KiB, a staging chunk 16 MiB at most).
     */
    public static long at(final long base, final int offset)
    {
        return bounded(base) + Integer.toUnsignedLong(offset);
    }

    /** The 8 bytes at {@code address}. Precondition: they lie inside a live native segment. */
    public static long getLong(final long address)
    {
        return ALL.get(LONG, address);
    }

    /** Stores 8 bytes at {@code address}. Precondition: they lie inside a live native segment. */
    public static void setLong(final long address, final long value)
    {
        ALL.set(LONG, address, value);
    }

    /** The 4 bytes at {@code address}. Precondition: they lie inside a live native segment. */
    public static int getInt(final long address)
    {
        return ALL.get(INT, address);
    }

    /** Stores 4 bytes at {@code address}. Precondition: they lie inside a live native segment. */
    public static void setInt(final long address, final int value)
    {
        ALL.set(INT, address, value);
    }

    /** The byte at {@code address}. Precondition: it lies inside a live native segment. */
    public static byte getByte(final long address)
    {
        return ALL.get(ValueLayout.JAVA_BYTE, address);
    }

    /** Stores one byte at {@code address}. Precondition: it lies inside a live native segment. */
    public static void setByte(final long address, final byte value)
    {
        ALL.set(ValueLayout.JAVA_BYTE, address, value);
    }
}
