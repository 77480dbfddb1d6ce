package io.forksim.mm;

import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;

/**
 * When a folio leaves the swap cache: Linux 6.18's rules ({@code mm/swapfile.c}, {@code mm/swap_state.c},
 * {@code mm/memory.c}), per path that drops a swap count or a mapping. The swap cache holds one reference on
 * its folio and sets {@code PG_SWAPCACHE}; the slot's {@link SwapSpace} count is the number of swap PTEs that
 * reference it. forksim's swap cache holds order-0 folios only.
 *
 * <table>
 *   <caption>who drops a swap-cache folio</caption>
 *   <tr><th>path (kernel function)</th><th>rule</th><th>forksim</th></tr>
 *   <tr><td>zap of a swap PTE: munmap, exit, MADV_DONTNEED ({@code zap_nonpresent_ptes} &rarr;
 *       {@code free_swap_and_cache_nr} &rarr; {@code __try_to_reclaim_swap(TTRS_UNMAPPED | TTRS_FULL)})</td>
 *       <td>count - 1; if the slot is left with only the cache, the folio leaves it only if no PTE maps it
 *       ({@code !folio_mapped}) or swap is more than half full ({@code mem_cgroup_swap_full}); a folio that is
 *       still mapped stays in the swap cache and keeps its slot</td>
 *       <td>{@link #freeSwapAndCache}</td></tr>
 *   <tr><td>swap-in ({@code do_swap_page}: {@code swap_free_nr}, then {@code should_try_to_free_swap} &rarr;
 *       {@code folio_free_swap})</td>
 *       <td>count - 1, then the folio leaves the cache only if swap is more than half full, the VMA is
 *       VM_LOCKED (or the folio mlocked, which forksim does not model), or on a write fault when nothing but the
 *       cache and this fault references the folio; and even then only if no swap PTE references the slot</td>
 *       <td>{@link #shouldTryToFreeSwap}, {@link #folioFreeSwap} (called by {@link SwapIn#doSwapPage})</td></tr>
 *   <tr><td>write fault on a mapped swap-cache folio ({@code wp_can_reuse_anon_folio} &rarr;
 *       {@code folio_free_swap})</td>
 *       <td>the folio leaves the cache if no swap PTE references its slot</td><td>{@link #folioFreeSwap}</td></tr>
 *   <tr><td>zap of the last PTE mapping it ({@code tlb_finish_mmu} &rarr; {@code free_pages_and_swap_cache}
 *       &rarr; {@code free_swap_cache}); the old folio of a COW copy ({@code wp_page_copy} &rarr;
 *       {@code free_swap_cache})</td>
 *       <td>if no PTE maps it any more, {@code folio_free_swap}</td><td>{@link #freeSwapCache} (from the zap of
 *       the entry, before its reference goes; the kernel does it when the gather's batch is flushed, and nothing
 *       in between looks at the folio)</td></tr>
 *   <tr><td>reclaim ({@code shrink_folio_list}: {@code try_to_unmap_one}'s {@code swap_duplicate}, then
 *       {@code __remove_mapping})</td>
 *       <td>the folio's PTEs become swap entries of its slot (count + 1 each, also from 0), then it leaves the
 *       cache</td><td>{@code Pageout.reclaim}</td></tr>
 *   <tr><td>fork ({@code copy_nonpresent_pte} &rarr; {@code swap_duplicate})</td>
 *       <td>count + 1; the swap cache is not touched</td><td>{@code CopyContext}</td></tr>
 * </table>
 *
 * <p>Leaving the swap cache ({@code swap_cache_del_folio}) clears {@code PG_SWAPCACHE}, frees the slot if its
 * count is 0 and drops the cache's reference; {@code folio_free_swap} and {@code __try_to_reclaim_swap} also
 * mark the folio dirty ({@code folio_set_dirty}: its data is no longer on swap), reclaim does not (it frees
 * the folio).
 * These steps touch no page-table entry and count no event but {@code foliosFreed} when a folio is freed.
 *
 * <p>Precondition of every method: the machine is single-threaded or the caller holds what the kernel's folio
 * lock would (forksim's concurrent workload does not swap).
 */
final class SwapCache
{
    private SwapCache()
    {
    }

    /**
     * {@code free_swap_and_cache_nr} for one swap PTE being removed: one swap count less; if the slot is left
     * with only its swap-cache folio, {@code __try_to_reclaim_swap(TTRS_UNMAPPED | TTRS_FULL)} drops the folio
     * from the swap cache if no PTE maps it or swap is more than half full.
     *
     * <p>Precondition: a swap PTE references {@code offset} and has just been cleared.
     */
    static void freeSwapAndCache(final Machine m, final long offset)
    {
        final long cached = m.swap().put(offset);
        if (cached >= 0 && (m.memmap().folioMapcount(cached) == 0 || m.swap().vmSwapFull()))
        {
            deleteAndDirty(m, cached);
        }
    }

    /**
     * {@code should_try_to_free_swap} of {@code do_swap_page}: the folio is in the swap cache, and swap is more
     * than half full, or the VMA is VM_LOCKED, or this is a write fault and nothing but the swap cache and the
     * fault references the folio ({@code folio_ref_count == 1 + nr_pages}). Whether {@link #folioFreeSwap} then
     * succeeds depends on the slot's count after {@code swap_free_nr}.
     *
     * @param pfn the order-0 folio being swapped in
     * @param refs its refcount including the fault's own reference
     */
    static boolean shouldTryToFreeSwap(final Machine m, final Vma vma, final long pfn, final boolean write, final int refs)
    {
        if ((m.memmap().flags(pfn) & PageDescriptor.PG_SWAPCACHE) == 0)
        {
            return false;
        }
        if (m.swap().vmSwapFull() || (vma.flags & VmFlags.VM_LOCKED) != 0)
        {
            return true;
        }
        return write && refs == 2;
    }

    /**
     * {@code folio_free_swap}: drops the order-0 folio at {@code pfn} from the swap cache if it is in it and no
     * swap PTE references its slot ({@code !folio_swapped}). (The kernel's returns whether it did; none of
     * forksim's callers, like none of mm/memory.c's, looks.)
     */
    static void folioFreeSwap(final Machine m, final long pfn)
    {
        if ((m.memmap().flags(pfn) & PageDescriptor.PG_SWAPCACHE) != 0 && m.swap().count(m.swap().cacheSlotOf(pfn)) == 0)
        {
            deleteAndDirty(m, pfn);
        }
    }

    /**
     * {@code free_swap_cache}: a folio whose mapping was just removed leaves the swap cache if it is in it, no
     * PTE maps it any more and no swap PTE references its slot.
     *
     * <p>Precondition: the caller still holds a reference on the folio (its mapping's, dropped after this).
     */
    static void freeSwapCache(final Machine m, final long head)
    {
        final MemMap memmap = m.memmap();
        if ((memmap.flags(head) & PageDescriptor.PG_SWAPCACHE) != 0 && memmap.folioMapcount(head) == 0)
        {
            folioFreeSwap(m, head);
        }
    }

    /**
     * {@code swap_cache_del_folio}: the order-0 folio at {@code pfn} leaves the swap cache: its slot loses
     * {@code SWAP_HAS_CACHE} (and is free if its count is 0), {@code PG_SWAPCACHE} is cleared and the cache's
     * reference is dropped (freeing the folio if it was the last).
     *
     * <p>Precondition: the folio is in the swap cache.
     */
    static void swapCacheDelFolio(final Machine m, final long pfn)
    {
        m.swap().cacheDel(m.swap().cacheSlotOf(pfn));
        m.memmap().clearFlagBits(pfn, PageDescriptor.PG_SWAPCACHE);
        Folios.put(m, pfn, 1);
    }

    /**
     * What {@code folio_free_swap} and {@code __try_to_reclaim_swap} do once they decided: {@code folio_set_dirty}
     * (the data is no longer on swap; set first here because forksim frees the folio in the same call when the
     * cache held its last reference) and {@link #swapCacheDelFolio}.
     */
    private static void deleteAndDirty(final Machine m, final long pfn)
    {
        m.memmap().setFlagBits(pfn, PageDescriptor.PG_DIRTY);
        swapCacheDelFolio(m, pfn);
    }
}
