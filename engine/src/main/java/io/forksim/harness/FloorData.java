package io.forksim.harness;

import io.forksim.mem.OffHeapArena;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.LongUnaryOperator;

/**
 * The memory the floor loops ({@link FloorLoop}, {@link Arm64FloorLoop}) run over: {@code pages} parent PTEs and as
 * many child PTEs (8 bytes each, little-endian as {@code RawMemory}) and a 24-byte folio record per page, as the
 * engine's memmap record is larger than the two counters it updates:
 * <pre>
 *  byte  0         4          8          12        24
 *       +---------+----------+----------+---------+
 *       | 0 (size | refcount | mapcount |    0    |   folio record of page k (k = pfn - the loop's first pfn)
 *       |  field) |  (int)   |  (int)   |         |
 *       +---------+----------+----------+---------+
 * </pre>
 * At allocation parent PTE k is the loop's word for page k, child PTE k is 0, refcount 1 and mapcount 0, every byte
 * written once, so that no page is first touched inside a timed pass. The PTE words are the loop's own (x86 or arm64
 * bits); this class knows only where they are.
 *
 * <p>The loops read and write through {@code RawMemory} at the absolute addresses {@link #par}, {@link #chi},
 * {@link #fo}, which check once that the memory is still mapped ({@link #requireAlive}).
 */
final class FloorData implements AutoCloseable
{
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    /** Bytes of one folio record. */
    static final long FOLIO = 24;
    /** Byte offset of the refcount in a folio record. */
    static final long REFCOUNT = 4;
    /** Byte offset of the mapcount in a folio record. */
    static final long MAPCOUNT = 8;

    private final Arena owned;
    /** The engine's mapping ({@link FloorPlacement#engine}), unmapped by {@link #close}; null otherwise. */
    private final OffHeapArena ownedMapping;
    private final MemorySegment par;
    private final MemorySegment chi;
    private final MemorySegment fo;
    private final long pages;

    private FloorData(final Arena owned, final OffHeapArena ownedMapping, final MemorySegment par,
        final MemorySegment chi, final MemorySegment fo, final long pages)
    {
        this.owned = owned;
        this.ownedMapping = ownedMapping;
        this.par = par;
        this.chi = chi;
        this.fo = fo;
        this.pages = pages;
    }

    /**
     * The data for {@code pages} pages where {@code where} says, parent PTE k = {@code parentPte(k)}, every byte
     * touched. Mapped as the engine's memmap and tables, a fork's loop walks memory that the TLB maps in 2 MiB pages;
     * on 4 KiB pages the floor alone would take a TLB miss every 4 KiB of each of its three streams (timing.md, "The
     * floor loop between JVMs"). {@link #close} unmaps the engine's mapping and closes an owned arena.
     *
     * @param pages at least 1
     */
    static FloorData allocate(final FloorPlacement where, final long pages, final LongUnaryOperator parentPte)
    {
        requirePages(pages);
        if (where.arena() != null)
        {
            final Arena arena = where.arena();
            return fill(where.owns() ? arena : null, null, arena.allocate(pages * 8, 4096),
                arena.allocate(pages * 8, 4096), arena.allocate(pages * FOLIO, 4096), pages, parentPte);
        }
        final OffHeapArena mapping = new OffHeapArena(where.hugePages());
        try
        {
            return fill(null, mapping, mapping.allocateZeroed(pages * 8, "the floor loop's parent PTEs"),
                mapping.allocateZeroed(pages * 8, "the floor loop's child PTEs"),
                mapping.allocateZeroed(pages * FOLIO, "the floor loop's folio records"), pages, parentPte);
        }
        catch (final RuntimeException | Error e)
        {
            mapping.close();
            throw e;
        }
    }

    private static void requirePages(final long pages)
    {
        if (pages < 1)
        {
            throw new IllegalArgumentException("the floor loop needs at least one page, not " + pages);
        }
    }

    private static FloorData fill(final Arena owned, final OffHeapArena ownedMapping, final MemorySegment par,
        final MemorySegment chi, final MemorySegment fo, final long pages, final LongUnaryOperator parentPte)
    {
        for (long i = 0; i < pages; i++)
        {
            par.setAtIndex(L, i, parentPte.applyAsLong(i));
            chi.setAtIndex(L, i, 0);
            fo.set(I, i * FOLIO + REFCOUNT, 1);
        }
        return new FloorData(owned, ownedMapping, par, chi, fo, pages);
    }

    long pages()
    {
        return pages;
    }

    /** The raw-address loops would touch unmapped memory after {@link #close}: refuse a pass then. */
    void requireAlive()
    {
        if (!par.scope().isAlive())
        {
            throw new IllegalStateException("the floor loop's memory was freed (closed), no pass over it");
        }
    }

    /** The absolute address of parent PTE 0. Precondition: {@link #requireAlive} passed. */
    long par()
    {
        return par.address();
    }

    /** The absolute address of child PTE 0. Precondition: {@link #requireAlive} passed. */
    long chi()
    {
        return chi.address();
    }

    /** The absolute address of folio record 0. Precondition: {@link #requireAlive} passed. */
    long fo()
    {
        return fo.address();
    }

    /** Parent PTE {@code i}, through the segment (checked; for tests and the untimed restores). */
    long parentPte(final long i)
    {
        return par.getAtIndex(L, i);
    }

    /** Sets parent PTE {@code i} through the segment (checked; for the untimed restores). */
    void setParentPte(final long i, final long pte)
    {
        par.setAtIndex(L, i, pte);
    }

    /** Child PTE {@code i}, through the segment. */
    long childPte(final long i)
    {
        return chi.getAtIndex(L, i);
    }

    /** The refcount of folio record {@code k}. */
    int refcount(final long k)
    {
        return fo.get(I, k * FOLIO + REFCOUNT);
    }

    /** The mapcount of folio record {@code k}. */
    int mapcount(final long k)
    {
        return fo.get(I, k * FOLIO + MAPCOUNT);
    }

    @Override
    public void close()
    {
        if (owned != null)
        {
            owned.close();
        }
        if (ownedMapping != null)
        {
            ownedMapping.close();
        }
    }
}
