package io.forksim.mem;

import static io.forksim.mem.PageDescriptor.PG_HEAD;
import static io.forksim.mem.PageDescriptor.PG_TAIL;
import static io.forksim.mem.PageDescriptor.RECORD_SHIFT;
import static io.forksim.mem.PageDescriptor.STRUCTURAL_FLAGS_MASK;
import static io.forksim.mem.PageDescriptor.TOKEN_SHIFT;

import java.lang.foreign.MemorySegment;

/**
 * A folio's birth and death in the memmap: {@link #prepFolio} turns a clean block the allocator handed out into a
 * folio ({@code prep_compound_page}); {@link #clearFolio} and {@link #clearBlock} zero a freed block's records and
 * PageAnonExclusive bytes. {@link MemMap#prepFolio}, {@link MemMap#clearFolio} and {@link MemMap#clearBlock}
 * delegate here; the methods are static over the map they are given. Precondition of each: the map is not closed.
 */
final class FolioLifecycle
{
    private FolioLifecycle()
    {
    }

    /**
     * prep_compound_page (mm/page_alloc.c): turns the clean, naturally aligned block at {@code pfn}
     * into a folio of {@code order}. Order 0: flags = {@code extraFlags}. Order &gt;= 1: head flags
     * {@code PG_HEAD | order | extraFlags}, tails {@code PG_TAIL | order} plus the type flags of
     * {@code extraFlags} ({@link PageDescriptor#FOLIO_TYPE_FLAGS}: anon, swapbacked, file), so that
     * any page tells its folio's type in one load. Refcount 1 on the head,
     * every other count 0 (so page[1]'s MM-ID state is empty), PageAnonExclusive clear, tokens 0 (a fresh
     * folio reads as zeroes, like __GFP_ZERO).
     *
     * @param extraFlags folio flags for the head (PG_ANON, PG_SWAPBACKED, PG_FILE, PG_TABLE, ...);
     *                   order, PG_HEAD/TAIL/BUDDY, PG_MM_IDS_SHARED and unassigned bits are refused
     * @throws IllegalArgumentException naming the order, pfn or flags if they are invalid
     */
    static void prepFolio(final MemMap mm, final long pfn, final int order, final int extraFlags)
    {
        checkBlock(mm, pfn, order);
        if ((extraFlags & STRUCTURAL_FLAGS_MASK) != 0)
        {
            throw new IllegalArgumentException("extraFlags 0x" + Integer.toHexString(extraFlags)
                    + " contain structural bits 0x" + Integer.toHexString(extraFlags & STRUCTURAL_FLAGS_MASK));
        }
        final long nr = 1L << order;
        final long headFlags = (order == 0 ? extraFlags : (PG_HEAD | order | extraFlags)) & 0xFFFF_FFFFL;
        // One record = two little-endian longs: [flags | refcount << 32], [mapcount | aux << 32].
        long off = pfn << RECORD_SHIFT;
        mm.records().set(MemMap.LONG, off, headFlags | (1L << 32));
        mm.records().set(MemMap.LONG, off + 8, 0L);
        final long tailFlags = PG_TAIL | order | (extraFlags & PageDescriptor.FOLIO_TYPE_FLAGS);
        for (long i = 1; i < nr; i++)
        {
            off += PageDescriptor.RECORD_LENGTH;
            mm.records().set(MemMap.LONG, off, tailFlags);
            mm.records().set(MemMap.LONG, off + 8, 0L);
        }
        final long tokOff = pfn << TOKEN_SHIFT;
        for (long i = 0; i < nr; i++)
        {
            mm.tokens().set(MemMap.LONG, tokOff + (i << TOKEN_SHIFT), 0L);
        }
        mm.clearAnonExclusiveRange(pfn, nr);
    }

    /**
     * Zeroes the records and PageAnonExclusive bytes of the naturally aligned block of {@code order} at
     * {@code pfn}, as when a folio is freed. Tokens are left as they are (freed memory keeps its
     * content until {@link #prepFolio} zeroes it).
     */
    static void clearFolio(final MemMap mm, final long pfn, final int order)
    {
        checkBlock(mm, pfn, order);
        clearBlock(mm, pfn, order);
    }

    /** Zeroed records of the largest block, copied over a freed block's: a slice to fill would allocate. */
    private static final MemorySegment ZERO_RECORDS = MemorySegment.ofArray(new byte[(1 << PageDescriptor.MAX_ORDER) << RECORD_SHIFT]);

    /** {@link #clearFolio} without validation, for {@link PhysMem}; allocates nothing. Precondition: order <= MAX_ORDER. */
    static void clearBlock(final MemMap mm, final long pfn, final int order)
    {
        final long nr = 1L << order;
        MemorySegment.copy(ZERO_RECORDS, 0, mm.records(), pfn << RECORD_SHIFT, nr << RECORD_SHIFT);
        mm.clearAnonExclusiveRange(pfn, nr);
    }

    private static void checkBlock(final MemMap mm, final long pfn, final int order)
    {
        PageDescriptor.checkOrder(order);
        if (pfn < 0 || pfn >= mm.nrPages())
        {
            throw new IllegalArgumentException("pfn " + pfn + " is out of range 0.." + (mm.nrPages() - 1));
        }
        if ((pfn & ((1L << order) - 1)) != 0)
        {
            throw new IllegalArgumentException("pfn " + pfn + " is not aligned to order " + order);
        }
        if (pfn + (1L << order) > mm.nrPages())
        {
            throw new IllegalArgumentException("block of order " + order + " at pfn " + pfn
                    + " runs past the last pfn " + (mm.nrPages() - 1));
        }
    }
}
