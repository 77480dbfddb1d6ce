package io.forksim.mm;

import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;

/**
 * Folio life cycle and rmap bookkeeping shared by faults, zap, pageout and the page cache, following the
 * memmap model (forksim's {@code CONFIG_NO_PAGE_MAPCOUNT}): an order-0 folio keeps a plain mapcount, a large
 * folio only {@code large_mapcount} on its head plus the MM-ID slots in page[1].
 *
 * <p>References: every PTE mapping a page holds one reference on its folio; a pin holds
 * {@value PageDescriptor#GUP_PIN_COUNTING_BIAS} (order 0) or 1 plus one {@code _pincount} (large); the page
 * cache and the swap cache hold one each. A folio whose refcount reaches 0 goes back to the buddy allocator.
 */
final class Folios
{
    static final int ANON_FLAGS = PageDescriptor.PG_ANON | PageDescriptor.PG_SWAPBACKED;

    private Folios()
    {
    }

    /**
     * Allocates and preps a folio of {@code order} (refcount 1, every other count 0, tokens 0, PAE clear).
     *
     * @return the head PFN or {@link PhysMem#NO_PFN}; nothing changes on failure
     */
    static long alloc(final Machine m, final int order, final int flags)
    {
        final long pfn = m.phys().allocPages(order);
        if (pfn == PhysMem.NO_PFN)
        {
            return PhysMem.NO_PFN;
        }
        m.memmap().prepFolio(pfn, order, flags);
        m.events().foliosAllocated++;
        return pfn;
    }

    /** Gives a folio back to the buddy allocator (its records and PageAnonExclusive bytes are zeroed by {@code freePages}). */
    static void free(final Machine m, final long head)
    {
        final MemMap mm = m.memmap();
        final int order = mm.order(head);
        m.phys().freePages(head, order);
        m.events().foliosFreed++;
    }

    /** {@code folio_put} of {@code nr} references: frees the folio when the last one goes. */
    static void put(final Machine m, final long head, final int nr)
    {
        if (m.memmap().refAdd(head, -nr) == 0)
        {
            free(m, head);
        }
    }

    /** Adds {@code nr} PTE mappings of pages of the folio at {@code head} by {@code mmId} (rmap + no refcount). */
    static void addRmap(final MemMap mm, final long head, final int nr, final int mmId)
    {
        if (mm.order(head) == 0)
        {
            mm.mapcountAdd(head, nr);
        }
        else
        {
            mm.folioAddLargeMapcount(head, nr, mmId);
        }
    }

    /** {@code folio_remove_rmap_ptes}: removes {@code nr} PTE mappings by {@code mmId}. */
    static void removeRmap(final MemMap mm, final long head, final int nr, final int mmId)
    {
        if (mm.order(head) == 0)
        {
            mm.mapcountAdd(head, -nr);
        }
        else
        {
            mm.folioSubLargeMapcount(head, nr, mmId);
        }
    }

    /** Pins the folio holding {@code pfn} ({@code try_grab_folio(FOLL_PIN)}). */
    static void pin(final Machine m, final long pfn)
    {
        final MemMap mm = m.memmap();
        final long head = mm.folioHead(pfn);
        if (mm.order(head) == 0)
        {
            mm.refAdd(head, PageDescriptor.GUP_PIN_COUNTING_BIAS);
        }
        else
        {
            mm.folioLockLargeMapcount(head); // _pincount is an atomic_t; a no-op lock on a single-threaded machine
            try
            {
                mm.setPincount(head, mm.pincount(head) + 1);
            }
            finally
            {
                mm.folioUnlockLargeMapcount(head);
            }
            mm.refAdd(head, 1);
        }
        m.events().refcountUpdate++;
    }

    /** {@code unpin_user_page}: drops one pin; frees the folio if that was its last reference. */
    static void unpin(final Machine m, final long pfn)
    {
        final MemMap mm = m.memmap();
        final long head = mm.folioHead(pfn);
        if (mm.order(head) == 0)
        {
            put(m, head, PageDescriptor.GUP_PIN_COUNTING_BIAS);
        }
        else
        {
            mm.folioLockLargeMapcount(head);
            try
            {
                mm.setPincount(head, mm.pincount(head) - 1);
            }
            finally
            {
                mm.folioUnlockLargeMapcount(head);
            }
            put(m, head, 1);
        }
        m.events().refcountUpdate++;
    }

    // ---------------------------------------------------------------- page cache

    /**
     * {@code filemap_get_folio} with creation: the order-0 page-cache folio of page {@code index}, read in with
     * the file's initial token when absent (the cache takes one reference).
     *
     * @param created if not null and a folio was created, its index is recorded so that a failing operation
     *                can take it out again ({@link #uncache})
     * @return the PFN or {@link PhysMem#NO_PFN} when simulated RAM is exhausted (nothing changed)
     */
    static long pageCacheGet(final Machine m, final SimFile file, final long index, final java.util.List<Long> created)
    {
        if (!m.concurrent())
        {
            return pageCacheGetLocked(m, file, index, created);
        }
        synchronized (file.pageCache) // the mapping's i_pages lock: lookup-or-insert is one step
        {
            return pageCacheGetLocked(m, file, index, created);
        }
    }

    private static long pageCacheGetLocked(final Machine m, final SimFile file, final long index, final java.util.List<Long> created)
    {
        final Long cached = file.pageCache.get(index);
        if (cached != null)
        {
            return cached;
        }
        final int flags = PageDescriptor.PG_FILE | (file.isShmem() ? PageDescriptor.PG_SWAPBACKED : 0);
        final long pfn = alloc(m, 0, flags);
        if (pfn == PhysMem.NO_PFN)
        {
            return PhysMem.NO_PFN;
        }
        m.memmap().setToken(pfn, file.initialToken(index));
        file.pageCache.put(index, pfn);
        if (created != null)
        {
            created.add(index);
        }
        return pfn;
    }

    /** Takes page {@code index} out of the page cache (drops the cache's reference). */
    static void uncache(final Machine m, final SimFile file, final long index)
    {
        final Long pfn;
        if (m.concurrent())
        {
            synchronized (file.pageCache)
            {
                pfn = file.pageCache.remove(index);
            }
        }
        else
        {
            pfn = file.pageCache.remove(index);
        }
        if (pfn != null)
        {
            put(m, pfn, 1);
        }
    }

    /** {@code truncate_inode_pages}: empties the page cache of {@code file}. */
    static void truncate(final Machine m, final SimFile file)
    {
        final java.util.List<Long> indices;
        if (m.concurrent())
        {
            synchronized (file.pageCache)
            {
                indices = new java.util.ArrayList<>(file.pageCache.keySet());
            }
        }
        else
        {
            indices = new java.util.ArrayList<>(file.pageCache.keySet());
        }
        for (final Long index : indices)
        {
            uncache(m, file, index);
        }
    }

    /** RSS counter of a mapped non-anon folio: shmem (swap-backed) or file. */
    static int fileRssCounter(final int headFlags)
    {
        return (headFlags & PageDescriptor.PG_SWAPBACKED) != 0 ? Mm.MM_SHMEMPAGES : Mm.MM_FILEPAGES;
    }

    /** RSS counter of a mapped folio. */
    static int rssCounter(final int headFlags)
    {
        return (headFlags & PageDescriptor.PG_ANON) != 0 ? Mm.MM_ANONPAGES : fileRssCounter(headFlags);
    }
}
