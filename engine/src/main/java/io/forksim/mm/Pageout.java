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
 * <p>A folio is skipped if another process may map it ({@code folio_maybe_mapped_shared}). A large folio that the
 * range does not cover whole, in order (its pages mapped by consecutive PTEs inside the range, as
 * {@code madvise_folio_pte_batch} finds them), is split first ({@link SplitFolio}; a pinned or otherwise
 * referenced folio does not split and is skipped); its pages in the range are then reclaimed one by one. A folio
 * is reclaimed only if every page of it is mapped exactly once, by a PTE of this mm inside the range, and
 * nothing but those mappings (and, for an order-0 folio, the swap cache) references it: not pinned, not shared.
 * A folio is skipped when swap has no {@code nr} consecutive free slots (THP_SWAP would fall back to splitting).
 *
 * <p>Reclaim: {@code nr} consecutive slots (count 1 each) receive the pages' tokens; each PTE becomes the
 * swap entry of its page's slot, with SWP_EXCLUSIVE when the page was PageAnonExclusive and swp-soft-dirty
 * when the PTE was soft-dirty; the folio leaves the rmap and is freed (no swap cache stays behind). An
 * order-0 folio still in the swap cache reuses its slot ({@code swap_duplicate} for the new swap PTE, also from
 * a count of 0 when only the swap cache held the slot) and leaves the swap cache ({@code __remove_mapping}). The
 * TLB is flushed once at the end ({@code TTU_BATCH_FLUSH}).
 */
final class Pageout
{
    private Pageout()
    {
    }

    static PageoutResult pageout(final Machine m, final Mm mm, final long start, final long end)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final PageTables pt = m.pageTables();
        final Events ev = m.events();
        HugeMemory.pageoutHugePmds(m, mm, start, end);
        // head -> PTE slots (table, idx, va, pfn) mapping the folio inside the range, in first-seen order
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
                        .add(new long[] {table, i, tableVa + ((long)i << Arch.PAGE_SHIFT), pfn});
                }
            });
        }
        final Zap.Gather g = new Zap.Gather();
        final List<Long> out = new ArrayList<>();
        int split = 0;
        int freedBySplit = 0;
        for (final Map.Entry<Long, List<long[]>> e : folios.entrySet())
        {
            final long head = e.getKey();
            final List<long[]> slots = e.getValue();
            final int nr = 1 << memmap.order(head);
            if (nr > 1 && !wholeInOrder(slots, head, nr))
            {
                if (!SplitFolio.canSplit(memmap, mm, head))
                {
                    continue; // maybe mapped shared, pinned or otherwise referenced: left alone
                }
                freedBySplit += SplitFolio.split(m, mm, head);
                split++;
                for (final long[] sl : slots)
                {
                    reclaim(m, mm, sl[3], List.<long[]>of(sl), g, out);
                }
                continue;
            }
            reclaim(m, mm, head, slots, g, out);
        }
        g.finish(m);
        return new PageoutResult(out, split, freedBySplit);
    }

    /** The slots map pages head, head+1, ... head+nr-1 at consecutive addresses. */
    private static boolean wholeInOrder(final List<long[]> slots, final long head, final int nr)
    {
        if (slots.size() != nr)
        {
            return false;
        }
        final long va0 = slots.get(0)[2];
        for (int k = 0; k < nr; k++)
        {
            final long[] sl = slots.get(k);
            if (sl[3] != head + k || sl[2] != va0 + ((long)k << Arch.PAGE_SHIFT))
            {
                return false;
            }
        }
        return true;
    }

    /** Reclaims the folio at {@code head} mapped by {@code slots} if nothing else holds it and swap has room. */
    private static void reclaim(final Machine m, final Mm mm, final long head, final List<long[]> slots, final Zap.Gather g,
        final List<Long> out)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final PageTables pt = m.pageTables();
        final Events ev = m.events();
        final SwapSpace swap = m.swap();
        final int order = memmap.order(head);
        final int nr = 1 << order;
        final boolean swapcache = (memmap.flags(head) & PageDescriptor.PG_SWAPCACHE) != 0;
        if (slots.size() != nr || memmap.rawMapcount(head) != nr
            || memmap.rawRefcount(head) != nr + (swapcache ? 1 : 0)
            || (order != 0 && memmap.pincount(head) != 0))
        {
            return;
        }
        final long offset = swapcache ? swap.cacheSlotOf(head) : swap.alloc(nr);
        if (offset < 0)
        {
            return;
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
            out.add(sl[2]);
        }
        mm.rss[Mm.MM_ANONPAGES] -= nr;
        mm.rss[Mm.MM_SWAPENTS] += nr;
        Folios.removeRmap(memmap, head, nr, mm.id);
        if (swapcache)
        {
            SwapCache.swapCacheDelFolio(m, head); // __remove_mapping; the slot keeps the new swap PTEs' counts
        }
        Folios.put(m, head, nr);
        ev.swapOuts += nr;
        ev.rmapUpdate++;
        ev.refcountUpdate++;
    }
}
