package io.forksim.mm;

import io.forksim.arch.PmdOps;
import io.forksim.mem.MemMap;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.PmdLeaves;

import java.lang.foreign.MemorySegment;

/**
 * Faults and user accesses on a PMD-mapped THP (mm/huge_memory.c, Linux 6.18), reached from {@link Faults}
 * before it looks for a PTE:
 * <ul>
 *   <li>a write (or FOLL_WRITE pin) on a read-only leaf: {@code do_huge_pmd_wp_page}: reuse when the head page is
 *       PageAnonExclusive, or when the folio's only reference is this mapping (then PageAnonExclusive is set on the
 *       head); otherwise {@code __split_huge_pmd} and {@code VM_FAULT_FALLBACK}, then the PTE level's
 *       {@code do_wp_page} on the 4 KiB page (after a fork the folio is maybe shared, so it copies one page);</li>
 *   <li>any other fault on a leaf: {@code huge_pmd_set_accessed} (young, and dirty for a write);</li>
 *   <li>user loads and stores: the MMU sets the leaf's accessed (and dirty) bit; the token is the 4 KiB page's.</li>
 *   <li>longterm pins ({@code follow_huge_pmd}): FOLL_WRITE as a write fault; without FOLL_WRITE an unshare fault
 *       ({@code FAULT_FLAG_UNSHARE}) when the leaf is read-only and its head not PageAnonExclusive.</li>
 * </ul>
 * {@link Mm#read}, {@link Mm#write} and {@link Mm#pin} come here for a PMD-mapped address, {@link Faults#fault} for
 * any fault; each entry checks the VMA's permissions as {@link Faults} does.
 */
final class HugePmdFaults
{
    private HugePmdFaults()
    {
    }

    /** The PMD leaf mapping {@code addr} in {@code mm}, or 0 if {@code addr} is not PMD-mapped. */
    static long leaf(final Machine m, final Mm mm, final long addr)
    {
        final long e = PmdLeaves.pmdEntry(m.pageTables(), mm.pgd, addr);
        return e != 0 && PmdOps.of(m.arch()).pmdTransHuge(e) ? e : 0;
    }

    /**
     * The PMD part of {@code __handle_mm_fault}. Precondition: {@code vma} allows the access.
     *
     * @return the result, or null if {@code addr} is not PMD-mapped and the PTE path must handle the fault
     */
    static FaultResult fault(final Machine m, final Mm mm, final Vma vma, final long addr, final boolean write)
    {
        final long pmd = leaf(m, mm, addr);
        if (pmd == 0)
        {
            return null;
        }
        final PmdOps ops = PmdOps.of(m.arch());
        final PageTables pt = m.pageTables();
        final long haddr = addr & -HugeMemory.HPAGE_PMD_SIZE;
        final long pmdTable = PmdLeaves.pmdOffset(pt, mm.pgd, haddr);
        final int idx = PageTables.pmdIndex(haddr);
        final MemorySegment seg = pt.segment(pmdTable);
        final long base = pt.base(pmdTable);
        if (write && !ops.pmdWrite(pmd))
        {
            return doHugePmdWpPage(m, mm, vma, pmdTable, idx, pmd, addr, false);
        }
        long entry = ops.pmdMkyoung(pmd);
        if (write)
        {
            entry = ops.pmdMkdirty(entry);
        }
        ops.pmdpSetAccessFlags(seg, base, idx, entry);
        return FaultResult.MAPPED;
    }

    /**
     * {@code do_huge_pmd_wp_page} on a present, read-only anon leaf, for a write fault at {@code addr} or, with
     * {@code unshare}, for {@code FAULT_FLAG_UNSHARE} (a R/O longterm pin). The folio may be reused when the head
     * page is PageAnonExclusive, or when the folio's only reference is this mapping ({@code folio_ref_count == 1}:
     * then PageAnonExclusive is set on the head). Reuse for a write makes the leaf young, dirty and (VM_WRITE)
     * writable; reuse for unshare leaves the leaf word as it is. Otherwise {@code __split_huge_pmd} and
     * {@code VM_FAULT_FALLBACK}, and the PTE path's {@code do_wp_page} (with the same unshare flag) on the 4 KiB page
     * of {@code addr}, done here. The page that {@code do_wp_page} may copy into is allocated before the split, so
     * that running out of simulated RAM leaves the leaf as it was. Precondition: {@code pmd} is the read-only anon
     * leaf at {@code idx} of {@code pmdTable}, mapping {@code addr}.
     *
     * @return {@link FaultResult#REUSED}, or what {@code do_wp_page} did after the split
     * @throws io.forksim.mem.OutOfSimulatedMemoryException if the fallback's page cannot be allocated (nothing changed)
     */
    private static FaultResult doHugePmdWpPage(final Machine m, final Mm mm, final Vma vma, final long pmdTable,
        final int idx, final long pmd, final long addr, final boolean unshare)
    {
        final PmdOps ops = PmdOps.of(m.arch());
        final MemMap memmap = m.memmap();
        final PageTables pt = m.pageTables();
        final long head = ops.pmdPfn(pmd);
        if (!memmap.testAnonExclusive(head))
        {
            if (memmap.rawRefcount(head) > 1)
            {
                final long prealloc = Folios.alloc(m, 0, Folios.ANON_FLAGS);
                if (prealloc == PhysMem.NO_PFN)
                {
                    throw Faults.oom(m, 0);
                }
                HugeMemory.splitHugePmd(m, mm, vma, pmdTable, idx, addr & -HugeMemory.HPAGE_PMD_SIZE);
                final Tables.Slot s = Tables.lookup(m, mm, addr);
                return Faults.doWpPage(m, mm, vma, s, s.peek(), prealloc, unshare);
            }
            memmap.setAnonExclusive(head);                   // folio_move_anon_rmap + SetPageAnonExclusive
        }
        m.events().cowReuses++;
        if (unshare)
        {
            return FaultResult.REUSED;
        }
        long entry = ops.pmdMkdirty(ops.pmdMkyoung(pmd));
        if ((vma.flags & VmFlags.VM_WRITE) != 0)
        {
            entry = ops.pmdMkwrite(entry);
        }
        ops.pmdpSetAccessFlags(pt.segment(pmdTable), pt.base(pmdTable), idx, entry);
        return FaultResult.REUSED;
    }

    /**
     * A user load from a PMD-mapped page: the MMU sets the leaf's accessed bit. Precondition: {@code pmd} maps addr.
     *
     * @throws IllegalStateException {@code "SIGSEGV at 0x..."} (nothing changed) if the VMA allows no access
     */
    static long read(final Machine m, final Mm mm, final long addr, final long pmd)
    {
        final Vma vma = Faults.vmaFor(mm, addr);
        if (vma == null || !Faults.accessOk(vma, false))
        {
            throw Faults.segv(addr);
        }
        final PmdOps ops = PmdOps.of(m.arch());
        if (!ops.pmdYoung(pmd))
        {
            setLeaf(m, mm, addr, ops.pmdMkyoung(pmd));
        }
        return m.memmap().token(ops.pmdPfn(pmd) + pageIndex(addr));
    }

    /**
     * A user store to a PMD-mapped page: faults first unless the leaf is writable (reuse, or a fallback split
     * after which the PTE path finishes the store); else the MMU sets accessed and dirty.
     */
    static void write(final Machine m, final Mm mm, final long addr, final long token, final long pmd)
    {
        final Vma vma = Faults.vmaFor(mm, addr);
        if (vma == null || !Faults.accessOk(vma, true))
        {
            throw Faults.segv(addr);
        }
        final PmdOps ops = PmdOps.of(m.arch());
        if (!ops.pmdWrite(pmd))
        {
            Faults.fault(m, mm, addr, true);
            mm.write(addr, token);                    // the leaf reused, or split: the PTE path
            return;
        }
        if (!ops.pmdYoung(pmd) || !ops.pmdDirty(pmd))
        {
            setLeaf(m, mm, addr, ops.pmdMkdirty(ops.pmdMkyoung(pmd)));
        }
        m.memmap().setToken(ops.pmdPfn(pmd) + pageIndex(addr), token);
    }

    /**
     * {@code pin_user_pages(FOLL_WRITE | FOLL_LONGTERM)} of a PMD-mapped page ({@code follow_huge_pmd}): a write
     * fault first unless the leaf is writable and the head PageAnonExclusive; then the pin of the 4 KiB page
     * (large folio: pincount + 1, refcount + 1), as {@link Faults#pin} does for a PTE.
     */
    static long pin(final Machine m, final Mm mm, final long page, final long pmd)
    {
        final Vma vma = Faults.vmaFor(mm, page);
        if (vma == null || (vma.flags & VmFlags.VM_WRITE) == 0)
        {
            throw new IllegalArgumentException("cannot pin 0x" + Long.toHexString(page)
                + ": no writable mapping there (FOLL_WRITE would fail with -EFAULT)");
        }
        final PmdOps ops = PmdOps.of(m.arch());
        if (!ops.pmdWrite(pmd) || !m.memmap().testAnonExclusive(ops.pmdPfn(pmd)))
        {
            Faults.fault(m, mm, page, true);
            final long now = leaf(m, mm, page);
            if (now == 0)
            {
                return Gup.pin(m, mm, page, true);
            }
        }
        return pinLeafPage(m, mm, page, leaf(m, mm, page));
    }

    /**
     * {@code pin_user_pages(FOLL_LONGTERM)} without FOLL_WRITE of a PMD-mapped page ({@code follow_huge_pmd}).
     * {@code gup_must_unshare} holds for a read-only leaf whose head page is not PageAnonExclusive; then gup takes
     * an unshare fault ({@code -EMLINK}, {@code FAULT_FLAG_UNSHARE}: one fault, {@link #doHugePmdWpPage} with
     * unshare): a folio this leaf alone references is reused (head PageAnonExclusive, the leaf word unchanged,
     * {@code cowReuses} + 1) and pinned as PMD-mapped; any other is split ({@code pmdSplit} + 1), the 4 KiB page
     * unshared by {@code do_wp_page} (a read-only, clean, exclusive copy) and {@code NO_PFN} is returned: the caller
     * pins that copy through the PTE path, which finds nothing left to unshare. A writable leaf or an exclusive head is pinned at once, without a fault. The pin
     * never touches the leaf (pin_user_pages sets no FOLL_TOUCH). Preconditions: {@code vma} maps {@code page}
     * readable; {@code pmd} is the leaf mapping it.
     *
     * @return the pinned PFN, or {@code PhysMem.NO_PFN} after the fallback split
     */
    static long pinReadOnly(final Machine m, final Mm mm, final Vma vma, final long page, final long pmd)
    {
        final PmdOps ops = PmdOps.of(m.arch());
        if (!ops.pmdWrite(pmd) && !m.memmap().testAnonExclusive(ops.pmdPfn(pmd)))
        {
            final PageTables pt = m.pageTables();
            final long haddr = page & -HugeMemory.HPAGE_PMD_SIZE;
            final long pmdTable = PmdLeaves.pmdOffset(pt, mm.pgd, haddr);
            m.events().faults++;
            doHugePmdWpPage(m, mm, vma, pmdTable, PageTables.pmdIndex(haddr), pmd, page, true);
            if (leaf(m, mm, page) == 0)
            {
                return PhysMem.NO_PFN;                // split and unshared at PTE level: the PTE path pins the copy
            }
        }
        return pinLeafPage(m, mm, page, pmd);
    }

    /** The pin of the 4 KiB page {@code page} of the leaf {@code pmd}: large folio pincount + 1, refcount + 1. */
    private static long pinLeafPage(final Machine m, final Mm mm, final long page, final long pmd)
    {
        final long pfn = PmdOps.of(m.arch()).pmdPfn(pmd) + pageIndex(page);
        Folios.pin(m, pfn);
        mm.hasPinned = true;
        mm.pins.add(new Mm.Pin(page, pfn));
        return pfn;
    }

    private static long pageIndex(final long addr)
    {
        return (addr & (HugeMemory.HPAGE_PMD_SIZE - 1)) >>> io.forksim.arch.Arch.PAGE_SHIFT;
    }

    private static void setLeaf(final Machine m, final Mm mm, final long addr, final long entry)
    {
        final PageTables pt = m.pageTables();
        final long pmdTable = PmdLeaves.pmdOffset(pt, mm.pgd, addr);
        PmdOps.of(m.arch()).pmdpSetAccessFlags(pt.segment(pmdTable), pt.base(pmdTable), PageTables.pmdIndex(addr), entry);
    }
}
