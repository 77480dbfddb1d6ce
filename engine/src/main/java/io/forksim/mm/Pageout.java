package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTables;
import io.forksim.stats.Events;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code MADV_PAGEOUT} of private anonymous memory ({@code madvise_cold_or_pageout_pte_range} +
 * {@code shrink_folio_list} + {@code try_to_unmap_one} + swap writeback), reduced to what changes state.
 *
 * <p>A folio is reclaimed only if every page of it is mapped exactly once, by a PTE of this mm inside the
 * range, and nothing but those mappings (and, for an order-0 folio, the swap cache) references it: not
 * pinned, not shared with another process, not partially mapped. The kernel would split a partially mapped
 * large folio and skips shared ones ({@code folio_mapcount != folio_nr_pages}); forksim skips both, and
 * skips a folio when swap has no {@code nr} consecutive free slots (THP_SWAP would fall back to splitting).
 *
 * <p>Reclaim: {@code nr} consecutive slots (count 1 each) receive the pages' tokens; each PTE becomes the
 * swap entry of its page's slot, with SWP_EXCLUSIVE when the page was PageAnonExclusive and swp-soft-dirty
 * when the PTE was soft-dirty; the folio leaves the rmap and is freed (no swap cache stays behind). An
 * order-0 folio still in the swap cache reuses its slot ({@code swap_duplicate} for the new swap PTE). The
 * TLB is flushed once at the end ({@code TTU_BATCH_FLUSH}).
 */
final class Pageout
{
    private Pageout()
    {
    }

    static void pageout(final Machine m, final Mm mm, final long start, final long end)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final PageTables pt = m.pageTables();
        final Events ev = m.events();
        final SwapSpace swap = m.swap();
        // head -> PTE slots (table, idx, va) mapping the folio inside the range, in first-seen order
        final Map<Long, List<long[]>> folios = new LinkedHashMap<>();
        for (final Vma v : VmaOps.vmasIn(mm, start, end))
        {
            if (v.file != null || v.isShared())
            {
                continue;
            }
            final long vs = Math.max(start, v.start);
            final long ve = Math.min(end, v.end);
            pt.forEachPteTable(mm.pgd, vs, ve, (table, tableVa) ->
            {
                final long from = Math.max(vs, tableVa);
                final long to = Math.min(ve, tableVa + PageTables.PMD_SIZE);
                final int i0 = PageTables.pteIndex(from);
                final int n = (int)((to - from) >>> Arch.PAGE_SHIFT);
                for (int i = i0; i < i0 + n; i++)
                {
                    final long pte = arch.ptepGet(ev, pt.segment(table), pt.base(table), i);
                    if (arch.pteNone(pte) || !arch.ptePresent(pte) || arch.pteSpecial(pte))
                    {
                        continue;
                    }
                    final long pfn = arch.ptePfn(pte);
                    if (pfn == PhysMem.ZERO_PFN)
                    {
                        continue;
                    }
                    final long head = memmap.folioHead(pfn);
                    if ((memmap.flags(head) & PageDescriptor.PG_ANON) == 0)
                    {
                        continue;
                    }
                    folios.computeIfAbsent(head, h -> new ArrayList<>())
                        .add(new long[] {table, i, tableVa + ((long)i << Arch.PAGE_SHIFT)});
                }
            });
        }
        final Zap.Gather g = new Zap.Gather();
        for (final Map.Entry<Long, List<long[]>> e : folios.entrySet())
        {
            final long head = e.getKey();
            final List<long[]> slots = e.getValue();
            final int order = memmap.order(head);
            final int nr = 1 << order;
            final boolean swapcache = (memmap.flags(head) & PageDescriptor.PG_SWAPCACHE) != 0;
            if (slots.size() != nr || memmap.mapcount(head) != nr
                || memmap.refcount(head) != nr + (swapcache ? 1 : 0)
                || (order != 0 && memmap.pincount(head) != 0))
            {
                continue;
            }
            final long offset = swapcache ? swap.cacheSlotOf(head) : swap.alloc(nr);
            if (offset < 0)
            {
                continue;
            }
            for (final long[] sl : slots)
            {
                final long table = sl[0];
                final int idx = (int)sl[1];
                final var seg = pt.segment(table);
                final long base = pt.base(table);
                final long old = arch.ptepGetAndClear(ev, seg, base, idx);
                final long pfn = arch.ptePfn(old);
                final long slot = offset + (pfn - head);
                long swp = arch.swpEntryToPte(SwapSpace.SWAP_TYPE, slot);
                if (memmap.testAnonExclusive(pfn))
                {
                    swp = arch.pteSwpMkexclusive(swp);
                }
                if (arch.pteSoftDirty(old))
                {
                    swp = arch.pteSwpMksoftDirty(swp);
                }
                arch.setNonPresent(ev, seg, base, idx, swp);
                if (swapcache)
                {
                    swap.dup(slot);
                }
                else
                {
                    swap.setToken(slot, memmap.token(pfn));
                }
                g.add(sl[2], 1);
            }
            mm.rss[Mm.MM_ANONPAGES] -= nr;
            mm.rss[Mm.MM_SWAPENTS] += nr;
            Folios.removeRmap(memmap, head, nr, mm.id);
            if (swapcache)
            {
                swap.setCachePfn(offset, -1);
                Folios.dropSwapCache(m, head);
            }
            Folios.put(m, head, nr);
            ev.swapOuts += nr;
            ev.rmapUpdate++;
            ev.refcountUpdate++;
        }
        g.finish(m);
    }
}
