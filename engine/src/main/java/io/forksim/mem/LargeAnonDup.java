package io.forksim.mem;

import static io.forksim.mem.PageDescriptor.AUX_OFFSET;
import static io.forksim.mem.PageDescriptor.FLAGS_OFFSET;
import static io.forksim.mem.PageDescriptor.MAPCOUNT_OFFSET;
import static io.forksim.mem.PageDescriptor.MM_ID_DUMMY;
import static io.forksim.mem.PageDescriptor.ORDER_MASK;
import static io.forksim.mem.PageDescriptor.PG_HEAD;
import static io.forksim.mem.PageDescriptor.PG_MM_IDS_SHARED;
import static io.forksim.mem.PageDescriptor.RECORD_SHIFT;
import static io.forksim.mem.PageDescriptor.REFCOUNT_OFFSET;

import java.util.Objects;

/**
 * fork's metadata update for one batch of a large anon folio on a plain (single-threaded) memmap: {@code folio_ref_add}
 * and {@code folio_try_dup_anon_rmap_ptes} (the PageAnonExclusive clear of each page, then
 * {@code folio_add_return_large_mapcount}), in the kernel's order, at absolute addresses after one check of the whole
 * folio instead of one per field. The same updates as {@link MemMap#refAdd}, {@link MemMap#clearAnonExclusiveRange}
 * and {@link MemMap#folioAddLargeMapcount} make on a plain map, with the same errors for a PFN that is not a large
 * folio's head.
 *
 * <p>The fields it touches, from the head's record (16 bytes a page, {@link PageDescriptor}):
 * <pre>
 *  head's record                           page[1]'s record (the next 16 bytes)
 *  0        4          8                12 16       20           24           28       32
 * +--------+----------+-----------------+--------+---------+------------+------------+--------+
 * | flags  | refcount | large_mapcount  |  aux:  | flags   | slot 0's   | slot 1's   | mm ids |
 * |        | (folio)  |                 | pins   |         | mapcount   | mapcount   | 0 | 1  |
 * +--------+----------+-----------------+--------+---------+------------+------------+--------+
 * </pre>
 * and the folio's PageAnonExclusive bytes, one a page ({@link MemMap#anonExclusive}).
 */
public final class LargeAnonDup
{
    private LargeAnonDup()
    {
    }

    /**
     * {@code folio_ref_add(folio, nr)}, then {@code folio_try_dup_anon_rmap_ptes(folio, page, nr)} on a plain map:
     * PageAnonExclusive cleared on {@code [pfn, pfn + nr)} if {@code clearPae} (tested before stored, as
     * {@link MemMap#clearAnonExclusiveRange}; a caller that cleared them already passes false), then {@code nr} mappings
     * of the mm {@code mmId} added to the large mapcount ({@link LargeMapcount#folioAddLargeMapcount}).
     *
     * <p>Precondition: {@code map} is plain (not {@link MemMap#atomic}) and open; {@code [pfn, pfn + nr)} lies in the
     * folio of order {@code order} whose head is {@code head}; {@code nr >= 1}. Checked: the folio lies in the map
     * (else {@link IndexOutOfBoundsException}), {@code head}'s flags say it is the head of a folio of that order and
     * {@code mmId} is 1..65535 (else {@link IllegalArgumentException}), before anything is written.
     */
    public static void dupAnonBatchPlain(final MemMap map, final long head, final int order, final long pfn, final int nr,
        final boolean clearPae, final int mmId)
    {
        final long rec = headRecord(map, head, order);
        PageDescriptor.checkMmId(mmId);
        final long ref = rec + REFCOUNT_OFFSET;
        RawMemory.setInt(ref, RawMemory.getInt(ref) + nr);
        if (clearPae)
        {
            MemMap.clearAnonExclusiveRangePlain(map.anonExclusiveAddress() + pfn, nr);
        }
        addLargeMapcountAt(rec, nr, mmId);
    }

    /**
     * The absolute address of the record of {@code head}, after checking that the folio {@code [head, head + 2^order)}
     * lies in {@code map} and that {@code head}'s flags make it the head of a folio of that order.
     */
    private static long headRecord(final MemMap map, final long head, final int order)
    {
        Objects.checkFromIndexSize(head, 1L << order, map.nrPages());
        final long rec = map.recordsAddress() + (head << RECORD_SHIFT);
        final int flags = RawMemory.getInt(rec + FLAGS_OFFSET);
        if ((flags & (PG_HEAD | ORDER_MASK)) != (PG_HEAD | order) || order == 0 || (head & ((1L << order) - 1)) != 0)
        {
            throw new IllegalArgumentException("pfn " + head + " is not the head of an order-" + order
                + " folio (flags 0x" + Integer.toHexString(flags) + ")");
        }
        return rec;
    }

    /**
     * {@code folio_add_return_large_mapcount} (CONFIG_MM_ID) on a plain map, at the absolute address {@code rec} of the
     * head's record (page[1]'s follows): the steps {@link LargeMapcount#folioAddLargeMapcount} lists and takes through
     * the map's accessors (FusedPteBatchTest holds the two to the same result), without the new count, which fork
     * does not use.
     * Precondition: {@code rec} is the record of a large folio's head in an open plain map, {@code nr >= 1},
     * {@code mmId} is 1..65535.
     *
     * <p>{@link LargeMapcount#folioAddLargeMapcount} keeps its own form for the per-PTE callers (legacy, arch-batch):
     * routed here, their order-4 forks took one of two speeds per JVM, as C2 inlined the shorter chain into their loops
     * or not.
     */
    private static void addLargeMapcountAt(final long rec, final int nr, final int mmId)
    {
        final long mapcount = rec + MAPCOUNT_OFFSET;
        final int newMapcount = RawMemory.getInt(mapcount) + nr;
        RawMemory.setInt(mapcount, newMapcount);
        final long p1 = rec + (1L << RECORD_SHIFT);
        final int ids = RawMemory.getInt(p1 + AUX_OFFSET);
        final int id0 = PageDescriptor.mmId0(ids);
        final int id1 = PageDescriptor.mmId1(ids);
        if (id0 == mmId)
        {
            RawMemory.setInt(p1 + REFCOUNT_OFFSET, RawMemory.getInt(p1 + REFCOUNT_OFFSET) + nr);
        }
        else if (id1 == mmId)
        {
            RawMemory.setInt(p1 + MAPCOUNT_OFFSET, RawMemory.getInt(p1 + MAPCOUNT_OFFSET) + nr);
        }
        else if (id0 == MM_ID_DUMMY)
        {
            RawMemory.setInt(p1 + AUX_OFFSET, PageDescriptor.packMmIds(mmId, id1));
            RawMemory.setInt(p1 + REFCOUNT_OFFSET, nr);
            if (newMapcount != nr)
            {
                setMmIdsShared(rec);
            }
        }
        else if (id1 == MM_ID_DUMMY)
        {
            RawMemory.setInt(p1 + AUX_OFFSET, PageDescriptor.packMmIds(id0, mmId));
            RawMemory.setInt(p1 + MAPCOUNT_OFFSET, nr);
            setMmIdsShared(rec);
        }
    }

    /** {@code folio_set_mm_ids_shared} on the plain map's head record at {@code rec}. */
    private static void setMmIdsShared(final long rec)
    {
        RawMemory.setInt(rec + FLAGS_OFFSET, RawMemory.getInt(rec + FLAGS_OFFSET) | PG_MM_IDS_SHARED);
    }
}
