package io.forksim.mem;

import java.lang.reflect.Field;
import java.nio.ByteOrder;

/**
 * Absolute-address access to native memory for the fork copy loops, through {@code sun.misc.Unsafe}'s
 * address-only accessors ({@code getLong(long address)} ...), which C2 compiles to one plain load or store.
 *
 * <p>Why. An access through a segment that is not a compile-time constant carries, per access, a bounds check
 * against that segment's size, a liveness check of its arena, and an unknown heap base: C2 must assume the store
 * may hit any Java object, so it reloads every heap field the loop uses (the segments' own fields, the
 * {@code Events} counters, the {@code CopyContext} flags) after each store and keeps memory-carried chains
 * through them. An address-only access has no base object: C2 keeps it apart from the Java heap, and there is
 * nothing to check. A constant segment over the whole address space ({@code MemorySegment.NULL.reinterpret}) gave
 * the same separation but still compared every address with its size, a check that could only ever reject an
 * address above {@code Long.MAX_VALUE - 8}: six compares per order-0 PTE in the copy loops, about 0.7 ns of
 * x86_64 order-0 legacy's 4.3 ns per page (timing.md, "Order-0 on x86_64 against the floor").
 *
 * <p>What it gives up. Every check: the callers make them. Every method states that as its precondition:
 * {@code address} lies inside a live native segment with room for the value. The callers check what can go
 * wrong (the table's segment bounds in {@code Arch.loadRaw} / {@code storeRaw}, the PFN against the memmap's
 * size in {@link MemMap}); a wrong address here would crash the JVM instead of throwing. Heap segments have no
 * absolute address and must never reach these methods.
 *
 * <p>The JVM flags ({@code forksim.jvm.flags}) allow {@code sun.misc.Unsafe}'s memory access
 * ({@code --sun-misc-unsafe-memory-access=allow}, JEP 498); without them the JDK prints its one-time warning.
 *
 * <p>Byte order: the host's, which must be little-endian, as the memmap's layouts ({@link PageDescriptor#INT_LAYOUT})
 * and the page tables are (forksim runs on little-endian hosts only; the class refuses to load on another).
 */
public final class RawMemory
{
    private static final sun.misc.Unsafe UNSAFE = unsafe();

    private RawMemory()
    {
    }

    private static sun.misc.Unsafe unsafe()
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new ExceptionInInitializerError("forksim needs a little-endian host, this one is " + ByteOrder.nativeOrder());
        }
        try
        {
            final Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        }
        catch (final ReflectiveOperationException e)
        {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The 8 bytes at {@code address}. Precondition: they lie inside a live native segment. */
    public static long getLong(final long address)
    {
        return UNSAFE.getLong(address);
    }

    /** Stores 8 bytes at {@code address}. Precondition: they lie inside a live native segment. */
    public static void setLong(final long address, final long value)
    {
        UNSAFE.putLong(address, value);
    }

    /** The 4 bytes at {@code address}. Precondition: they lie inside a live native segment. */
    public static int getInt(final long address)
    {
        return UNSAFE.getInt(address);
    }

    /** Stores 4 bytes at {@code address}. Precondition: they lie inside a live native segment. */
    public static void setInt(final long address, final int value)
    {
        UNSAFE.putInt(address, value);
    }

    /** The byte at {@code address}. Precondition: it lies inside a live native segment. */
    public static byte getByte(final long address)
    {
        return UNSAFE.getByte(address);
    }

    /** Stores one byte at {@code address}. Precondition: it lies inside a live native segment. */
    public static void setByte(final long address, final byte value)
    {
        UNSAFE.putByte(address, value);
    }
}
