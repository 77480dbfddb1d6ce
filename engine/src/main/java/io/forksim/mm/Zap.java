package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.arch.PmdOps;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTableLocks;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.PmdLeaves;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * {@code zap_pte_range} (mm/memory.c) for munmap, MADV_DONTNEED and exit, in two shapes that leave
 * identical state:
 * <ul>
 *   <li><b>batched</b> (Linux 6.9+, as in 6.18): {@code zap_present_ptes} detects a batch of PTEs mapping
 *       one large folio with {@code folio_pte_batch} (flags 0: dirty, soft-dirty, write and young ignored),
 *       clears it with {@code clear_full_ptes} (anon) or {@code get_and_clear_full_ptes} (file: dirty/young
 *       ORed over the batch mark the folio dirty once), and updates rmap and refcount once per batch;</li>
 *   <li><b>per-PTE</b> (Linux 6.8): every present PTE through {@code ptep_get_and_clear_full},
 *       {@code page_remove_rmap} and one reference drop.</li>
 * </ul>
 * Swap entries are freed one at a time in both ({@code swap_pte_batch} is not modelled). The TLB is flushed
 * once per operation by whoever owns the {@link Gather} (the kernel's {@code mmu_gather}); folios whose last
 * reference goes are freed immediately, which gives the same final state as freeing after the flush.
 */
final class Zap
{
    private Zap()
    {
    }

    /**
     * {@code struct mmu_gather}: the span of present PTEs cleared, flushed once at the end; also the walk state of
     * the {@link #zapVmaRange} in progress (the table and PMD-leaf visitor), so that a zap allocates nothing per VMA.
     * One gather serves one operation on one thread at a time.
     */
    static final class Gather implements PageTables.TableVisitor, PmdLeaves.Visitor
    {
        long lo = Long.MAX_VALUE;
        long hi = Long.MIN_VALUE;
        /** The {@link #zapVmaRange} in progress: set by it, cleared when it returns. */
        private Machine m;
        private Mm mm;
        private Vma vma;
        private long start;
        private long end;
        private boolean batched;

        /** An empty gather again (for an owner that reuses one, e.g. {@link Mm#exit()}). */
        Gather reset()
        {
            lo = Long.MAX_VALUE;
            hi = Long.MIN_VALUE;
            return this;
        }

        /** {@code zap_pmd_range}'s PMD leaves of the range in progress: whole ones zapped, partial ones split. */
        @Override
        public void leaf(final long pmdTable, final int idx, final long pmd, final long haddr)
        {
            if (haddr < start || haddr + HugeMemory.HPAGE_PMD_SIZE > end)
            {
                HugeMemory.splitHugePmd(m, mm, vma, pmdTable, idx, haddr);
            }
            else
            {
                HugeMemory.zapHugePmd(m, mm, pmdTable, idx, haddr, this);
            }
        }

        /** {@code zap_pte_range} of the part of one PTE table inside the range in progress, under its PTL if any. */
        @Override
        public void table(final long table, final long tableVa)
        {
            final PageTables pt = m.pageTables();
            final PageTableLocks ptl = pt.ptl();
            final long from = Math.max(start, tableVa);
            final long to = Math.min(end, tableVa + PageTables.PMD_SIZE);
            if (ptl != null)
            {
                ptl.lock(table);
            }
            try
            {
                zapPteRange(m, mm, pt.segment(table), pt.base(table), tableVa, PageTables.pteIndex(from),
                    PageTables.pteIndex(from) + (int)((to - from) >>> Arch.PAGE_SHIFT), batched, this);
            }
            finally
            {
                if (ptl != null)
                {
                    ptl.unlock(table);
                }
            }
        }

        void add(final long addr, final int nr)
        {
            lo = Math.min(lo, addr);
            hi = Math.max(hi, addr + ((long)nr << Arch.PAGE_SHIFT));
        }

        boolean empty()
        {
            return lo > hi;
        }

        /** {@code tlb_finish_mmu} of a ranged gather: one {@code flush_tlb_range} over the span, if any. */
        void finish(final Machine m)
        {
            if (!empty())
            {
                m.arch().flushTlbRange(m.events(), (hi - lo) >>> Arch.PAGE_SHIFT);
            }
        }
    }

    /**
     * {@code unmap_page_range} of {@code [start, end)} inside {@code vma}, table by table; on a concurrent machine
     * each table under its PTL ({@code zap_pte_range}'s {@code pte_offset_map_lock}).
     */
    static void zapVmaRange(final Machine m, final Mm mm, final Vma vma, final long start, final long end,
        final boolean batched, final Gather g)
    {
        g.m = m;
        g.mm = mm;
        g.vma = vma;
        g.start = start;
        g.end = end;
        g.batched = batched;
        try
        {
            PmdLeaves.forEach(m.pageTables(), PmdOps.of(m.arch()), mm.pgd, start, end, g);   // HugeMemory's zap_huge_pmd
            m.pageTables().forEachPteTable(mm.pgd, start, end, g);
        }
        finally
        {
            g.m = null;
            g.mm = null;
            g.vma = null;
        }
    }

    /**
     * {@code zap_pte_range} over entries {@code [from, to)} of one PTE table mapping {@code tableVa}.
     * Precondition: the range lies inside one VMA of {@code mm}.
     *
     * <p>Counters (events, RSS, the gather's span) stay in locals until the table is done: a field or array
     * slot updated per PTE would chain the iterations through memory. A single entry (order-0, or a batch of
     * one) is cleared with {@code ptep_get_and_clear}, which is what {@code clear_full_ptes},
     * {@code get_and_clear_full_ptes} and 6.8's {@code ptep_get_and_clear_full} do for one entry.
     */
    static void zapPteRange(final Machine m, final Mm mm, final MemorySegment t, final long base, final long tableVa,
        final int from, final int to, final boolean batched, final Gather g)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final Events ev = m.events();
        final int mmId = mm.id;
        long reads = 0;
        long atomics = 0;
        long batches = 0;
        long specials = 0;
        long rssAnon = 0;
        long rssFile = 0;
        long rssShmem = 0;
        int spanFrom = -1;      // the gather's span of present entries cleared in this table: [spanFrom, spanTo)
        int spanTo = -1;
        int i = from;
        while (i < to)
        {
            final long pte = arch.ptepGetNoAcct(ev, t, base, i);
            reads++;
            if (arch.pteNone(pte))
            {
                i++;
                continue;
            }
            if (!arch.ptePresent(pte))
            {
                zapSwapPte(m, mm, t, base, i, pte);
                i++;
                continue;
            }
            if (spanFrom < 0)
            {
                spanFrom = i;
            }
            final long pfn = arch.ptePfn(pte);
            if (arch.pteSpecial(pte) || pfn == PhysMem.ZERO_PFN)
            {
                // vm_normal_page() == NULL: clear the entry, no folio to account.
                arch.ptepGetAndClearNoAcct(ev, t, base, i);
                atomics++;
                specials++;
                i++;
                spanTo = i;
                continue;
            }
            final int flags = memmap.flags(pfn);
            final int order = flags & PageDescriptor.ORDER_MASK;
            final long head = pfn & -(1L << order);
            final int headFlags = order == 0 ? flags : memmap.flags(head);
            final boolean anon = (headFlags & PageDescriptor.PG_ANON) != 0;
            int nr = 1;
            if (batched && order != 0 && to - i > 1)
            {
                nr = FolioPteBatch.nr(FolioPteBatch.folioPteBatch(arch, ev, t, base, i, pte, to - i, head + (1L << order), 0));
            }
            final boolean dirty;
            if (nr == 1)
            {
                dirty = arch.pteDirty(arch.ptepGetAndClearNoAcct(ev, t, base, i));
                atomics++;
            }
            else if (anon)
            {
                arch.clearFullPtes(ev, t, base, i, nr);
                dirty = false;
            }
            else
            {
                dirty = arch.pteDirty(arch.getAndClearFullPtes(ev, t, base, i, nr));
            }
            if (anon)
            {
                rssAnon += nr;
            }
            else
            {
                if (dirty)
                {
                    memmap.setFlagBits(head, PageDescriptor.PG_DIRTY);
                }
                if (Folios.rssCounter(headFlags) == Mm.MM_SHMEMPAGES)
                {
                    rssShmem += nr;
                }
                else
                {
                    rssFile += nr;
                }
            }
            Folios.removeRmap(memmap, head, nr, mmId);
            if ((headFlags & PageDescriptor.PG_SWAPCACHE) != 0)
            {
                SwapCache.freeSwapCache(m, head); // free_pages_and_swap_cache, before the gather's reference goes
            }
            Folios.put(m, head, nr);
            batches++;
            i += nr;
            spanTo = i;
        }
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        ev.pteAtomic += atomics;
        // one rmap and one refcount update per folio batch (a single entry is a batch of one); a special entry is
        // a batch with no folio
        ev.batches += batches + specials;
        ev.refcountUpdate += batches;
        ev.rmapUpdate += batches;
        final long[] rss = mm.rss;
        rss[Mm.MM_ANONPAGES] -= rssAnon;
        rss[Mm.MM_FILEPAGES] -= rssFile;
        rss[Mm.MM_SHMEMPAGES] -= rssShmem;
        if (spanFrom >= 0)
        {
            g.add(tableVa + ((long)spanFrom << Arch.PAGE_SHIFT), spanTo - spanFrom);
        }
    }

    /** A swap entry: {@code pte_clear}, then {@code free_swap_and_cache_nr} ({@link SwapCache#freeSwapAndCache}). */
    private static void zapSwapPte(final Machine m, final Mm mm, final MemorySegment t, final long base, final int idx,
        final long pte)
    {
        final Arch arch = m.arch();
        if (arch.pteSwpType(pte) != SwapSpace.SWAP_TYPE)
        {
            throw new IllegalStateException("non-swap entry 0x" + Long.toHexString(pte) + " in " + mm
                + ": forksim creates no migration, device or marker entries");
        }
        arch.setNonPresent(m.events(), t, base, idx, 0L);
        SwapCache.freeSwapAndCache(m, arch.pteSwpOffset(pte));
        mm.rss[Mm.MM_SWAPENTS]--;
    }
}
