package io.forksim.mem;

import static io.forksim.mem.PageDescriptor.PG_HEAD;
import static io.forksim.mem.PageDescriptor.PG_MM_IDS_SHARED;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The 6.15+ mapcount of a large folio with MM ids ({@code CONFIG_MM_ID}, {@code CONFIG_NO_PAGE_MAPCOUNT};
 * include/linux/rmap.h): {@code large_mapcount} in the head's mapcount slot, and on page[1] the two
 * {@code _mm_id} slots (packed in its aux slot, see {@link PageDescriptor#packMmIds}) with their mapping counts
 * (slot 0's in page[1]'s refcount slot, slot 1's in its mapcount slot), plus {@code FOLIO_MM_IDS_SHARED_BIT}
 * (PG_MM_IDS_SHARED) in the head's flags. Its fields are those of one {@link MemMap}, which is the API:
 * {@link MemMap#folioAddLargeMapcount} and the other large-mapcount methods of MemMap call this class.
 *
 * <p>On a concurrent machine ({@code atomic}) every update of these fields runs under
 * {@link #folioLockLargeMapcount}, a striped spin lock keyed by the head PFN.
 */
public final class LargeMapcount
{
    private static final VarHandle LOCK_VH = MethodHandles.arrayElementVarHandle(int[].class);
    /** log2 of the number of folio-lock stripes. */
    private static final int FOLIO_LOCK_BITS = 12;
    /** ints between two lock words: one cache line each, so two stripes never share a line. */
    private static final int FOLIO_LOCK_STRIDE = 16;
    private static final int SPINS_BEFORE_YIELD = 128;

    private final MemMap map;
    /** Concurrent machine: updates run under the folio lock. */
    private final boolean atomic;
    /** Striped folio-lock words (one per 64-byte line), null unless {@link #atomic}. */
    private final int[] folioLocks;

    /** The large mapcounts of the folios of {@code map}; {@code atomic} as the map's. */
    LargeMapcount(final MemMap map, final boolean atomic)
    {
        this.map = map;
        this.atomic = atomic;
        this.folioLocks = atomic ? new int[(1 << FOLIO_LOCK_BITS) * FOLIO_LOCK_STRIDE] : null;
    }

    /**
     * {@code folio_lock_large_mapcount}: serialises the multi-field update of a large folio's
     * {@code large_mapcount}, MM-ID slots and maybe-shared bit against other threads, and lets a reader
     * (the COW reuse check) see the fields consistently. A no-op unless {@link #atomic}. The kernel uses a bit
     * spinlock in the folio; forksim spins on one of 4096 lock words chosen by the head PFN (a stripe may cover
     * several folios: harmless, the lock is a leaf and never held across another lock). Not reentrant: the
     * add/sub helpers take it themselves, so a caller holding it must not call them.
     */
    public void folioLockLargeMapcount(final long head)
    {
        if (!atomic)
        {
            return;
        }
        final int i = folioLockIndex(head);
        int spins = 0;
        while (!LOCK_VH.compareAndSet(folioLocks, i, 0, 1))
        {
            do
            {
                if (++spins < SPINS_BEFORE_YIELD)
                {
                    Thread.onSpinWait();
                }
                else
                {
                    spins = 0;
                    Thread.yield(); // the holder may be preempted (more threads than cores)
                }
            }
            while ((int) LOCK_VH.getOpaque(folioLocks, i) != 0);
        }
    }

    /** {@code folio_unlock_large_mapcount}: a release store. A no-op unless {@link #atomic}. */
    public void folioUnlockLargeMapcount(final long head)
    {
        if (!atomic)
        {
            return;
        }
        LOCK_VH.setRelease(folioLocks, folioLockIndex(head), 0);
    }

    private static int folioLockIndex(final long head)
    {
        return (int) ((head * 0x9E37_79B9_7F4A_7C15L) >>> (64 - FOLIO_LOCK_BITS)) * FOLIO_LOCK_STRIDE;
    }

    /** {@code _mm_id[idx]} (idx 0 or 1) of a large folio; 0 = free slot. */
    public int folioMmId(final long head, final int idx)
    {
        final int ids = map.aux(head + 1);
        return idx == 0 ? PageDescriptor.mmId0(ids) : PageDescriptor.mmId1(ids);
    }

    /** Mappings of the large folio owned by {@code mmId}, or 0 if no slot holds {@code mmId}. */
    public int folioMmIdMapcount(final long head, final int mmId)
    {
        final long p1 = head + 1;
        final int ids = map.aux(p1);
        if (PageDescriptor.mmId0(ids) == mmId)
        {
            return map.rawRefcount(p1);
        }
        if (PageDescriptor.mmId1(ids) == mmId)
        {
            return map.rawMapcount(p1);
        }
        return 0;
    }

    /** FOLIO_MM_IDS_SHARED_BIT: the large folio is maybe mapped by more than one MM. */
    public boolean folioMmIdsShared(final long head)
    {
        return (map.flags(head) & PG_MM_IDS_SHARED) != 0;
    }

    /**
     * folio_set_large_mapcount (include/linux/rmap.h, CONFIG_MM_ID): the first mapping(s) of a fresh,
     * unmapped large folio, all owned by {@code mmId} (slot 0). Requires both MM-id slots free.
     */
    public void folioSetLargeMapcount(final long head, final int mapcount, final int mmId)
    {
        checkLargeHead(head, mapcount, mmId);
        final long p1 = head + 1;
        if (map.aux(p1) != 0)
        {
            throw new IllegalStateException("folio " + head + " already has MM ids 0x"
                    + Integer.toHexString(map.aux(p1)));
        }
        map.setMapcount(head, mapcount);
        map.setRefcount(p1, mapcount);
        map.setMapcount(p1, 0);
        map.setAux(p1, PageDescriptor.packMmIds(mmId, 0));
    }

    /**
     * Adds {@code nr} mappings owned by {@code mmId} to a large folio; returns the new
     * {@code large_mapcount}. Follows {@code folio_add_return_large_mapcount} (include/linux/rmap.h,
     * CONFIG_MM_ID, read in linux-mm at 02f574458974), translated to plain counts:
     * <ol>
     * <li>{@code large_mapcount += nr};</li>
     * <li>if slot 0 holds {@code mmId}, its count += nr; else if slot 1 does, its count += nr;</li>
     * <li>else if slot 0 is free (id 0), {@code mmId} takes it with count nr, and the folio is
     *     marked shared if other mappings already existed ({@code large_mapcount != nr});</li>
     * <li>else if slot 1 is free, {@code mmId} takes it with count nr and the folio is marked shared
     *     (slot 0 certainly has mappings);</li>
     * <li>else (both slots owned by other MMs) nothing but {@code large_mapcount} changes: the folio
     *     is already marked shared.</li>
     * </ol>
     * The kernel's 32-bit overflow handling does not apply (64-bit, int counts).
     *
     * @throws IllegalArgumentException if {@code head} is not a large folio head, {@code nr &lt;= 0}
     *         or {@code mmId} is not 1..65535
     */
    public int folioAddLargeMapcount(final long head, final int nr, final int mmId)
    {
        checkLargeHead(head, nr, mmId);
        if (!atomic)
        {
            return addLargeMapcount(head, nr, mmId);
        }
        folioLockLargeMapcount(head);
        try
        {
            return addLargeMapcount(head, nr, mmId);
        }
        finally
        {
            folioUnlockLargeMapcount(head);
        }
    }

    private int addLargeMapcount(final long head, final int nr, final int mmId)
    {
        final long p1 = head + 1;
        final int newMapcount = map.mapcountAdd(head, nr);
        final int ids = map.aux(p1);
        final int id0 = PageDescriptor.mmId0(ids);
        final int id1 = PageDescriptor.mmId1(ids);
        if (id0 == mmId)
        {
            map.setRefcount(p1, map.rawRefcount(p1) + nr);
        }
        else if (id1 == mmId)
        {
            map.setMapcount(p1, map.rawMapcount(p1) + nr);
        }
        else if (id0 == PageDescriptor.MM_ID_DUMMY)
        {
            map.setAux(p1, PageDescriptor.packMmIds(mmId, id1));
            map.setRefcount(p1, nr);
            if (newMapcount != nr)
            {
                map.setFlagBits(head, PG_MM_IDS_SHARED);
            }
        }
        else if (id1 == PageDescriptor.MM_ID_DUMMY)
        {
            map.setAux(p1, PageDescriptor.packMmIds(id0, mmId));
            map.setMapcount(p1, nr);
            map.setFlagBits(head, PG_MM_IDS_SHARED);
        }
        return newMapcount;
    }

    /**
     * Removes {@code nr} mappings owned by {@code mmId} from a large folio; returns the new
     * {@code large_mapcount}. Follows {@code folio_sub_return_large_mapcount} (include/linux/rmap.h,
     * CONFIG_MM_ID), translated to plain counts:
     * <ol>
     * <li>{@code large_mapcount -= nr};</li>
     * <li>if a slot holds {@code mmId}, its count -= nr; if that count is still &gt; 0, stop here
     *     (the shared bit is not re-evaluated); otherwise the slot is freed (id 0, count 0; a count
     *     that would go negative is clamped, as the kernel clamps to -1);</li>
     * <li>then, if either slot's count equals the new {@code large_mapcount}, one MM owns all
     *     mappings (or none are left) and the shared bit is cleared.</li>
     * </ol>
     * Mappings of an MM that never got a slot (a third MM) only lower {@code large_mapcount}; the
     * shared bit then stays set until one slot again accounts for every mapping.
     *
     * @throws IllegalArgumentException if {@code head} is not a large folio head, {@code nr &lt;= 0}
     *         or {@code mmId} is not 1..65535
     */
    public int folioSubLargeMapcount(final long head, final int nr, final int mmId)
    {
        checkLargeHead(head, nr, mmId);
        if (!atomic)
        {
            return subLargeMapcount(head, nr, mmId);
        }
        folioLockLargeMapcount(head);
        try
        {
            return subLargeMapcount(head, nr, mmId);
        }
        finally
        {
            folioUnlockLargeMapcount(head);
        }
    }

    private int subLargeMapcount(final long head, final int nr, final int mmId)
    {
        final long p1 = head + 1;
        final int newMapcount = map.mapcountAdd(head, -nr);
        final int ids = map.aux(p1);
        final int id0 = PageDescriptor.mmId0(ids);
        final int id1 = PageDescriptor.mmId1(ids);
        if (id0 == mmId)
        {
            final int c = map.rawRefcount(p1) - nr;
            if (c > 0)
            {
                map.setRefcount(p1, c);
                return newMapcount;
            }
            map.setRefcount(p1, 0);
            map.setAux(p1, PageDescriptor.packMmIds(PageDescriptor.MM_ID_DUMMY, id1));
        }
        else if (id1 == mmId)
        {
            final int c = map.rawMapcount(p1) - nr;
            if (c > 0)
            {
                map.setMapcount(p1, c);
                return newMapcount;
            }
            map.setMapcount(p1, 0);
            map.setAux(p1, PageDescriptor.packMmIds(id0, PageDescriptor.MM_ID_DUMMY));
        }
        if (map.rawRefcount(p1) == newMapcount || map.rawMapcount(p1) == newMapcount)
        {
            map.clearFlagBits(head, PG_MM_IDS_SHARED);
        }
        return newMapcount;
    }

    private void checkLargeHead(final long head, final int nr, final int mmId)
    {
        final int flags = map.flags(head);
        final int order = flags & PageDescriptor.ORDER_MASK;
        if (order == 0 || (head & ((1L << order) - 1)) != 0 || (flags & PG_HEAD) == 0)
        {
            throw new IllegalArgumentException("pfn " + head + " is not the head of a large folio (flags 0x"
                    + Integer.toHexString(flags) + ")");
        }
        if (nr <= 0)
        {
            throw new IllegalArgumentException("nr " + nr + " must be positive");
        }
        PageDescriptor.checkMmId(mmId);
    }
}
