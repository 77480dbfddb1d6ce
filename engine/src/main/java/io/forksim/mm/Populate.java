package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTables;
import io.forksim.stats.Events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Populating a range the way write faults with an mTHP size of {@code order} would: per folio, one
 * {@code set_ptes(nr = 1 << order)} ({@code do_anonymous_page} with {@code alloc_anon_folio}: young, dirty and
 * writable), then a user write of a fresh token into every page. A private anonymous mapping without VM_WRITE
 * (MAP_POPULATE on PROT_READ) read-faults instead: every page maps the shared zero page (special, read-only,
 * no anon_vma, no RSS) and no token is written. Shared mappings (shmem or file) get order-0 page-cache folios
 * ({@code do_shared_fault}), whatever {@code order} is (it still sets the alignment the range must have).
 *
 * <p>Two phases: first every table and folio is allocated and mapped; only when all of that succeeded are
 * the tokens written (so the machine's token counter and page contents are untouched by a failure). If
 * simulated RAM runs out in the first phase, everything mapped so far is zapped, page-cache folios created
 * are dropped, {@code anon_vma} flags are restored and the new page-table pages are freed.
 */
final class Populate
{
    static final int MAX_ORDER = 9;

    private Populate()
    {
    }

    static void populate(final Machine m, final Mm mm, final long addr, final long len, final int order)
    {
        final Arch arch = m.arch();
        if (order < 0 || order > MAX_ORDER)
        {
            throw new IllegalArgumentException("order " + order + " is out of range 0.." + MAX_ORDER);
        }
        final long size = Arch.PAGE_SIZE << order;
        if (addr < 0 || (addr & (size - 1)) != 0)
        {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(addr) + " is not aligned to the folio size "
                + size + " (order " + order + ")");
        }
        if (len <= 0 || (len & (size - 1)) != 0)
        {
            throw new IllegalArgumentException("length " + len + " is not a positive multiple of the folio size " + size
                + " (order " + order + ")");
        }
        final long end = addr + len;
        if (end > PageTables.TASK_SIZE || end < addr)
        {
            throw new IllegalArgumentException("range 0x" + Long.toHexString(addr) + "+" + len + " goes beyond TASK_SIZE 0x"
                + Long.toHexString(PageTables.TASK_SIZE));
        }
        // Validate coverage, kind and folio placement.
        for (long a = addr; a < end; a += size)
        {
            final Vma v = mm.findVma(a);
            if (v == null)
            {
                throw new IllegalArgumentException("no mapping at 0x" + Long.toHexString(a) + " to populate");
            }
            if (v.file != null && !v.isShared())
            {
                throw new IllegalArgumentException("cannot populate private file mapping " + v
                    + ": only private anonymous or shared mappings");
            }
            if (!Faults.accessOk(v, false))
            {
                throw new IllegalArgumentException("cannot populate inaccessible (PROT_NONE) mapping " + v);
            }
            if (a + size > v.end)
            {
                throw new IllegalArgumentException("folio at 0x" + Long.toHexString(a) + " of order " + order
                    + " would straddle the end of " + v);
            }
            if (HugePmdFaults.leaf(m, mm, a) != 0)
            {
                throw new IllegalArgumentException("0x" + Long.toHexString(a) + " is already mapped by a PMD-mapped THP:"
                    + " populate needs an empty range");
            }
        }
        final PageTables pt = m.pageTables();
        final long[] busy = {-1, 0};
        pt.forEachPteTable(mm.pgd, addr, end, (table, tableVa) ->
        {
            if (busy[0] >= 0)
            {
                return;
            }
            final long from = Math.max(addr, tableVa);
            final long to = Math.min(end, tableVa + PageTables.PMD_SIZE);
            final int i0 = PageTables.pteIndex(from);
            final int n = (int)((to - from) >>> Arch.PAGE_SHIFT);
            for (int i = i0; i < i0 + n; i++)
            {
                final long pte = Arch.peek(pt.segment(table), pt.base(table), i);
                if (!arch.pteNone(pte))
                {
                    busy[0] = tableVa + ((long)i << Arch.PAGE_SHIFT);
                    busy[1] = pte;
                    return;
                }
            }
        });
        if (busy[0] >= 0)
        {
            throw new IllegalArgumentException("0x" + Long.toHexString(busy[0]) + " is already mapped (pte 0x"
                + Long.toHexString(busy[1]) + "): populate needs an empty range");
        }

        // Phase 1: allocate and map.
        final MemMap memmap = m.memmap();
        final Events ev = m.events();
        final Tables.Created created = new Tables.Created();
        final Map<SimFile, List<Long>> createdCache = new HashMap<>();
        final List<Vma> anonVmaSet = new ArrayList<>();
        final List<Long> cleanBefore = new ArrayList<>();
        final int nr = 1 << order;
        long mappedEnd = addr;
        try
        {
            for (long a = addr; a < end; a += size)
            {
                final Vma v = mm.findVma(a);
                final Tables.Slot s = Tables.alloc(m, mm, a, created);
                if (s == null)
                {
                    throw Faults.oom(m, 0);
                }
                if (v.file == null && (v.flags & VmFlags.VM_WRITE) == 0)
                {
                    // do_anonymous_page without FAULT_FLAG_WRITE: the shared zero page, special, read-only; no anon_vma
                    final long zero = arch.pteMkspecial(arch.pfnPte(PhysMem.ZERO_PFN, v.pageProt));
                    for (int j = 0; j < nr; j++)
                    {
                        arch.setPtes(ev, s.seg, s.base, s.idx + j, zero, 1); // one fault per page, each the same PFN
                    }
                    ev.faults += nr;
                    mappedEnd = a + size;
                }
                else if (v.file == null)
                {
                    final long pfn = Folios.alloc(m, order, Folios.ANON_FLAGS);
                    if (pfn == PhysMem.NO_PFN)
                    {
                        throw Faults.oom(m, order);
                    }
                    if (VmaMerge.anonVmaPrepare(mm, v))
                    {
                        anonVmaSet.add(v);
                    }
                    memmap.setRefcount(pfn, nr);
                    if (order == 0)
                    {
                        memmap.setMapcount(pfn, 1);
                    }
                    else
                    {
                        memmap.folioSetLargeMapcount(pfn, nr, mm.id);
                    }
                    memmap.setAnonExclusiveRange(pfn, nr);
                    long pte = arch.pfnPte(pfn, v.pageProt);
                    if ((v.flags & VmFlags.VM_WRITE) != 0)
                    {
                        pte = arch.pteMkwrite(arch.pteMkdirty(pte));
                    }
                    arch.setPtes(ev, s.seg, s.base, s.idx, pte, nr);
                    mm.rss[Mm.MM_ANONPAGES] += nr;
                    ev.faults++;
                    ev.rmapUpdate++;
                    ev.refcountUpdate++;
                    mappedEnd = a + size;
                }
                else
                {
                    for (int j = 0; j < nr; j++)
                    {
                        final long pa = a + ((long)j << Arch.PAGE_SHIFT);
                        final long pfn = Folios.pageCacheGet(m, v.file, v.filePageIndex(pa),
                            createdCache.computeIfAbsent(v.file, f -> new ArrayList<>()));
                        if (pfn == PhysMem.NO_PFN)
                        {
                            throw Faults.oom(m, 0);
                        }
                        if ((memmap.flags(pfn) & PageDescriptor.PG_DIRTY) == 0)
                        {
                            cleanBefore.add(pfn);
                        }
                        memmap.refAdd(pfn, 1);
                        memmap.mapcountAdd(pfn, 1);
                        long pte = arch.pfnPte(pfn, v.pageProt);
                        if ((v.flags & VmFlags.VM_WRITE) != 0)
                        {
                            pte = arch.pteMkwrite(arch.pteMkdirty(pte)); // do_shared_fault: maybe_mkwrite(pte_mkdirty())
                        }
                        arch.setPtes(ev, s.seg, s.base, s.idx + j, pte, 1);
                        mm.rss[Folios.fileRssCounter(memmap.flags(pfn))]++;
                        ev.faults++;
                        ev.rmapUpdate++;
                        ev.refcountUpdate++;
                        mappedEnd = pa + Arch.PAGE_SIZE;
                    }
                }
            }
        }
        catch (final OutOfSimulatedMemoryException e)
        {
            final Zap.Gather g = new Zap.Gather();
            for (int i = mm.vmas.firstFrom(addr); i < mm.vmas.size() && mm.vmas.get(i).start < mappedEnd; i++)
            {
                final Vma v = mm.vmas.get(i);
                final long zs = Math.max(addr, v.start);
                final long ze = Math.min(mappedEnd, v.end);
                if (zs < ze)
                {
                    Zap.zapVmaRange(m, mm, v, zs, ze, true, g);
                }
            }
            g.finish(m);
            for (final Map.Entry<SimFile, List<Long>> c : createdCache.entrySet())
            {
                for (final Long index : c.getValue())
                {
                    Folios.uncache(m, c.getKey(), index);
                }
            }
            for (final Long pfn : cleanBefore)
            {
                if ((memmap.flags(pfn) & PageDescriptor.PG_FILE) != 0) // still cached (zap set PG_DIRTY from the dirty PTE)
                {
                    memmap.setFlags(pfn, memmap.flags(pfn) & ~PageDescriptor.PG_DIRTY);
                }
            }
            for (final Vma v : anonVmaSet)
            {
                v.anonVma = null;
            }
            Tables.unwind(m, created);
            throw e;
        }

        // Phase 2: the user writes a fresh token into every page, in address order.
        pt.forEachPteTable(mm.pgd, addr, end, (table, tableVa) ->
        {
            final long from = Math.max(addr, tableVa);
            final long to = Math.min(end, tableVa + PageTables.PMD_SIZE);
            final int i0 = PageTables.pteIndex(from);
            final int n = (int)((to - from) >>> Arch.PAGE_SHIFT);
            for (int i = i0; i < i0 + n; i++)
            {
                final long pfn = arch.ptePfn(Arch.peek(pt.segment(table), pt.base(table), i));
                if (pfn == PhysMem.ZERO_PFN)
                {
                    continue; // a read-only private anon page: nothing to write
                }
                memmap.setToken(pfn, m.newToken());
                if ((memmap.flags(pfn) & PageDescriptor.PG_FILE) != 0 && arch.pteDirty(Arch.peek(pt.segment(table), pt.base(table), i)))
                {
                    memmap.setFlags(pfn, memmap.flags(pfn) | PageDescriptor.PG_DIRTY); // folio_mark_dirty
                }
            }
        });
    }
}
