package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTableLocks;
import io.forksim.pgtable.PageTables;
import io.forksim.stats.Events;

import java.util.ArrayList;
import java.util.List;

/**
 * Page faults (mm/memory.c, Linux 6.18), GUP pins and the user accesses that drive them.
 *
 * <pre>
 * fault(addr, write)
 *   no VMA / access not allowed            -> SEGV (nothing changes)
 *   pte none
 *     private anon: read  -> zero page (special, read-only)           do_anonymous_page
 *                   write -> new order-0 folio, PAE, young/dirty/writable
 *     file/shmem:   read  -> page-cache folio                          do_read_fault
 *                   write, shared  -> page-cache folio, dirty, writable do_shared_fault
 *                   write, private -> private anon copy                do_cow_fault
 *   swap entry    -> do_swap_page (then do_wp_page if a write still needs it)
 *   present, write, not writable -> do_wp_page
 *   present, access allowed      -> mkyoung (+ mkdirty) via ptep_set_access_flags
 * </pre>
 *
 * Every fault allocates what it needs before it changes anything visible; when simulated RAM runs out it
 * gives back what it allocated (folios, page-cache entries, page-table pages) and throws
 * {@link OutOfSimulatedMemoryException} (the kernel's VM_FAULT_OOM), leaving the machine as it was.
 *
 * <p>On a concurrent machine a fault holds the PTL of its PTE table from the {@code ptep_get} to the last
 * PTE store ({@code pte_offset_map_lock}; a table the fault itself allocates is locked once it exists), and
 * the large-folio reuse check reads the mapcount and MM-ID slots under the folio's large-mapcount lock.
 * The user accesses' hardware-style young/dirty updates ({@link #read}, {@link #write}) take no lock, as
 * the MMU takes none.
 */
final class Faults
{
    private Faults()
    {
    }

    /** {@code access_error}: a write needs VM_WRITE; a read needs the VMA to be accessible at all. */
    static boolean accessOk(final Vma vma, final boolean write)
    {
        if (write)
        {
            return (vma.flags & VmFlags.VM_WRITE) != 0;
        }
        return (vma.flags & (VmFlags.VM_READ | VmFlags.VM_WRITE | VmFlags.VM_EXEC)) != 0;
    }

    static Vma vmaFor(final Mm mm, final long addr)
    {
        return addr >= 0 && addr < PageTables.TASK_SIZE ? mm.findVma(addr) : null;
    }

    static OutOfSimulatedMemoryException oom(final Machine m, final int order)
    {
        return new OutOfSimulatedMemoryException(order, m.phys().freePageCount());
    }

    /** {@code handle_mm_fault}. Precondition: {@code mm} is alive. */
    static FaultResult fault(final Machine m, final Mm mm, final long address, final boolean write)
    {
        final Vma vma = vmaFor(mm, address);
        if (vma == null || !accessOk(vma, write))
        {
            return FaultResult.SEGV;
        }
        final Arch arch = m.arch();
        final Events ev = m.events();
        final long addr = address & -Arch.PAGE_SIZE;
        ev.faults++;
        final FaultResult huge = HugePmdFaults.fault(m, mm, vma, addr, write);
        if (huge != null)
        {
            return huge;
        }
        final Tables.Slot slot = Tables.lookup(m, mm, addr);
        final PageTableLocks ptl = m.pageTables().ptl();
        if (ptl == null || slot == null)
        {
            // single-threaded, or no PTE table yet (doPteNone allocates it and takes its PTL)
            return handlePte(m, mm, vma, addr, write, slot);
        }
        ptl.lock(slot.table);
        try
        {
            return handlePte(m, mm, vma, addr, write, slot);
        }
        finally
        {
            ptl.unlock(slot.table);
        }
    }

    /** {@code handle_pte_fault} (under the PTL on a concurrent machine). */
    private static FaultResult handlePte(final Machine m, final Mm mm, final Vma vma, final long addr, final boolean write,
        final Tables.Slot slot)
    {
        final Arch arch = m.arch();
        final Events ev = m.events();
        final long pte = slot == null ? 0 : arch.ptepGet(ev, slot.seg, slot.base, slot.idx);
        if (arch.pteNone(pte))
        {
            return doPteNone(m, mm, vma, addr, write, slot);
        }
        if (!arch.ptePresent(pte))
        {
            return SwapIn.doSwapPage(m, mm, vma, slot, pte, write);
        }
        if (write && !arch.pteWrite(pte))
        {
            final FaultResult r = doWpPage(m, mm, vma, slot, pte, PhysMem.NO_PFN);
            if (r == null)
            {
                throw oom(m, 0);
            }
            return r;
        }
        long entry = arch.pteMkyoung(pte);
        if (write)
        {
            entry = arch.pteMkdirty(entry);
        }
        arch.ptepSetAccessFlags(ev, slot.seg, slot.base, slot.idx, entry, write);
        return FaultResult.MAPPED;
    }

    // ---------------------------------------------------------------- none PTE

    private static FaultResult doPteNone(final Machine m, final Mm mm, final Vma vma, final long addr, final boolean write,
        final Tables.Slot existing)
    {
        final Tables.Created created = new Tables.Created();
        Tables.Slot slot = existing;
        if (slot == null)
        {
            slot = Tables.alloc(m, mm, addr, created);
            if (slot == null)
            {
                Tables.unwind(m, created);
                throw oom(m, 0);
            }
        }
        // a table fault() found is locked there; a table allocated here is locked now (concurrent machine)
        final PageTableLocks ptl = existing == null ? m.pageTables().ptl() : null;
        if (ptl != null)
        {
            ptl.lock(slot.table);
        }
        try
        {
            final FaultResult r;
            if (vma.file == null)
            {
                r = doAnonymousPage(m, mm, vma, slot, write);
            }
            else if (!write)
            {
                r = doFileFault(m, mm, vma, slot, addr, false);
            }
            else if (vma.isShared())
            {
                r = doFileFault(m, mm, vma, slot, addr, true);
            }
            else
            {
                r = doCowFault(m, mm, vma, slot, addr);
            }
            if (r == null)
            {
                Tables.unwind(m, created);
                throw oom(m, 0);
            }
            return r;
        }
        finally
        {
            if (ptl != null)
            {
                ptl.unlock(slot.table);
            }
        }
    }

    /** {@code do_anonymous_page}: the zero page for reads, a fresh exclusive order-0 folio for writes. */
    private static FaultResult doAnonymousPage(final Machine m, final Mm mm, final Vma vma, final Tables.Slot s,
        final boolean write)
    {
        final Arch arch = m.arch();
        final Events ev = m.events();
        if (!write)
        {
            final long pte = arch.pteMkspecial(arch.pfnPte(PhysMem.ZERO_PFN, vma.pageProt));
            arch.setPtes(ev, s.seg, s.base, s.idx, pte, 1);
            return FaultResult.MAPPED;
        }
        final MemMap memmap = m.memmap();
        final long pfn = Folios.alloc(m, 0, Folios.ANON_FLAGS);
        if (pfn == PhysMem.NO_PFN)
        {
            return null;
        }
        VmaMerge.anonVmaPrepare(mm, vma);
        memmap.setMapcount(pfn, 1); // folio_add_new_anon_rmap(RMAP_EXCLUSIVE)
        memmap.setAnonExclusive(pfn);
        long pte = arch.pfnPte(pfn, vma.pageProt);
        if ((vma.flags & VmFlags.VM_WRITE) != 0)
        {
            pte = arch.pteMkwrite(arch.pteMkdirty(pte));
        }
        mm.rss[Mm.MM_ANONPAGES]++;
        ev.rmapUpdate++;
        arch.setPtes(ev, s.seg, s.base, s.idx, pte, 1);
        return FaultResult.MAPPED;
    }

    /**
     * {@code do_read_fault} ({@code write == false}) and {@code do_shared_fault} ({@code write == true}, shared
     * VMA): map the page-cache folio. {@code finish_fault}/{@code set_pte_range}: from {@code vm_page_prot};
     * a write makes it dirty and writable ({@code maybe_mkwrite}); a read of a writable shared mapping maps a
     * dirty folio dirty.
     */
    private static FaultResult doFileFault(final Machine m, final Mm mm, final Vma vma, final Tables.Slot s,
        final long addr, final boolean write)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final long pfn = Folios.pageCacheGet(m, vma.file, vma.filePageIndex(addr), null);
        if (pfn == PhysMem.NO_PFN)
        {
            return null;
        }
        memmap.refAdd(pfn, 1);
        memmap.mapcountAdd(pfn, 1);
        long pte = arch.pfnPte(pfn, vma.pageProt);
        if (write)
        {
            memmap.setFlagBits(pfn, PageDescriptor.PG_DIRTY);
            pte = arch.pteMkdirty(pte);
            if ((vma.flags & VmFlags.VM_WRITE) != 0)
            {
                pte = arch.pteMkwrite(pte);
            }
        }
        else if (arch.pteWrite(pte) && (memmap.flags(pfn) & PageDescriptor.PG_DIRTY) != 0)
        {
            pte = arch.pteMkdirty(pte);
        }
        mm.rss[Folios.fileRssCounter(memmap.flags(pfn))]++;
        m.events().rmapUpdate++;
        m.events().refcountUpdate++;
        arch.setPtes(m.events(), s.seg, s.base, s.idx, pte, 1);
        return FaultResult.MAPPED;
    }

    /** {@code do_cow_fault}: a write to a private file mapping copies the page-cache page into a new anon folio. */
    private static FaultResult doCowFault(final Machine m, final Mm mm, final Vma vma, final Tables.Slot s, final long addr)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final long pfn = Folios.alloc(m, 0, Folios.ANON_FLAGS);
        if (pfn == PhysMem.NO_PFN)
        {
            return null;
        }
        final List<Long> createdCache = new ArrayList<>(1);
        final long src = Folios.pageCacheGet(m, vma.file, vma.filePageIndex(addr), createdCache);
        if (src == PhysMem.NO_PFN)
        {
            Folios.free(m, pfn);
            return null;
        }
        VmaMerge.anonVmaPrepare(mm, vma);
        memmap.setToken(pfn, memmap.token(src));
        memmap.setMapcount(pfn, 1);
        memmap.setAnonExclusive(pfn);
        long pte = arch.pteMkdirty(arch.pfnPte(pfn, vma.pageProt));
        if ((vma.flags & VmFlags.VM_WRITE) != 0)
        {
            pte = arch.pteMkwrite(pte);
        }
        mm.rss[Mm.MM_ANONPAGES]++;
        m.events().rmapUpdate++;
        m.events().cowCopies++;
        arch.setPtes(m.events(), s.seg, s.base, s.idx, pte, 1);
        return FaultResult.COW_COPIED;
    }

    // ---------------------------------------------------------------- write-protect faults

    /**
     * {@code do_wp_page}: shared mappings reuse ({@code wp_page_shared}); a private anon folio is reused if
     * the page is PageAnonExclusive or {@link #wpCanReuseAnonFolio} says the folio is exclusive to this mm;
     * everything else is copied ({@link #wpPageCopy}).
     *
     * @param prealloc an order-0 anon folio to use for a copy, or {@link PhysMem#NO_PFN}; freed if unused
     * @return the result, or null if a copy found no memory (nothing changed)
     */
    static FaultResult doWpPage(final Machine m, final Mm mm, final Vma vma, final Tables.Slot s, final long pte,
        final long prealloc)
    {
        return doWpPage(m, mm, vma, s, pte, prealloc, false);
    }

    /**
     * {@code do_wp_page}, also with {@code FAULT_FLAG_UNSHARE} ({@code unshare}, a private VMA only, from a
     * read-only longterm pin): a reusable anon page only becomes PageAnonExclusive (the PTE stays as it is);
     * anything else is copied into a new exclusive anon page mapped read-only and clean.
     */
    static FaultResult doWpPage(final Machine m, final Mm mm, final Vma vma, final Tables.Slot s, final long pte,
        final long prealloc, final boolean unshare)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final long pfn = arch.ptePfn(pte);
        if (arch.pteSpecial(pte) || pfn == PhysMem.ZERO_PFN)
        {
            return wpPageCopy(m, mm, vma, s, PhysMem.NO_PFN, prealloc, unshare, pte);
        }
        if ((vma.flags & (VmFlags.VM_SHARED | VmFlags.VM_MAYSHARE)) != 0)
        {
            memmap.setFlagBits(memmap.folioHead(pfn), PageDescriptor.PG_DIRTY);
            wpPageReuse(m, vma, s, pte);
            freeUnused(m, prealloc);
            return FaultResult.REUSED;
        }
        final long head = memmap.folioHead(pfn);
        if ((memmap.flags(head) & PageDescriptor.PG_ANON) != 0
            && (memmap.testAnonExclusive(pfn) || wpCanReuseAnonFolio(m, mm, head)))
        {
            memmap.setAnonExclusive(pfn);
            if (!unshare)
            {
                wpPageReuse(m, vma, s, pte);
            }
            m.events().cowReuses++;
            freeUnused(m, prealloc);
            return FaultResult.REUSED;
        }
        return wpPageCopy(m, mm, vma, s, pfn, prealloc, unshare, pte);
    }

    private static void freeUnused(final Machine m, final long prealloc)
    {
        if (prealloc != PhysMem.NO_PFN)
        {
            Folios.free(m, prealloc);
        }
    }

    /**
     * {@code wp_can_reuse_anon_folio}. Small folio: no reference besides this mapping (after freeing the swap
     * cache if no swap entry needs it any more). Large folio (6.15+, {@code __wp_can_reuse_large_anon_folio}):
     * more than one mapping, the MM-IDs-shared bit clear, {@code large_mapcount == refcount} (every reference
     * is a mapping: not pinned, not in the swap cache) and this mm owning all of them. A large folio mapped
     * only once is "freed up by copying". As in the kernel the quick checks run unlocked and the exact one under
     * {@code folio_lock_large_mapcount} (a no-op on a single-threaded machine), so that a concurrent mapping
     * change of another process cannot be half-seen.
     */
    static boolean wpCanReuseAnonFolio(final Machine m, final Mm mm, final long head)
    {
        final MemMap memmap = m.memmap();
        if (memmap.order(head) != 0)
        {
            if (memmap.largeMapcount(head) <= 1 || memmap.folioMmIdsShared(head))
            {
                return false;
            }
            memmap.folioLockLargeMapcount(head);
            try
            {
                final int lm = memmap.largeMapcount(head);
                if (lm <= 1 || memmap.folioMmIdsShared(head))
                {
                    return false;
                }
                return lm == memmap.rawRefcount(head) && memmap.folioMmIdMapcount(head, mm.id) == lm;
            }
            finally
            {
                memmap.folioUnlockLargeMapcount(head);
            }
        }
        final boolean swapcache = (memmap.flags(head) & PageDescriptor.PG_SWAPCACHE) != 0;
        if (memmap.rawRefcount(head) > 1 + (swapcache ? 1 : 0))
        {
            return false;
        }
        if (swapcache)
        {
            SwapCache.folioFreeSwap(m, head); // only when no swap PTE references the slot any more
        }
        return memmap.rawRefcount(head) == 1;
    }

    /** {@code wp_page_reuse}: young, dirty, writable (if VM_WRITE) in place via {@code ptep_set_access_flags}. */
    private static void wpPageReuse(final Machine m, final Vma vma, final Tables.Slot s, final long pte)
    {
        final Arch arch = m.arch();
        long entry = arch.pteMkdirty(arch.pteMkyoung(pte));
        if ((vma.flags & VmFlags.VM_WRITE) != 0)
        {
            entry = arch.pteMkwrite(entry);
        }
        arch.ptepSetAccessFlags(m.events(), s.seg, s.base, s.idx, entry, true);
    }

    /**
     * {@code wp_page_copy}: a new order-0 anon folio (zeroed for the zero page) with the old page's token;
     * {@code ptep_clear_flush} of the old entry, then the new entry young, dirty, writable if VM_WRITE, PAE on
     * the new page; only then the old mapping's rmap and reference go (the old folio is freed at refcount 0).
     *
     * With {@code unshare} the new entry is neither dirty nor writable and keeps the old one's soft-dirty and
     * uffd-wp bits.
     *
     * @param oldPfn the page mapped so far, or {@link PhysMem#NO_PFN} for the zero page
     * @param orig the PTE being replaced
     */
    private static FaultResult wpPageCopy(final Machine m, final Mm mm, final Vma vma, final Tables.Slot s,
        final long oldPfn, final long prealloc, final boolean unshare, final long orig)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final Events ev = m.events();
        final long pfn = prealloc != PhysMem.NO_PFN ? prealloc : Folios.alloc(m, 0, Folios.ANON_FLAGS);
        if (pfn == PhysMem.NO_PFN)
        {
            return null;
        }
        VmaMerge.anonVmaPrepare(mm, vma);
        memmap.setToken(pfn, oldPfn == PhysMem.NO_PFN ? 0 : memmap.token(oldPfn));
        long entry = arch.pfnPte(pfn, vma.pageProt);
        if (unshare)
        {
            entry = arch.pteSoftDirty(orig) ? arch.pteMksoftDirty(entry) : arch.pteClearSoftDirty(entry);
            entry = arch.pteUffdWp(orig) ? arch.pteMkuffdWp(entry) : entry;
        }
        else
        {
            entry = arch.pteMkdirty(entry);
            if ((vma.flags & VmFlags.VM_WRITE) != 0)
            {
                entry = arch.pteMkwrite(entry);
            }
        }
        arch.ptepClearFlush(ev, s.seg, s.base, s.idx);
        memmap.setMapcount(pfn, 1);
        memmap.setAnonExclusive(pfn);
        arch.setPtes(ev, s.seg, s.base, s.idx, entry, 1);
        ev.rmapUpdate++;
        if (oldPfn != PhysMem.NO_PFN)
        {
            final long head = memmap.folioHead(oldPfn);
            final int hflags = memmap.flags(head);
            if ((hflags & PageDescriptor.PG_ANON) == 0)
            {
                mm.rss[Folios.fileRssCounter(hflags)]--;
                mm.rss[Mm.MM_ANONPAGES]++;
            }
            Folios.removeRmap(memmap, head, 1, mm.id);
            SwapCache.freeSwapCache(m, head);
            Folios.put(m, head, 1);
            ev.rmapUpdate++;
            ev.refcountUpdate++;
        }
        else
        {
            mm.rss[Mm.MM_ANONPAGES]++;
        }
        ev.cowCopies++;
        return FaultResult.COW_COPIED;
    }

    // ---------------------------------------------------------------- user accesses and GUP

    static IllegalStateException segv(final long addr)
    {
        return new IllegalStateException("SIGSEGV at 0x" + Long.toHexString(addr));
    }

    /**
     * A user load: the MMU walks the PTE (setting the accessed bit as hardware does on x86 and arm64 with
     * FEAT_HAFDBS, {@link Arch#hwAccessFlags}: in the one entry walked on arm64), faulting first if it is not
     * present.
     */
    static long read(final Machine m, final Mm mm, final long addr)
    {
        final Vma vma = vmaFor(mm, addr);
        if (vma == null || !accessOk(vma, false))
        {
            throw segv(addr);
        }
        final Arch arch = m.arch();
        Tables.Slot s = Tables.lookup(m, mm, addr);
        final long pte = s == null ? 0 : arch.ptepGet(m.events(), s.seg, s.base, s.idx);
        if (!arch.ptePresent(pte) || arch.pteNone(pte))
        {
            fault(m, mm, addr, false);
            s = Tables.lookup(m, mm, addr);
            return m.memmap().token(arch.ptePfn(s.peek()));
        }
        arch.hwAccessFlags(m.events(), s.seg, s.base, s.idx, pte, false);
        return m.memmap().token(arch.ptePfn(pte));
    }

    /** A user store of {@code token}: faults unless the PTE is present and writable, then sets young/dirty. */
    static void write(final Machine m, final Mm mm, final long addr, final long token)
    {
        final Vma vma = vmaFor(mm, addr);
        if (vma == null || !accessOk(vma, true))
        {
            throw segv(addr);
        }
        final Arch arch = m.arch();
        Tables.Slot s = Tables.lookup(m, mm, addr);
        final long pte = s == null ? 0 : arch.ptepGet(m.events(), s.seg, s.base, s.idx);
        final long pfn;
        if (arch.pteNone(pte) || !arch.ptePresent(pte) || !arch.pteWrite(pte))
        {
            fault(m, mm, addr, true);
            s = Tables.lookup(m, mm, addr);
            pfn = arch.ptePfn(s.peek());
        }
        else
        {
            arch.hwAccessFlags(m.events(), s.seg, s.base, s.idx, pte, true); // the MMU sets A/D itself: no fault, no flush
            pfn = arch.ptePfn(pte);
        }
        m.memmap().setToken(pfn, token);
    }
}
