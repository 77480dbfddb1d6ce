package io.forksim.check;

import io.forksim.arch.Arch;
import io.forksim.arch.Arm64;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.SwapSpace;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTables;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks that a simulated machine is self-consistent, from the page tables of every live process down to
 * the buddy allocator. What must hold:
 *
 * <ol>
 *   <li><b>Page tables.</b> Every page-table page is reachable from exactly one live process, and every
 *       {@code PG_TABLE} page is reachable. Every non-none PTE lies inside a VMA of its process.</li>
 *   <li><b>Present PTEs.</b> A special PTE maps the shared zero page read-only; every other present PTE maps a
 *       page of an allocated folio (not free, not a table). Anon folios are mapped only in private VMAs; a
 *       writable PTE of a private VMA maps a PageAnonExclusive anon page (the COW safety rule).</li>
 *   <li><b>Folio counters.</b> refcount = mapping PTEs + pins (×1024 for order 0; +1 each and
 *       {@code _pincount} for large folios) + 1 if in a page cache + 1 if in the swap cache; mapcount (order 0)
 *       or {@code large_mapcount} = mapping PTEs; an allocated folio has at least one reference.</li>
 *   <li><b>MM-ID slots</b> (large folios): each owned slot counts exactly that process's mappings; a folio
 *       mapped by two processes, or by a process without a slot, has the maybe-shared bit; with the bit clear
 *       one slot accounts for every mapping. One relaxation, on a {@link Machine#concurrent() concurrent} machine
 *       (and for order-9 folios, see below): with the maybe-shared bit set a slot may count <em>fewer</em> mappings than its process has. That is
 *       the kernel's corner case of {@code folio_add_return_large_mapcount}: a process that mapped pages of the
 *       folio while both slots were taken, and then (within the same fork, batch by batch) takes a slot another
 *       thread freed meanwhile, starts that slot at the new batch only; the sub path clamps at -1 for it. A
 *       single thread gets there only through a PMD split: a process whose PMD mapping had no slot (a third MM) splits
 *       it, takes the slot another process freed meanwhile with its 512 PTE mappings, and then
 *       {@code folio_remove_rmap_pmd} takes the PMD mapping off that slot (6.18 {@code __split_huge_pmd_locked}, the
 *       same count in the kernel). So the relaxation also holds for order-9 (PMD-mappable) folios; elsewhere the rule
 *       is exact.</li>
 *   <li><b>PageAnonExclusive</b> only on anon pages mapped at most once; a pinned anon page that is mapped is
 *       PageAnonExclusive ({@link PinInvariant}).</li>
 *   <li><b>PMD leaves</b> ({@link PmdLeafChecks}): a leaf is one mapping of an order-9 anon folio (one reference,
 *       one {@code large_mapcount}, {@code _entire_mapcount} = leaves), writable only over a PageAnonExclusive head,
 *       and each PMD-table page holds exactly one empty deposited PTE table per anon leaf.</li>
 *   <li><b>Swap.</b> Each slot's count equals the swap PTEs referencing it; an SWP_EXCLUSIVE entry is the
 *       only reference of its slot; a swap-cache folio is {@code PG_SWAPCACHE} and its slot is in use (also
 *       with a count of 0: {@code SWAP_HAS_CACHE} only).</li>
 *   <li><b>RSS</b> counters of each process equal what its page tables map.</li>
 *   <li><b>contpte</b> (arm64): every PTE table's contpte blocks are whole and consistent ({@link ContpteInvariants}).</li>
 *   <li><b>Accounting.</b> Free pages (buddy blocks) equal the allocator's count, and free pages + folio pages
 *       + table pages + the zero page = all pages.</li>
 * </ol>
 *
 * Cost: one pass over every live page table and one over the memmap and swap map; an {@code int} per PFN.
 */
public final class InvariantChecker
{
    private static final int MAX_REPORTED = 50;

    private InvariantChecker()
    {
    }

    /** @throws InvariantViolation listing every violation found */
    public static void check(final Machine m)
    {
        final List<String> v = violations(m);
        if (!v.isEmpty())
        {
            throw new InvariantViolation(v);
        }
    }

    /**
     * After every process has exited and every file was dropped: all invariants hold, the free page count is
     * back to {@code initialFreePages}, and no page-table page, anon folio or swap slot remains.
     *
     * @throws InvariantViolation listing every leak and violation found
     */
    public static void leakCheck(final Machine m, final long initialFreePages)
    {
        final List<String> v = leaks(m, initialFreePages);
        if (!v.isEmpty())
        {
            throw new InvariantViolation(v);
        }
    }

    /** The findings of {@link #leakCheck}. */
    public static List<String> leaks(final Machine m, final long initialFreePages)
    {
        final List<String> out = new ArrayList<>(violations(m));
        for (final Mm mm : m.processes())
        {
            out.add(name(mm) + " is still alive");
        }
        final MemMap memmap = m.memmap();
        long tables = 0;
        long anon = 0;
        for (long pfn = 1; pfn < memmap.nrPages(); )
        {
            if (m.phys().isDeferred(pfn))
            {
                pfn += PhysMem.MAX_ORDER_NR_PAGES;
                continue;
            }
            final int f = memmap.flags(pfn);
            if ((f & PageDescriptor.PG_BUDDY) != 0)
            {
                pfn += 1L << (f & PageDescriptor.ORDER_MASK);
                continue;
            }
            if ((f & PageDescriptor.PG_TABLE) != 0)
            {
                tables++;
            }
            else if ((f & PageDescriptor.PG_ANON) != 0)
            {
                anon++;
                if (anon <= 5)
                {
                    out.add("anon folio pfn " + pfn + " (order " + (f & PageDescriptor.ORDER_MASK) + ", refcount "
                        + memmap.rawRefcount(pfn) + ") leaked");
                }
            }
            pfn += (f & PageDescriptor.PG_HEAD) != 0 ? 1L << (f & PageDescriptor.ORDER_MASK) : 1;
        }
        if (tables != 0)
        {
            out.add(tables + " page-table pages leaked");
        }
        if (anon > 5)
        {
            out.add(anon + " anon folios leaked in all");
        }
        if (m.swap().used() != 0)
        {
            out.add(m.swap().used() + " swap slots still in use");
        }
        if (m.phys().freePageCount() != initialFreePages)
        {
            out.add("free pages " + m.phys().freePageCount() + " != " + initialFreePages + " before (difference "
                + (initialFreePages - m.phys().freePageCount()) + ")");
        }
        return out;
    }

    /** Every invariant violation of {@code m} (empty if consistent); stops adding details after 50. */
    public static List<String> violations(final Machine m)
    {
        return new Run(m).run();
    }

    private static String name(final Mm mm)
    {
        return "mm#" + mm.id();
    }

    /** One checking pass. */
    private static final class Run
    {
        final Machine m;
        final Arch arch;
        final MemMap memmap;
        final PageTables pt;
        final long nrPages;
        final List<String> out = new ArrayList<>();
        int suppressed;
        /** PTEs mapping each page. */
        final int[] pageMaps;
        /** Live process owning each reachable table page, by MM ID; 0 = none. */
        final Map<Long, Integer> tableOwner = new HashMap<>();
        /** Large folio head -> (mm id -> mapping PTEs). */
        final Map<Long, Map<Integer, Integer>> mmIdCounts = new HashMap<>();
        final Map<Long, Integer> swapRefs = new HashMap<>();
        final Map<Long, Integer> pinsByHead = new HashMap<>();
        final Map<Long, Integer> cacheRefs = new HashMap<>();
        /** Large folio head -> PMD leaves mapping it ({@link PmdLeafChecks}). */
        final Map<Long, Integer> pmdMaps = new HashMap<>();
        final io.forksim.arch.PmdOps pmdOps;

        Run(final Machine m)
        {
            this.m = m;
            this.arch = m.arch();
            this.memmap = m.memmap();
            this.pt = m.pageTables();
            this.nrPages = memmap.nrPages();
            this.pageMaps = new int[(int)nrPages];
            this.pmdOps = io.forksim.arch.PmdOps.of(arch);
        }

        void add(final String s)
        {
            if (out.size() < MAX_REPORTED)
            {
                out.add(s);
            }
            else
            {
                suppressed++;
            }
        }

        List<String> run()
        {
            for (final Mm mm : m.processes())
            {
                walkProcess(mm);
            }
            for (final SimFile f : m.files())
            {
                for (final Map.Entry<Long, Long> e : f.pageCacheView().entrySet())
                {
                    final long pfn = e.getValue();
                    if (pfn <= 0 || pfn >= nrPages || (memmap.flags(pfn) & PageDescriptor.PG_FILE) == 0
                        || memmap.order(pfn) != 0)
                    {
                        add("page cache of " + f.name() + " index " + e.getKey() + " holds pfn " + pfn
                            + " which is not an order-0 PG_FILE folio (flags 0x" + Integer.toHexString(safeFlags(pfn)) + ")");
                        continue;
                    }
                    if (cacheRefs.merge(pfn, 1, Integer::sum) > 1)
                    {
                        add("pfn " + pfn + " is cached twice (again as " + f.name() + " index " + e.getKey() + ")");
                    }
                }
            }
            for (final Mm mm : m.processes())
            {
                for (final Mm.Pin p : mm.pins())
                {
                    if (p.pfn() <= 0 || p.pfn() >= nrPages || (memmap.flags(p.pfn()) & PageDescriptor.PG_BUDDY) != 0
                        || m.phys().isDeferred(p.pfn()))
                    {
                        add(name(mm) + " holds a pin on pfn " + p.pfn() + " which is not allocated");
                        continue;
                    }
                    pinsByHead.merge(memmap.folioHead(p.pfn()), 1, Integer::sum);
                    final String pin = PinInvariant.check(memmap, mm, p, pageMaps[(int)p.pfn()]);
                    if (pin != null)
                    {
                        add(pin);
                    }
                }
            }
            checkSwap();
            scanMemmap();
            if (suppressed > 0)
            {
                out.add("... and " + suppressed + " more");
            }
            return out;
        }

        private int safeFlags(final long pfn)
        {
            return pfn >= 0 && pfn < nrPages ? memmap.flags(pfn) : -1;
        }

        private boolean markTable(final Mm mm, final long t, final String level)
        {
            if (t <= 0 || t >= nrPages || (memmap.flags(t) & PageDescriptor.PG_TABLE) == 0)
            {
                add(name(mm) + ": " + level + " entry points at pfn " + t + " which is not a page-table page (flags 0x"
                    + Integer.toHexString(safeFlags(t)) + ")");
                return false;
            }
            final Integer prev = tableOwner.put(t, mm.id());
            if (prev != null)
            {
                add("page-table page pfn " + t + " (" + level + ") is reachable twice: from mm#" + prev + " and " + name(mm));
                return false;
            }
            return true;
        }

        private void walkProcess(final Mm mm)
        {
            if (mm.exited())
            {
                add(name(mm) + " is registered but has exited");
            }
            if (!markTable(mm, mm.pgd(), "PGD"))
            {
                return;
            }
            final long[] rss = new long[4];
            for (int gi = 0; gi < 512; gi++)
            {
                final long pud = pt.lookup(mm.pgd(), gi);
                if (pud == PageTables.NO_TABLE || !markTable(mm, pud, "PGD"))
                {
                    continue;
                }
                for (int ui = 0; ui < 512; ui++)
                {
                    final long pmd = pt.lookup(pud, ui);
                    if (pmd == PageTables.NO_TABLE || !markTable(mm, pmd, "PUD"))
                    {
                        continue;
                    }
                    int anonLeaves = 0;
                    for (int mi = 0; mi < 512; mi++)
                    {
                        final long va = ((long)gi << PageTables.PGDIR_SHIFT) | ((long)ui << PageTables.PUD_SHIFT)
                            | ((long)mi << PageTables.PMD_SHIFT);
                        final long pmdEntry = pt.entry(pmd, mi);
                        if (pmdEntry != 0 && pmdOps.pmdTransHuge(pmdEntry))
                        {
                            anonLeaves += PmdLeafChecks.leaf(m, mm, pmdEntry, va, rss, pmdMaps, mmIdCounts, this::add) ? 1 : 0;
                            continue;
                        }
                        final long pte = pt.lookup(pmd, mi);
                        if (pte == PageTables.NO_TABLE || !markTable(mm, pte, "PMD"))
                        {
                            continue;
                        }
                        walkPteTable(mm, pte, va, rss);
                    }
                    PmdLeafChecks.deposits(m, mm, pmd, anonLeaves, d -> markTable(mm, d, "deposit"), this::add);
                }
            }
            final String[] names = {"MM_FILEPAGES", "MM_ANONPAGES", "MM_SWAPENTS", "MM_SHMEMPAGES"};
            for (int i = 0; i < 4; i++)
            {
                if (mm.rss(i) != rss[i])
                {
                    add(name(mm) + ": rss " + names[i] + " = " + mm.rss(i) + " but its page tables map " + rss[i]);
                }
            }
        }

        private void walkPteTable(final Mm mm, final long table, final long tableVa, final long[] rss)
        {
            final MemorySegment seg = pt.segment(table);
            final long base = pt.base(table);
            if (arch instanceof Arm64)
            {
                for (final String e : ContpteInvariants.check(seg, base, memmap))
                {
                    add(name(mm) + " table at 0x" + Long.toHexString(tableVa) + ": " + e);
                }
            }
            for (int i = 0; i < 512; i++)
            {
                final long e = Arch.peek(seg, base, i);
                if (e == 0 || arch.pteNone(e))
                {
                    continue;
                }
                final long va = tableVa + ((long)i << Arch.PAGE_SHIFT);
                final String where = name(mm) + " va 0x" + Long.toHexString(va) + " pte 0x" + Long.toHexString(e);
                final Vma vma = mm.findVma(va);
                if (vma == null)
                {
                    add(where + ": entry outside any VMA");
                }
                if (!arch.ptePresent(e))
                {
                    checkSwapPte(where, e);
                    rss[Mm.MM_SWAPENTS]++;
                    continue;
                }
                final long pfn = arch.ptePfn(e);
                if (arch.pteSpecial(e) || pfn == PhysMem.ZERO_PFN)
                {
                    if (pfn != PhysMem.ZERO_PFN)
                    {
                        add(where + ": special PTE maps pfn " + pfn + ", not the zero page");
                    }
                    else if (arch.pteWrite(e))
                    {
                        add(where + ": the zero page is mapped writable");
                    }
                    continue;
                }
                if (pfn >= nrPages)
                {
                    add(where + ": pfn " + pfn + " beyond the last pfn " + (nrPages - 1));
                    continue;
                }
                final int f = memmap.flags(pfn);
                if (f == 0 || (f & (PageDescriptor.PG_BUDDY | PageDescriptor.PG_TABLE | PageDescriptor.PG_ZERO)) != 0)
                {
                    add(where + ": maps pfn " + pfn + " which is not part of an allocated folio (flags 0x"
                        + Integer.toHexString(f) + ")");
                    continue;
                }
                final long head = memmap.folioHead(pfn);
                final int hf = memmap.flags(head);
                pageMaps[(int)pfn]++;
                final boolean anon = (hf & PageDescriptor.PG_ANON) != 0;
                rss[anon ? Mm.MM_ANONPAGES : (hf & PageDescriptor.PG_SWAPBACKED) != 0 ? Mm.MM_SHMEMPAGES : Mm.MM_FILEPAGES]++;
                if ((hf & PageDescriptor.ORDER_MASK) != 0)
                {
                    mmIdCounts.computeIfAbsent(head, h -> new HashMap<>()).merge(mm.id(), 1, Integer::sum);
                }
                if (vma != null)
                {
                    if (anon && vma.isShared())
                    {
                        add(where + ": anon pfn " + pfn + " mapped in shared VMA " + vma);
                    }
                    if (arch.pteWrite(e) && !vma.isShared() && !(anon && memmap.testAnonExclusive(pfn)))
                    {
                        add(where + ": writable PTE in private VMA maps pfn " + pfn + " which is not an exclusive anon page"
                            + " (COW would be bypassed)");
                    }
                }
            }
        }

        private void checkSwapPte(final String where, final long e)
        {
            if (arch.pteSwpType(e) != SwapSpace.SWAP_TYPE)
            {
                add(where + ": non-present entry of type " + arch.pteSwpType(e) + " (forksim has only swap type 0)");
                return;
            }
            final long off = arch.pteSwpOffset(e);
            if (off <= 0 || off >= m.swap().slots())
            {
                add(where + ": swap offset " + off + " out of range 1.." + (m.swap().slots() - 1));
                return;
            }
            swapRefs.merge(off, arch.pteSwpExclusive(e) ? 1 | (1 << 30) : 1, Integer::sum);
        }

        private void checkSwap()
        {
            final SwapSpace swap = m.swap();
            long used = 0;
            for (long s = 1; s < swap.slots(); s++)
            {
                final int c = swap.count(s);
                final Integer r = swapRefs.get(s);
                final int refs = r == null ? 0 : r & ((1 << 30) - 1);
                final int exclusive = r == null ? 0 : r >>> 30;
                final long cache = swap.cachePfn(s);
                if (c > 0 || cache >= 0)
                {
                    used++; // a slot with only a swap-cache folio (SWAP_HAS_CACHE) is in use
                }
                if (c != refs)
                {
                    add("swap slot " + s + ": count " + c + " but " + refs + " swap PTEs reference it");
                }
                if (exclusive > 0 && refs != 1)
                {
                    add("swap slot " + s + ": an SWP_EXCLUSIVE entry is one of " + refs + " references");
                }
                if (cache >= 0)
                {
                    if (cache <= 0 || cache >= nrPages || (memmap.flags(cache) & PageDescriptor.PG_SWAPCACHE) == 0
                        || swap.cacheSlotOf(cache) != s)
                    {
                        add("swap slot " + s + ": swap-cache pfn " + cache + " is not a PG_SWAPCACHE folio of this slot (flags 0x"
                            + Integer.toHexString(safeFlags(cache)) + ")");
                    }
                }
            }
            if (used != swap.used())
            {
                add("swap: " + used + " slots in use but the swap map counts " + swap.used());
            }
        }

        private void scanMemmap()
        {
            long free = 0;
            long folioPages = 0;
            long tables = 0;
            if (memmap.flags(0) != (PageDescriptor.PG_ZERO | PageDescriptor.PG_RESERVED))
            {
                add("pfn 0 is not the reserved zero page (flags 0x" + Integer.toHexString(memmap.flags(0)) + ")");
            }
            if (memmap.token(0) != 0)
            {
                add("the zero page has content token " + memmap.token(0));
            }
            long pfn = 1;
            while (pfn < nrPages)
            {
                if (m.phys().isDeferred(pfn))
                {
                    // a deferred free max-order block: its head record must still be zero (the rest is not read)
                    if (memmap.flags(pfn) != 0 || memmap.rawRefcount(pfn) != 0 || memmap.rawMapcount(pfn) != 0)
                    {
                        add("deferred free block pfn " + pfn + " has a record (flags 0x" + Integer.toHexString(memmap.flags(pfn))
                            + ", refcount " + memmap.rawRefcount(pfn) + ", mapcount " + memmap.rawMapcount(pfn) + ")");
                    }
                    free += PhysMem.MAX_ORDER_NR_PAGES;
                    pfn += PhysMem.MAX_ORDER_NR_PAGES;
                    continue;
                }
                final int f = memmap.flags(pfn);
                final int order = f & PageDescriptor.ORDER_MASK;
                if ((f & PageDescriptor.PG_BUDDY) != 0)
                {
                    free += 1L << order;
                    pfn += 1L << order;
                    continue;
                }
                if ((f & PageDescriptor.PG_TABLE) != 0)
                {
                    tables++;
                    if (!tableOwner.containsKey(pfn))
                    {
                        add("page-table page pfn " + pfn + " is not reachable from any live process");
                    }
                    pfn++;
                    continue;
                }
                if (f == 0)
                {
                    add("pfn " + pfn + " is neither free nor part of a folio or table (zeroed record)");
                    pfn++;
                    continue;
                }
                if ((f & PageDescriptor.PG_TAIL) != 0 || (order != 0 && (f & PageDescriptor.PG_HEAD) == 0))
                {
                    add("pfn " + pfn + " has flags 0x" + Integer.toHexString(f) + " but no folio head before it");
                    pfn++;
                    continue;
                }
                checkFolio(pfn, f, order);
                folioPages += 1L << order;
                pfn += 1L << order;
            }
            if (free != m.phys().freePageCount())
            {
                add("buddy free blocks hold " + free + " pages but the allocator counts " + m.phys().freePageCount());
            }
            if (free + folioPages + tables + 1 != nrPages)
            {
                add("free " + free + " + folio pages " + folioPages + " + table pages " + tables + " + zero page != "
                    + nrPages + " pages");
            }
            if (tables != tableOwner.size())
            {
                add(tables + " PG_TABLE pages but " + tableOwner.size() + " reachable table pages");
            }
            if (m.tableStore().slotsInUse() != tables)
            {
                add("table store has " + m.tableStore().slotsInUse() + " slots in use for " + tables + " table pages");
            }
        }

        private void checkFolio(final long head, final int f, final int order)
        {
            final int nr = 1 << order;
            final String what = "folio pfn " + head + " (order " + order + ", flags 0x" + Integer.toHexString(f) + ")";
            final int pmds = pmdMaps.getOrDefault(head, 0);
            int ptes = pmds;   // mappings: PTEs + PMD leaves (each one mapping, one reference)
            for (int i = 0; i < nr; i++)
            {
                final long p = head + i;
                if (i > 0 && memmap.flags(p) != (PageDescriptor.PG_TAIL | order | (f & PageDescriptor.FOLIO_TYPE_FLAGS)))
                {
                    add(what + ": page " + p + " has flags 0x" + Integer.toHexString(memmap.flags(p)) + ", not a tail of order " + order);
                }
                ptes += pageMaps[(int)p];
                if (memmap.testAnonExclusive(p))
                {
                    if ((f & PageDescriptor.PG_ANON) == 0)
                    {
                        add(what + ": page " + p + " is PageAnonExclusive but the folio is not anon");
                    }
                    else if (pageMaps[(int)p] + pmds > 1)
                    {
                        add(what + ": page " + p + " is PageAnonExclusive but mapped " + (pageMaps[(int)p] + pmds) + " times");
                    }
                }
            }
            final boolean anon = (f & PageDescriptor.PG_ANON) != 0;
            if (anon && (f & PageDescriptor.PG_SWAPBACKED) == 0)
            {
                add(what + ": anon folio without PG_SWAPBACKED");
            }
            final int pins = pinsByHead.getOrDefault(head, 0);
            final int cache = cacheRefs.getOrDefault(head, 0);
            if (anon && cache != 0)
            {
                add(what + ": anon folio in a page cache");
            }
            int swapCache = 0;
            if ((f & PageDescriptor.PG_SWAPCACHE) != 0)
            {
                swapCache = 1;
                final long slot = m.swap().cacheSlotOf(head);
                if (order != 0 || slot < 0 || m.swap().cachePfn(slot) != head)
                {
                    add(what + ": PG_SWAPCACHE but no swap slot caches it");
                }
            }
            final long expected = (long)ptes + (order == 0 ? (long)pins * PageDescriptor.GUP_PIN_COUNTING_BIAS : pins) + cache + swapCache;
            final int ref = memmap.rawRefcount(head);
            if (ref != expected)
            {
                add(what + ": refcount " + ref + " != " + ptes + " PTEs + " + pins + " pins + " + cache + " page cache + "
                    + swapCache + " swap cache = " + expected);
            }
            if (expected == 0)
            {
                add(what + ": allocated but unreferenced (leaked)");
            }
            final int mapcount = memmap.rawMapcount(head);
            if (mapcount != ptes)
            {
                add(what + ": " + (order == 0 ? "mapcount " : "large_mapcount ") + mapcount + " != " + ptes + " mapping PTEs");
            }
            if (PmdLeafChecks.entireMapcount(memmap, head, order) != pmds)
            {
                add(what + ": entire_mapcount " + PmdLeafChecks.entireMapcount(memmap, head, order) + " != " + pmds + " PMD leaves");
            }
            if (order != 0)
            {
                if (memmap.pincount(head) != pins)
                {
                    add(what + ": pincount " + memmap.pincount(head) + " != " + pins + " pins");
                }
                checkMmIds(head, what, ptes);
            }
        }

        private void checkMmIds(final long head, final String what, final int ptes)
        {
            final Map<Integer, Integer> counts = mmIdCounts.getOrDefault(head, Map.of());
            final boolean shared = memmap.folioMmIdsShared(head);
            final int id0 = memmap.folioMmId(head, 0);
            final int id1 = memmap.folioMmId(head, 1);
            for (final int id : new int[] {id0, id1})
            {
                if (id == PageDescriptor.MM_ID_DUMMY)
                {
                    continue;
                }
                final int slotCount = memmap.folioMmIdMapcount(head, id);
                final int actual = counts.getOrDefault(id, 0);
                final boolean lateSlot = m.concurrent() || memmap.order(head) == io.forksim.arch.PmdOps.HPAGE_PMD_ORDER;
                if (slotCount != actual && !(lateSlot && shared && slotCount > 0 && slotCount < actual))
                {
                    add(what + ": MM-ID slot of mm#" + id + " counts " + slotCount + " mappings, its page tables have " + actual);
                }
            }
            if (id0 != PageDescriptor.MM_ID_DUMMY && id0 == id1)
            {
                add(what + ": both MM-ID slots hold mm#" + id0);
            }
            for (final Map.Entry<Integer, Integer> e : counts.entrySet())
            {
                if (e.getKey() != id0 && e.getKey() != id1 && !shared)
                {
                    add(what + ": mm#" + e.getKey() + " maps it " + e.getValue() + " times without an MM-ID slot, and the"
                        + " maybe-shared bit is clear");
                }
            }
            if (counts.size() > 1 && !shared)
            {
                add(what + ": mapped by " + counts.size() + " processes " + counts.keySet() + " but the maybe-shared bit is clear");
            }
            if (!shared && ptes > 0 && memmap.folioMmIdMapcount(head, id0 != 0 ? id0 : id1) != ptes)
            {
                add(what + ": maybe-shared bit clear but no MM-ID slot accounts for all " + ptes + " mappings");
            }
        }
    }
}
