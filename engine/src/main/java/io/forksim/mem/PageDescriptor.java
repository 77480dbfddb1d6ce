package io.forksim.mem;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Layout of forksim's {@code struct page}: the per-PFN metadata held off-heap by {@link MemMap},
 * struct-of-arrays and indexed by PFN like the kernel's vmemmap. This class holds only constants and
 * static offset helpers; it is never instantiated.
 *
 * <h2>Segment 1: records, 16 bytes per PFN</h2>
 * Four little-endian 32-bit ints at {@code recordOffset(pfn) = pfn * 16}:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     flags (see below)              +0         |
 *  +---------------------------------------------------------------+
 *  |  refcount                                          +4         |
 *  |    folio _refcount (head or order-0 page)                     |
 *  |    page[1] of a large folio: _mm_id_mapcount[0]               |
 *  |    free block head: PFN of next free block of its order, -1   |
 *  +---------------------------------------------------------------+
 *  |  mapcount                                          +8         |
 *  |    order-0 page: mapcount (plain count, 0 = unmapped)         |
 *  |    large folio head: large_mapcount (plain count)             |
 *  |    page[1] of a large folio: _mm_id_mapcount[1]               |
 *  |    page[2] of a large folio: _entire_mapcount (PMD mappings)  |
 *  |    page-table page: slot index of its table storage (ptdesc)  |
 *  |    free block head: PFN of previous free block, -1            |
 *  +---------------------------------------------------------------+
 *  |  aux                                               +12        |
 *  |    large folio head: _pincount                                |
 *  |    page[1] of a large folio: _mm_ids (id0 bits 0..15,         |
 *  |                                       id1 bits 16..31)        |
 *  |    PMD-table page: 1 + PFN of the last deposited PTE table    |
 *  |    deposited PTE table: 1 + PFN of the next deposit, 0 = end  |
 *  +---------------------------------------------------------------+
 * </pre>
 * All counts are stored as plain counts. The kernel stores {@code _mapcount},
 * {@code _large_mapcount} and {@code _mm_id_mapcount[]} as "count minus one" (-1 = unmapped);
 * forksim stores the count itself (0 = unmapped), so a zeroed record is an unmapped page.
 * forksim models {@code CONFIG_NO_PAGE_MAPCOUNT} (6.15+): a large folio has no per-page
 * mapcount, only {@code large_mapcount} on its head. The kernel keeps {@code _large_mapcount}
 * and {@code _pincount} in the folio's second page; forksim keeps them on the head so that the
 * fork loop's per-batch update touches one record, and keeps only the MM-ID state in page[1]
 * ({@code _mm_id_mapcount[0..1]}, {@code _mm_ids}; include/linux/mm_types.h, struct folio).
 *
 * <h2>The flags word</h2>
 * <pre>
 *   31               17 16 15 14 13 12 11 10  9  8  7  6  5  4  3        0
 *  +-------------------+--+--+--+--+--+--+--+--+--+--+--+--+--+-----------+
 *  |   reserved (0)    |FI|RS|MS|DI|HW|SC|ZE|TB|SB|AN|BU|TL|HD|   order   |
 *  +-------------------+--+--+--+--+--+--+--+--+--+--+--+--+--+-----------+
 *   HD PG_HEAD        first page of a large folio (order &gt;= 1)
 *   TL PG_TAIL        other pages of a large folio
 *   BU PG_BUDDY       first page of a free buddy block
 *   AN PG_ANON        SB PG_SWAPBACKED   TB PG_TABLE (page-table page)
 *   ZE PG_ZERO        the shared zero page (PFN 0, reserved)
 *   SC PG_SWAPCACHE   HW PG_HWPOISON     DI PG_DIRTY
 *   MS PG_MM_IDS_SHARED  FOLIO_MM_IDS_SHARED_BIT (head of a large folio)
 *   RS PG_RESERVED    FI PG_FILE (page-cache folio)
 * </pre>
 * {@code order} (0..10) is stored in <em>every</em> page of a folio, so
 * {@code folioHead(pfn) = pfn & -(1L << order)} needs no second load: buddy folios are naturally
 * aligned. For a free buddy block, {@code order} is the block order and lives in its first page
 * only; the other pages of a free block have all-zero records. The folio's type flags
 * ({@link #FOLIO_TYPE_FLAGS}: PG_ANON, PG_SWAPBACKED, PG_FILE), fixed for the folio's lifetime, are
 * also copied into every page, so the fork loop classifies the page a PTE points to with the same
 * single load that gives its order. Mutable folio flags (PG_DIRTY, PG_SWAPCACHE, PG_MM_IDS_SHARED)
 * live on the head only, as in the kernel; PG_HWPOISON is per page.
 *
 * <h2>Segment 2: tokens, 8 bytes per PFN</h2>
 * The page's content token (page bytes are not simulated: a write stores a new token, a copy copies
 * it), a little-endian long at {@code tokenOffset(pfn) = pfn * 8}.
 *
 * <h2>Segment 3: anonExclusive byte map, 1 byte per PFN</h2>
 * PageAnonExclusive (the kernel's per-page PG_anon_exclusive): the byte at
 * {@code anonExclusiveOffset(p) = p} is 1 if PFN {@code p} is PageAnonExclusive, 0 if not. Clearing one
 * page is a plain byte store (no read-modify-write shared with neighbouring pages); a 512-page batch is
 * 512 bytes, 8 cache lines.
 *
 * <p>State per simulated page: 16 + 8 + 1 = {@value #STATE_BYTES_PER_PAGE} bytes.
 */
public final class PageDescriptor
{

    /** Layout of every int field of a record; little-endian, 4-byte aligned. */
    // Unaligned variants: every offset is naturally aligned anyway, and the unaligned layouts spare the
    // per-access alignment check, which the fork loop would pay on every access. Atomics use aligned VarHandles (MemMap).
    public static final ValueLayout.OfInt INT_LAYOUT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Layout of a token (and of a record's two halves, and of 8 anonExclusive bytes); little-endian. */
    public static final ValueLayout.OfLong LONG_LAYOUT = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // ---- records segment ------------------------------------------------------------------------

    /** log2 of {@link #RECORD_LENGTH}. */
    public static final int RECORD_SHIFT = 4;
    /** Bytes per PFN in the records segment. */
    public static final int RECORD_LENGTH = 1 << RECORD_SHIFT;
    /** Offset of the flags word in a record. */
    public static final int FLAGS_OFFSET = 0;
    /** Offset of the refcount slot in a record. */
    public static final int REFCOUNT_OFFSET = 4;
    /** Offset of the mapcount slot in a record. */
    public static final int MAPCOUNT_OFFSET = 8;
    /** Offset of the aux slot in a record. */
    public static final int AUX_OFFSET = 12;

    /** Free block head: next free block of the same order (alias of the refcount slot). */
    public static final int FREE_NEXT_OFFSET = REFCOUNT_OFFSET;
    /** Free block head: previous free block of the same order (alias of the mapcount slot). */
    public static final int FREE_PREV_OFFSET = MAPCOUNT_OFFSET;
    /** Large folio head: {@code large_mapcount} (alias of the mapcount slot). */
    public static final int LARGE_MAPCOUNT_OFFSET = MAPCOUNT_OFFSET;
    /** Large folio head: {@code _pincount} (alias of the aux slot). */
    public static final int PINCOUNT_OFFSET = AUX_OFFSET;
    /** Page-table page: slot index of its table storage (alias of the mapcount slot). */
    public static final int PT_SLOT_OFFSET = MAPCOUNT_OFFSET;
    /** page[1] of a large folio: {@code _mm_id_mapcount[0]} (alias of the refcount slot). */
    public static final int MM_ID_MAPCOUNT0_OFFSET = REFCOUNT_OFFSET;
    /** page[1] of a large folio: {@code _mm_id_mapcount[1]} (alias of the mapcount slot). */
    public static final int MM_ID_MAPCOUNT1_OFFSET = MAPCOUNT_OFFSET;
    /** page[1] of a large folio: {@code _mm_ids}, both ids packed (alias of the aux slot). */
    public static final int MM_IDS_OFFSET = AUX_OFFSET;

    /** "No PFN" in free-list links. */
    public static final int NIL = -1;

    // ---- flags word -----------------------------------------------------------------------------

    /** Bits 0..3: folio order, or the block order of a free block's first page. */
    public static final int ORDER_MASK = 0xF;
    public static final int PG_HEAD = 1 << 4;
    public static final int PG_TAIL = 1 << 5;
    public static final int PG_BUDDY = 1 << 6;
    public static final int PG_ANON = 1 << 7;
    public static final int PG_SWAPBACKED = 1 << 8;
    public static final int PG_TABLE = 1 << 9;
    public static final int PG_ZERO = 1 << 10;
    public static final int PG_SWAPCACHE = 1 << 11;
    public static final int PG_HWPOISON = 1 << 12;
    public static final int PG_DIRTY = 1 << 13;
    /** FOLIO_MM_IDS_SHARED_BIT: the large folio is (maybe) mapped by more than one MM. Head only. */
    public static final int PG_MM_IDS_SHARED = 1 << 14;
    public static final int PG_RESERVED = 1 << 15;
    public static final int PG_FILE = 1 << 16;
    /**
     * Folio type flags that {@link MemMap#prepFolio} writes into every page of the folio (head and
     * tails), not only the head: they never change while the folio is allocated.
     */
    public static final int FOLIO_TYPE_FLAGS = PG_ANON | PG_SWAPBACKED | PG_FILE;
    /** Bits that are not assigned and must stay 0. */
    public static final int UNUSED_FLAGS_MASK = -1 << 17;
    /**
     * Bits that describe the folio's structure and bookkeeping and that only {@link MemMap},
     * {@link PhysMem} and the MM-ID helpers set; callers may not pass them as extra flags.
     */
    public static final int STRUCTURAL_FLAGS_MASK =
            ORDER_MASK | PG_HEAD | PG_TAIL | PG_BUDDY | PG_MM_IDS_SHARED | UNUSED_FLAGS_MASK;

    /** Largest folio / buddy order: the kernel's MAX_PAGE_ORDER (4 MiB with 4 KiB pages). */
    public static final int MAX_ORDER = 10;

    // ---- MM ids ---------------------------------------------------------------------------------

    /** Bits per MM id in the packed {@code _mm_ids} word. */
    public static final int MM_ID_BITS = 16;
    public static final int MM_ID_MASK = (1 << MM_ID_BITS) - 1;
    /** The kernel's MM_ID_DUMMY: "no MM", a free slot. */
    public static final int MM_ID_DUMMY = 0;
    public static final int MM_ID_MIN = 1;
    public static final int MM_ID_MAX = MM_ID_MASK;

    /** GUP_PIN_COUNTING_BIAS: an order-0 folio is pinned by adding this to its refcount. */
    public static final int GUP_PIN_COUNTING_BIAS = 1024;

    // ---- tokens and the anonExclusive byte map --------------------------------------------------

    /** log2 of {@link #TOKEN_LENGTH}. */
    public static final int TOKEN_SHIFT = 3;
    /** Bytes per PFN in the tokens segment. */
    public static final int TOKEN_LENGTH = 1 << TOKEN_SHIFT;
    /** Bytes per PFN in the anonExclusive byte map. */
    public static final int ANON_EXCLUSIVE_LENGTH = 1;

    /** Off-heap state per simulated page, in bytes: a record, a token and a PageAnonExclusive byte. */
    public static final int STATE_BYTES_PER_PAGE = RECORD_LENGTH + TOKEN_LENGTH + ANON_EXCLUSIVE_LENGTH;

    /** Largest number of pages a {@link MemMap} can describe (PFNs must fit the int link slots). */
    public static final long MAX_NR_PAGES = Integer.MAX_VALUE;

    private PageDescriptor()
    {
    }

    // ---- offsets --------------------------------------------------------------------------------

    /** Byte offset of {@code pfn}'s record in the records segment. */
    public static long recordOffset(final long pfn)
    {
        return pfn << RECORD_SHIFT;
    }

    public static long flagsOffset(final long pfn)
    {
        return (pfn << RECORD_SHIFT) + FLAGS_OFFSET;
    }

    public static long refcountOffset(final long pfn)
    {
        return (pfn << RECORD_SHIFT) + REFCOUNT_OFFSET;
    }

    public static long mapcountOffset(final long pfn)
    {
        return (pfn << RECORD_SHIFT) + MAPCOUNT_OFFSET;
    }

    public static long auxOffset(final long pfn)
    {
        return (pfn << RECORD_SHIFT) + AUX_OFFSET;
    }

    /** Byte offset of {@code pfn}'s token in the tokens segment. */
    public static long tokenOffset(final long pfn)
    {
        return pfn << TOKEN_SHIFT;
    }

    /** Byte offset of {@code pfn}'s PageAnonExclusive byte in the anonExclusive segment: {@code pfn}. */
    public static long anonExclusiveOffset(final long pfn)
    {
        return pfn;
    }

    /** Bytes of the records segment for {@code nrPages} pages. */
    public static long recordsLength(final long nrPages)
    {
        return nrPages << RECORD_SHIFT;
    }

    /** Bytes of the tokens segment for {@code nrPages} pages. */
    public static long tokensLength(final long nrPages)
    {
        return nrPages << TOKEN_SHIFT;
    }

    /** Bytes of the anonExclusive byte map for {@code nrPages} pages: one per page. */
    public static long anonExclusiveLength(final long nrPages)
    {
        return nrPages;
    }

    // ---- field codecs ---------------------------------------------------------------------------

    /** The order bits of a flags word. */
    public static int orderOf(final int flags)
    {
        return flags & ORDER_MASK;
    }

    /** {@code _mm_id[0]} of a packed {@code _mm_ids} word. */
    public static int mmId0(final int mmIds)
    {
        return mmIds & MM_ID_MASK;
    }

    /** {@code _mm_id[1]} of a packed {@code _mm_ids} word. */
    public static int mmId1(final int mmIds)
    {
        return mmIds >>> MM_ID_BITS;
    }

    /** Packs two MM ids into an {@code _mm_ids} word. */
    public static int packMmIds(final int id0, final int id1)
    {
        return (id0 & MM_ID_MASK) | (id1 << MM_ID_BITS);
    }

    // ---- validation (errors name the value) -----------------------------------------------------

    /** Returns {@code order} if it is 0..{@value #MAX_ORDER}, else throws naming it. */
    public static int checkOrder(final int order)
    {
        if (order < 0 || order > MAX_ORDER)
        {
            throw new IllegalArgumentException("order " + order + " is out of range 0.." + MAX_ORDER);
        }
        return order;
    }

    /** Returns {@code nrPages} if it is 1..2^31-1, else throws naming it. */
    public static long checkNrPages(final long nrPages)
    {
        if (nrPages < 1 || nrPages > MAX_NR_PAGES)
        {
            throw new IllegalArgumentException("nrPages " + nrPages + " is out of range 1.." + MAX_NR_PAGES);
        }
        return nrPages;
    }

    /** Returns {@code mmId} if it is {@value #MM_ID_MIN}..{@value #MM_ID_MAX}, else throws naming it. */
    public static int checkMmId(final int mmId)
    {
        if (mmId < MM_ID_MIN || mmId > MM_ID_MAX)
        {
            throw new IllegalArgumentException("mmId " + mmId + " is out of range " + MM_ID_MIN + ".." + MM_ID_MAX);
        }
        return mmId;
    }
}
