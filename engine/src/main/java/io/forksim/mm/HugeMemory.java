package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.arch.PmdOps;
import io.forksim.mem.MemMap;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.PmdLeaves;
import io.forksim.pgtable.TransHugeDeposit;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * PMD-mapped anonymous THP (mm/huge_memory.c, Linux 6.18): a 2 MiB-aligned order-9 anon folio mapped by one PMD
 * leaf, with one PTE table deposited for it on its PMD-table page ({@link TransHugeDeposit}).
 *
 * <pre>
 * populate(.., FolioMapping.PMD)  do_huge_pmd_anonymous_page: folio refcount 1, entire/large mapcount 1, head PAE,
 *                                 deposit, leaf young + dirty + writable (VM_WRITE), MM_ANONPAGES += 512
 * fork: copyHugePmds              copy_huge_pmd: maybe-pinned exclusive folio -> split the parent's leaf and
 *                                 return (the PTE copy follows); else folio_get, dup rmap at PMD level, clear head
 *                                 PAE, deposit a new table for the child, wrprotect both leaves, child's old
 * zap (munmap, DONTNEED, exit)    zap_huge_pmd for a whole leaf (rmap, withdraw + free the deposit, one folio
 *                                 put); __split_huge_pmd for a leaf the range covers only in part
 * VMA split at an unaligned       vma_adjust_trans_huge: __split_huge_pmd of the leaf straddling it
 * mprotect                        change_huge_pmd on whole leaves (after the VMA split)
 * mremap                          move_huge_pmd of a whole leaf moved by a multiple of 2 MiB, else a split
 *                                 ({@link MoveHugePmd})
 * write fault                     do_huge_pmd_wp_page ({@link HugePmdFaults})
 * MADV_PAGEOUT                    {@link #pageoutHugePmds}
 * </pre>
 *
 * <p><b>__split_huge_pmd</b> (non-freeze, {@link #splitHugePmd}): the folio stays one order-9 folio and becomes
 * PTE-mapped through the withdrawn deposit: refcount +511, large mapcount +512 then -1 for the PMD, entire
 * mapcount -1, PageAnonExclusive on all 512 pages if the head had it, 512 PTEs built from the VMA's protection and
 * the leaf's write/young/dirty/soft-dirty/uffd-wp with one {@code set_ptes(512)} (on arm64 that is
 * {@code contpte_set_ptes}: 32 CONT blocks), then the PMD entry points at the table. {@code nr_ptes} is unchanged.
 *
 * <p><b>Not modelled</b> (each refused or replaced as said): the huge zero page (a PMD populate needs VM_WRITE);
 * PMD migration entries; folio splits
 * ({@code split_folio}: a partial MADV_PAGEOUT splits only the mapping); page-table locks (PMD leaves exist only on
 * single-threaded machines: {@link #populatePmd} refuses a concurrent one).
 */
public final class HugeMemory
{
    /** Pages per PMD leaf. */
    public static final int HPAGE_PMD_NR = PmdOps.HPAGE_PMD_NR;
    /** The folio order a PMD maps ({@code HPAGE_PMD_ORDER}). */
    public static final int PMD_ORDER = PmdOps.HPAGE_PMD_ORDER;
    /** Bytes per PMD leaf. */
    public static final long HPAGE_PMD_SIZE = PageTables.PMD_SIZE;
    /** {@link #copyHugePmds}' result when a child table could not be allocated ({@code -ENOMEM}). */
    public static final int ENOMEM = -12;

    private HugeMemory()
    {
    }

    // ---------------------------------------------------------------- populate

    /**
     * Populates {@code [addr, addr + len)} with PMD-mapped order-9 anon folios, as write faults with THP enabled
     * ({@code do_huge_pmd_anonymous_page}) would, then writes a fresh token into every page in address order.
     * Validates everything first; on simulated OOM unmaps what it mapped and frees the tables it created.
     */
    static void populatePmd(final Machine m, final Mm mm, final long addr, final long len)
    {
        if (m.concurrent())
        {
            throw new IllegalArgumentException("PMD-mapped populate needs a single-threaded machine (this one is concurrent)");
        }
        if (addr < 0 || (addr & (HPAGE_PMD_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(addr) + " is not 2 MiB-aligned: a PMD"
                + " mapping needs a 2 MiB-aligned range");
        }
        if (len <= 0 || (len & (HPAGE_PMD_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException("length " + len + " is not a positive multiple of 2 MiB (PMD mapping)");
        }
        final long end = addr + len;
        if (end > PageTables.TASK_SIZE || end < addr)
        {
            throw new IllegalArgumentException("range 0x" + Long.toHexString(addr) + "+" + len + " goes beyond TASK_SIZE 0x"
                + Long.toHexString(PageTables.TASK_SIZE));
        }
        final PageTables pt = m.pageTables();
        for (long a = addr; a < end; a += HPAGE_PMD_SIZE)
        {
            final Vma v = mm.findVma(a);
            if (v == null)
            {
                throw new IllegalArgumentException("no mapping at 0x" + Long.toHexString(a) + " to populate");
            }
            if (v.file != null || v.isShared())
            {
                throw new IllegalArgumentException("cannot PMD-map " + v + ": only private anonymous memory gets PMD-mapped THPs");
            }
            if ((v.flags & VmFlags.VM_WRITE) == 0)
            {
                throw new IllegalArgumentException("cannot PMD-map read-only " + v + ": a read fault maps the huge zero page,"
                    + " which forksim does not model");
            }
            if (a + HPAGE_PMD_SIZE > v.end)
            {
                throw new IllegalArgumentException("2 MiB at 0x" + Long.toHexString(a) + " would straddle the end of " + v
                    + " (thp_vma_suitable_order fails)");
            }
            final long e = PmdLeaves.pmdEntry(pt, mm.pgd, a);
            if (e != 0)
            {
                throw new IllegalArgumentException("the PMD of 0x" + Long.toHexString(a) + " is not none (0x" + Long.toHexString(e)
                    + "): a THP is PMD-mapped only where no PTE table or leaf exists yet");
            }
        }
        final Arch arch = m.arch();
        final PmdOps ops = PmdOps.of(arch);
        final MemMap memmap = m.memmap();
        final Events ev = m.events();
        final Tables.Created created = new Tables.Created();
        final List<Vma> anonVmaSet = new ArrayList<>();
        long mappedEnd = addr;
        try
        {
            for (long a = addr; a < end; a += HPAGE_PMD_SIZE)
            {
                final Vma v = mm.findVma(a);
                final long pmdTable = pmdAlloc(m, mm, a, created);
                if (pmdTable == PageTables.NO_TABLE)
                {
                    throw Faults.oom(m, 0);
                }
                final long pfn = Folios.alloc(m, PmdOps.HPAGE_PMD_ORDER, Folios.ANON_FLAGS);
                if (pfn == PhysMem.NO_PFN)
                {
                    throw Faults.oom(m, PmdOps.HPAGE_PMD_ORDER);
                }
                final long pgtable = pt.allocTable(ev);
                if (pgtable == PageTables.NO_TABLE)
                {
                    Folios.free(m, pfn);
                    throw Faults.oom(m, 0);
                }
                if (VmaMerge.anonVmaPrepare(mm, v))
                {
                    anonVmaSet.add(v);
                }
                HugeRmap.addNewAnonRmapPmd(memmap, pfn, mm.id);
                TransHugeDeposit.deposit(memmap, pmdTable, pgtable);
                final long pmd = ops.pmdMkwrite(ops.pmdMkdirty(ops.folioMkPmd(pfn, v.pageProt)));
                ops.setPmdAt(pt.segment(pmdTable), pt.base(pmdTable), PageTables.pmdIndex(a), pmd);
                mm.rss[Mm.MM_ANONPAGES] += HPAGE_PMD_NR;
                ev.faults++;
                ev.rmapUpdate++;
                ev.refcountUpdate++;
                mappedEnd = a + HPAGE_PMD_SIZE;
            }
        }
        catch (final OutOfSimulatedMemoryException e)
        {
            final Zap.Gather g = new Zap.Gather();
            for (final Vma v : VmaOps.vmasIn(mm, addr, mappedEnd))
            {
                Zap.zapVmaRange(m, mm, v, Math.max(addr, v.start), Math.min(mappedEnd, v.end), true, g);
            }
            g.finish(m);
            for (final Vma v : anonVmaSet)
            {
                v.anonVma = null;
            }
            Tables.unwind(m, created);
            throw e;
        }
        for (long a = addr; a < end; a += HPAGE_PMD_SIZE)
        {
            final long head = ops.pmdPfn(PmdLeaves.pmdEntry(pt, mm.pgd, a));
            for (int i = 0; i < HPAGE_PMD_NR; i++)
            {
                memmap.setToken(head + i, m.newToken());
            }
        }
    }

    /** {@code pmd_alloc} recording the tables it creates (for {@link Tables#unwind}). */
    private static long pmdAlloc(final Machine m, final Mm mm, final long va, final Tables.Created created)
    {
        final PageTables pt = m.pageTables();
        final long pud = Tables.level(pt, m.arch(), m.events(), mm.pgd, PageTables.pgdIndex(va), created);
        return pud == PageTables.NO_TABLE ? PageTables.NO_TABLE
            : Tables.level(pt, m.arch(), m.events(), pud, PageTables.pudIndex(va), created);
    }

    // ---------------------------------------------------------------- fork

    /**
     * {@code copy_huge_pmd} for every PMD leaf of {@code srcVma}, before {@code copy_pte_range} runs over the PTE
     * tables: a leaf whose folio is PageAnonExclusive and maybe DMA-pinned while the source mm has pinned pages is
     * split in the parent ({@code -EAGAIN}), so the PTE copy that follows copies it page by page; every other leaf
     * is shared with the child at PMD level. Precondition: {@code dstVma} is the child's copy of {@code srcVma} and
     * has no page tables yet. Allocates nothing on the Java heap (the visitor is the calling thread's, reused).
     *
     * @return 0, or {@code -ENOMEM} when a table for the child could not be allocated (the caller unwinds the child)
     */
    public static int copyHugePmds(final Machine m, final Mm dstMm, final Vma dstVma, final Mm srcMm, final Vma srcVma)
    {
        final PageTables pt = m.pageTables();
        final PmdOps ops = PmdOps.of(m.arch());
        final HugeCopy copy = HUGE_COPY.get().init(m, ops, dstMm, dstVma, srcMm, srcVma);
        try
        {
            PmdLeaves.forEach(pt, ops, srcMm.pgd, srcVma.start, srcVma.end, copy);
            return copy.ret;
        }
        finally
        {
            copy.release();
        }
    }

    /** Each thread's {@link HugeCopy} (a thread runs one fork at a time; the kernel keeps this on the stack). */
    private static final ThreadLocal<HugeCopy> HUGE_COPY = ThreadLocal.withInitial(HugeCopy::new);

    /** The per-VMA state of {@link #copyHugePmds}: one visitor per thread, set up per VMA, nothing allocated per leaf. */
    private static final class HugeCopy implements PmdLeaves.Visitor
    {
        Machine m;
        Arch arch;
        PmdOps ops;
        PageTables pt;
        MemMap memmap;
        Events ev;
        Mm dstMm;
        Mm srcMm;
        Vma srcVma;
        boolean srcHasPinned;
        boolean dstUffdWp;
        int ret;
        /** The child's PMD table of the last leaf and the 1 GiB (PUD entry) it covers: one pmd_alloc per PUD entry. */
        long dstPmdTable = PageTables.NO_TABLE;
        long dstPud = -1;
        MemorySegment dstSeg;
        long dstBase;
        /** The parent's PMD table of the last leaf, its segment and base. */
        long srcPmdTable = PageTables.NO_TABLE;
        MemorySegment srcSeg;
        long srcBase;

        /** Sets up the copy of {@code srcVma}'s leaves into {@code dstMm}. */
        HugeCopy init(final Machine m, final PmdOps ops, final Mm dstMm, final Vma dstVma, final Mm srcMm, final Vma srcVma)
        {
            this.m = m;
            this.arch = m.arch();
            this.ops = ops;
            this.pt = m.pageTables();
            this.memmap = m.memmap();
            this.ev = m.events();
            this.dstMm = dstMm;
            this.srcMm = srcMm;
            this.srcVma = srcVma;
            this.srcHasPinned = srcMm.hasPinned;
            this.dstUffdWp = (dstVma.flags & VmFlags.VM_UFFD_WP) != 0;
            this.ret = 0;
            this.dstPmdTable = PageTables.NO_TABLE;
            this.dstPud = -1;
            this.srcPmdTable = PageTables.NO_TABLE;
            return this;
        }

        /** Drops the references {@link #init} took (a kept visitor holds no machine or mm). */
        void release()
        {
            m = null;
            arch = null;
            pt = null;
            memmap = null;
            ev = null;
            dstMm = null;
            srcMm = null;
            srcVma = null;
            dstSeg = null;
            srcSeg = null;
        }

        @Override
        public void leaf(final long pmdTable, final int idx, final long pmd, final long haddr)
        {
            if (ret != 0)
            {
                return;
            }
            if ((haddr & -PageTables.PUD_SIZE) != dstPud)
            {
                dstPmdTable = PmdLeaves.pmdAlloc(pt, arch, ev, dstMm.pgd, haddr);
                if (dstPmdTable == PageTables.NO_TABLE)
                {
                    ret = ENOMEM;
                    return;
                }
                dstPud = haddr & -PageTables.PUD_SIZE;
                dstSeg = pt.segment(dstPmdTable);
                dstBase = pt.base(dstPmdTable);
            }
            if (srcPmdTable != pmdTable)
            {
                srcPmdTable = pmdTable;
                srcSeg = pt.segment(pmdTable);
                srcBase = pt.base(pmdTable);
            }
            final long pgtable = pt.allocTable(ev);     // pte_alloc_one, before any lock
            if (pgtable == PageTables.NO_TABLE)
            {
                ret = ENOMEM;
                return;
            }
            final long head = ops.pmdPfn(pmd);
            if (!HugeRmap.tryDupAnonRmapPmd(memmap, head, dstMm.id, srcHasPinned))
            {
                // -EBUSY: pte_free, __split_huge_pmd(src), -EAGAIN: copy_pte_range copies the split table
                pt.freeTable(ev, pgtable);
                ev.refcountUpdate += 2;                 // the folio_get before the dup and its folio_put
                splitHugePmd(m, srcMm, srcVma, pmdTable, idx, haddr);
                return;
            }
            memmap.refAdd(head, 1);                      // folio_get
            dstMm.rss[Mm.MM_ANONPAGES] += HPAGE_PMD_NR;
            TransHugeDeposit.deposit(memmap, dstPmdTable, pgtable);
            ops.pmdpSetWrprotect(srcSeg, srcBase, idx);
            long child = dstUffdWp ? pmd : ops.pmdClearUffdWp(pmd);
            child = ops.pmdMkold(ops.pmdWrprotect(child));
            ops.setPmdAt(dstSeg, dstBase, idx, child);
            ev.pmdCopy++;
            ev.refcountUpdate++;
            ev.rmapUpdate++;
        }
    }

    // ---------------------------------------------------------------- zap

    // The PMD part of zap_pmd_range (zap_huge_pmd for each leaf a range covers whole, __split_huge_pmd for one it
    // covers in part) is Zap.Gather#leaf, run by Zap.zapVmaRange before the PTE tables are zapped.

    /**
     * {@code zap_huge_pmd} of a present anon leaf: clear it, {@code folio_remove_rmap_pmd}, withdraw and free the
     * deposited table ({@code zap_deposited_table}), MM_ANONPAGES -= 512, drop the mapping's one folio reference
     * (freed at zero); the 2 MiB joins the gather's TLB flush.
     */
    static void zapHugePmd(final Machine m, final Mm mm, final long pmdTable, final int idx, final long haddr, final Zap.Gather g)
    {
        final PageTables pt = m.pageTables();
        final PmdOps ops = PmdOps.of(m.arch());
        final MemMap memmap = m.memmap();
        final Events ev = m.events();
        final long old = ops.pmdpHugeGetAndClear(pt.segment(pmdTable), pt.base(pmdTable), idx);
        final long head = ops.pmdPfn(old);
        HugeRmap.removeRmapPmd(memmap, head, mm.id);
        pt.freeTable(ev, TransHugeDeposit.withdraw(memmap, pmdTable));
        mm.rss[Mm.MM_ANONPAGES] -= HPAGE_PMD_NR;
        g.add(haddr, HPAGE_PMD_NR);
        Folios.put(m, head, 1);
        ev.rmapUpdate++;
        ev.refcountUpdate++;
    }

    // ---------------------------------------------------------------- split

    /**
     * {@code __split_huge_pmd_locked} of the present anon leaf at entry {@code idx} of {@code pmdTable} (mapping
     * {@code haddr} in {@code vma} of {@code mm}), non-freeze: see the class comment. Needs no memory (the table is
     * the deposit).
     */
    static void splitHugePmd(final Machine m, final Mm mm, final Vma vma, final long pmdTable, final int idx, final long haddr)
    {
        final Arch arch = m.arch();
        final PmdOps ops = PmdOps.of(arch);
        final PageTables pt = m.pageTables();
        final MemMap memmap = m.memmap();
        final Events ev = m.events();
        final long old = ops.pmdpInvalidate(arch, ev, pt.segment(pmdTable), pt.base(pmdTable), idx);
        final long head = ops.pmdPfn(old);
        final boolean write = ops.pmdWrite(old);
        final boolean young = ops.pmdYoung(old);
        final boolean dirty = ops.pmdDirty(old);
        final boolean softDirty = ops.pmdSoftDirty(old);
        final boolean uffdWp = ops.pmdUffdWp(old);
        if (dirty)
        {
            memmap.setFlagBits(head, PageDescriptor.PG_DIRTY);      // folio_set_dirty
        }
        final boolean anonExclusive = memmap.testAnonExclusive(head);
        memmap.refAdd(head, HPAGE_PMD_NR - 1);                       // folio_ref_add(folio, 511)
        memmap.folioAddLargeMapcount(head, HPAGE_PMD_NR, mm.id);     // folio_add_anon_rmap_ptes(.., 512, ..)
        if (anonExclusive)
        {
            memmap.setAnonExclusiveRange(head, HPAGE_PMD_NR);
        }
        final long table = TransHugeDeposit.withdraw(memmap, pmdTable);
        long entry = arch.pfnPte(head, vma.pageProt);
        if (write)
        {
            entry = arch.pteMkwrite(entry);
        }
        if (!young)
        {
            entry = arch.pteMkold(entry);
        }
        if (dirty)
        {
            entry = arch.pteMkdirty(entry);
        }
        if (softDirty)
        {
            entry = arch.pteMksoftDirty(entry);
        }
        if (uffdWp)
        {
            entry = arch.pteMkuffdWp(entry);
        }
        arch.setPtes(ev, pt.segment(table), pt.base(table), 0, entry, HPAGE_PMD_NR);
        HugeRmap.removeRmapPmd(memmap, head, mm.id);                // folio_remove_rmap_pmd
        pt.setEntry(pmdTable, idx, arch.mkTableEntry(table));       // pmd_populate
        ev.pmdSplit++;
        ev.rmapUpdate += 2;
        ev.refcountUpdate++;
    }

    /**
     * {@code __split_huge_pmd} of every leaf of {@code mm} whose 2 MiB intersects {@code [start, end)}; with
     * {@code partialOnly}, only of those the range does not cover whole.
     */
    static void splitHugePmds(final Machine m, final Mm mm, final long start, final long end, final boolean partialOnly)
    {
        PmdLeaves.forEach(m.pageTables(), PmdOps.of(m.arch()), mm.pgd, start, end, (pmdTable, idx, pmd, haddr) ->
        {
            if (!partialOnly || haddr < start || haddr + HPAGE_PMD_SIZE > end)
            {
                splitHugePmd(m, mm, mm.findVma(haddr), pmdTable, idx, haddr);
            }
        });
    }

    /**
     * {@code vma_adjust_trans_huge} for a VMA about to be split at {@code at}: the leaf straddling {@code at}, if
     * any, is split (a PMD leaf never crosses a VMA boundary).
     */
    static void vmaAdjustTransHuge(final Mm mm, final Vma vma, final long at)
    {
        if ((at & (HPAGE_PMD_SIZE - 1)) == 0)
        {
            return;
        }
        final Machine m = mm.machine();
        final long haddr = at & -HPAGE_PMD_SIZE;
        final long pmdTable = PmdLeaves.pmdOffset(m.pageTables(), mm.pgd, haddr);
        if (pmdTable == PageTables.NO_TABLE)
        {
            return;
        }
        final int idx = PageTables.pmdIndex(haddr);
        final long e = m.pageTables().entry(pmdTable, idx);
        if (e != 0 && PmdOps.of(m.arch()).pmdTransHuge(e))
        {
            splitHugePmd(m, mm, vma, pmdTable, idx, haddr);
        }
    }

    // ---------------------------------------------------------------- mprotect

    /**
     * {@code change_huge_pmd} for every leaf of {@code v} (whole leaves: VMA splits already split straddling ones):
     * {@code pmdp_invalidate_ad} (a TLB flush of the leaf), then the new protection with the PFN, young, dirty,
     * soft-dirty and uffd-wp state kept ({@code pmd_modify}); with {@code tryWritable} a leaf of an exclusive folio
     * (head PageAnonExclusive) becomes writable at once ({@code can_change_pmd_writable}).
     *
     * @return the number of leaves whose word changed
     */
    static long changeHugePmds(final Machine m, final Mm mm, final Vma v, final boolean tryWritable)
    {
        final PageTables pt = m.pageTables();
        final PmdOps ops = PmdOps.of(m.arch());
        final MemMap memmap = m.memmap();
        final long[] changed = {0};
        PmdLeaves.forEach(pt, ops, mm.pgd, v.start, v.end, (pmdTable, idx, pmd, haddr) ->
        {
            ops.flushPmdTlbRange(m.arch(), m.events());  // pmdp_invalidate_ad
            final long head = ops.pmdPfn(pmd);
            long np = ops.folioMkPmd(head, v.pageProt);
            np = ops.pmdYoung(pmd) ? ops.pmdMkyoung(np) : ops.pmdMkold(np);
            if (ops.pmdDirty(pmd))
            {
                np = ops.pmdMkdirty(np);
            }
            np = ops.pmdSoftDirty(pmd) ? ops.pmdMksoftDirty(np) : ops.pmdClearSoftDirty(np);
            if (ops.pmdUffdWp(pmd))
            {
                np = ops.pmdWrprotect(m.arch().pteMkuffdWp(np));
            }
            if (tryWritable && !ops.pmdWrite(np) && !ops.pmdUffdWp(np) && memmap.testAnonExclusive(head))
            {
                np = ops.pmdMkwrite(np);
            }
            if (np != pmd)
            {
                changed[0]++;
                pt.setEntry(pmdTable, idx, np);
            }
        });
        return changed[0];
    }

    // ---------------------------------------------------------------- MADV_PAGEOUT

    /**
     * The PMD part of {@code madvise_cold_or_pageout_pte_range} for MADV_PAGEOUT of private anon memory, run before
     * the PTE part. A folio that is maybe mapped shared ({@code folio_maybe_mapped_shared}: after fork, until one
     * side unmaps) is skipped whole. A leaf the range covers in part is split (the kernel then splits the folio with
     * {@code split_folio}, which forksim does not model: the PTE part treats it as a partially covered large folio).
     * A leaf covered whole is reclaimed as 6.18 reclaims it onto a swap device like forksim's (a block device with
     * CONFIG_THP_SWAP, where {@code folio_alloc_swap} can take 512 consecutive slots): unless it is maybe pinned,
     * {@code try_to_unmap(TTU_SPLIT_HUGE_PMD)} splits the leaf and the PTE part swaps the whole folio out into 512
     * swap PTEs in the deposited table (exclusive markers from the per-page PageAnonExclusive the split set). There
     * is no PMD-level swap entry.
     */
    static void pageoutHugePmds(final Machine m, final Mm mm, final long start, final long end)
    {
        final MemMap memmap = m.memmap();
        final PmdOps ops = PmdOps.of(m.arch());
        PmdLeaves.forEach(m.pageTables(), ops, mm.pgd, start, end, (pmdTable, idx, pmd, haddr) ->
        {
            final long head = ops.pmdPfn(pmd);
            if (memmap.largeMapcount(head) > 1 && memmap.folioMmIdsShared(head))
            {
                return;
            }
            final boolean whole = haddr >= start && haddr + HPAGE_PMD_SIZE <= end;
            if (whole && memmap.folioMaybeDmaPinned(head))
            {
                return;
            }
            splitHugePmd(m, mm, mm.findVma(haddr), pmdTable, idx, haddr);
        });
    }
}
