package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.stats.Events;

/**
 * Swap-in of an order-0 page ({@code do_swap_page}, mm/memory.c, Linux 6.18), with the swap-cache rules of
 * {@link SwapCache}.
 */
final class SwapIn
{
    private SwapIn()
    {
    }

    /**
     * {@code do_swap_page} for an order-0 folio. The folio comes from the swap cache if the slot has one;
     * otherwise it is read from the slot: into a new folio that stays out of the swap cache when the slot's
     * count is 1 (the {@code SWP_SYNCHRONOUS_IO} path: "fresh page not exposed to the swapcache -> certainly
     * exclusive"), or into the swap cache when other swap PTEs still reference the slot, so that their
     * processes map the same folio later.
     *
     * <p>Then, as in the kernel: the fault holds its own reference on the folio (it becomes the mapping's);
     * {@code swap_free_nr} drops the swap count; if {@link SwapCache#shouldTryToFreeSwap} (swap more than half
     * full, VM_LOCKED, or a write fault with nothing but the cache and the fault referencing the folio),
     * {@link SwapCache#folioFreeSwap} drops the folio from the swap cache when no swap PTE references the slot
     * any more. Otherwise the folio stays in the swap cache, also when this was the slot's last swap PTE
     * (the slot is then in use with only the cache). The page is mapped exclusive (PAE, writable if VM_WRITE,
     * dirty on a write fault) if the swap PTE was SWP_EXCLUSIVE, the folio is fresh, or the fault's reference is
     * the folio's only one; else read-only, and a write fault goes on to {@code do_wp_page}.
     *
     * <p>Precondition: {@code orig} is the swap PTE at {@code s}, in {@code vma} of {@code mm}, and the access
     * is allowed. Out of RAM it throws {@link io.forksim.mem.OutOfSimulatedMemoryException} and nothing has changed.
     */
    static FaultResult doSwapPage(final Machine m, final Mm mm, final Vma vma, final Tables.Slot s,
        final long orig, final boolean write)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final SwapSpace swap = m.swap();
        final Events ev = m.events();
        if (arch.pteSwpType(orig) != SwapSpace.SWAP_TYPE)
        {
            throw new IllegalStateException("non-swap entry 0x" + Long.toHexString(orig) + " in " + mm);
        }
        final long offset = arch.pteSwpOffset(orig);
        final int count = swap.count(offset);
        final long cached = swap.cachePfn(offset);
        boolean exclusive = arch.pteSwpExclusive(orig);
        final long pfn;
        if (cached >= 0)
        {
            pfn = cached;
        }
        else
        {
            pfn = Folios.alloc(m, 0, Folios.ANON_FLAGS);
            if (pfn == PhysMem.NO_PFN)
            {
                throw Faults.oom(m, 0);
            }
            memmap.setRefcount(pfn, 0);
            memmap.setToken(pfn, swap.token(offset));
            if (count > 1)
            {
                memmap.setFlagBits(pfn, PageDescriptor.PG_SWAPCACHE);
                memmap.refAdd(pfn, 1);
                swap.cacheAdd(offset, pfn);
            }
            else
            {
                exclusive = true;
            }
            ev.swapIns++;
        }
        // What swap_free_nr, should_try_to_free_swap and the exclusive check will decide, worked out before
        // anything else changes: a write that still needs do_wp_page copies (the folio is not the fault's alone),
        // so its page is taken now and running out of RAM changes nothing. Refcounts include the fault's own.
        final int refs = memmap.rawRefcount(pfn) + 1;
        final boolean tryFreeSwap = SwapCache.shouldTryToFreeSwap(m, vma, pfn, write, refs);
        final boolean mapExclusive = exclusive || refs - (tryFreeSwap && count == 1 ? 1 : 0) == 1;
        long prealloc = PhysMem.NO_PFN;
        if (write && !mapExclusive)
        {
            prealloc = Folios.alloc(m, 0, Folios.ANON_FLAGS);
            if (prealloc == PhysMem.NO_PFN)
            {
                if (cached < 0)
                {
                    if (count > 1)
                    {
                        swap.cacheDel(offset);
                    }
                    Folios.free(m, pfn);
                    ev.swapIns--;
                }
                throw Faults.oom(m, 0);
            }
        }
        memmap.refAdd(pfn, 1);
        swap.put(offset);
        if (tryFreeSwap)
        {
            SwapCache.folioFreeSwap(m, pfn);
        }
        if (mapExclusive != (exclusive || memmap.rawRefcount(pfn) == 1))
        {
            throw new IllegalStateException("do_swap_page at slot " + offset + ": pfn " + pfn + " has refcount "
                + memmap.rawRefcount(pfn) + ", not what the fault worked out");
        }
        long pte = arch.pfnPte(pfn, vma.pageProt);
        if (arch.pteSwpSoftDirty(orig))
        {
            pte = arch.pteMksoftDirty(pte);
        }
        boolean writeDone = false;
        if (mapExclusive)
        {
            if ((vma.flags & VmFlags.VM_WRITE) != 0)
            {
                pte = arch.pteMkwrite(pte);
                if (write)
                {
                    pte = arch.pteMkdirty(pte);
                    writeDone = true;
                }
            }
            memmap.setAnonExclusive(pfn);
        }
        memmap.mapcountAdd(pfn, 1);
        mm.rss[Mm.MM_ANONPAGES]++;
        mm.rss[Mm.MM_SWAPENTS]--;
        ev.rmapUpdate++;
        ev.refcountUpdate++;
        arch.setPtes(ev, s.seg, s.base, s.idx, pte, 1);
        if (write && !writeDone)
        {
            final FaultResult r = Faults.doWpPage(m, mm, vma, s, s.peek(), prealloc);
            if (r == null)
            {
                throw new IllegalStateException("do_wp_page after swap-in ran out of memory despite the preallocated page");
            }
        }
        else if (prealloc != PhysMem.NO_PFN)
        {
            Folios.free(m, prealloc);
        }
        return FaultResult.SWAPPED_IN;
    }
}
