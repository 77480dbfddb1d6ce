package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTableLocks;

/**
 * Longterm GUP pins (mm/gup.c, Linux 6.18): {@code pin_user_pages(FOLL_LONGTERM)} with or without FOLL_WRITE,
 * of one page or a range, and {@code unpin_user_page}.
 *
 * <pre>
 * R/W pin (FOLL_WRITE)      needs VM_WRITE; a write fault first unless the PTE is present, writable and (anon)
 *                           exclusive, so the pinned page can never be COW-shared
 * R/O pin (no FOLL_WRITE)   needs VM_READ; a read fault first if nothing is mapped; then, where
 *                           gup_must_unshare says so (an anon page that is not PageAnonExclusive; the zero page
 *                           or a page-cache page in a COW mapping), an unshare fault (FAULT_FLAG_UNSHARE,
 *                           do_wp_page): reuse marks the page exclusive, else a copy is mapped read-only and clean;
 *                           a PMD-mapped THP unshares at PMD level first (do_huge_pmd_wp_page: reuse if exclusive
 *                           or only this leaf references it, else split and unshare the 4 KiB page)
 * both                      VM_PFNMAP cannot be pinned (-EFAULT)
 * </pre>
 *
 * The pin itself: order 0 refcount + 1024, large {@code _pincount} + 1 and refcount + 1; MMF_HAS_PINNED.
 * Every operation validates all of its pages before it changes anything (bad input changes nothing).
 *
 * <p>Out of simulated RAM: {@code __get_user_pages} returns {@code -ENOMEM} from the fault that failed and undoes
 * none of the faults that completed before it. A forksim fault is atomic (it leaves nothing when it runs out), so a
 * failed pin leaves exactly the faults before the one that failed and takes no pin: nothing for a R/W pin (its one
 * write fault failed) or for a pin whose only fault failed; for a R/O pin that read-faulted and then ran out in its
 * unshare fault, the read fault's mapping (the zero page, a page-cache page or a swapped-in page, with the page
 * tables it allocated). A range pin also drops the pins it took on the pages before (what a caller does with
 * {@code pin_user_pages}' short count: {@code unpin_user_pages}); their faults stay too. Longterm pins never migrate
 * here ({@code check_and_migrate_movable_pages} finds no ZONE_MOVABLE or CMA page), so that step cannot fail.
 * One difference: the kernel sets MMF_HAS_PINNED on entry to every FOLL_PIN call, even one that then fails; forksim
 * sets it when a pin is taken. Nothing in forksim sees it but fork's {@code page_needs_cow_for_dma}, which also
 * needs {@code folio_maybe_dma_pinned}: an order-0 page with 1024 references and no pin could show it.
 */
final class Gup
{
    private Gup()
    {
    }

    /** Throws naming {@code addr} unless a pin there with {@code write} is allowed ({@code check_vma_flags}). */
    private static Vma checkPinnable(final Mm mm, final long addr, final boolean write)
    {
        final Vma vma = Faults.vmaFor(mm, addr);
        if (vma == null)
        {
            throw new IllegalArgumentException("cannot pin 0x" + Long.toHexString(addr) + ": no mapping there (-EFAULT)");
        }
        if ((vma.flags & VmFlags.VM_PFNMAP) != 0)
        {
            throw new IllegalArgumentException("cannot pin 0x" + Long.toHexString(addr) + ": " + vma + " is VM_PFNMAP (-EFAULT)");
        }
        if (write && (vma.flags & VmFlags.VM_WRITE) == 0)
        {
            throw new IllegalArgumentException("cannot pin 0x" + Long.toHexString(addr)
                + " for writing: " + vma + " is not writable (FOLL_WRITE: -EFAULT)");
        }
        if (!write && (vma.flags & VmFlags.VM_READ) == 0)
        {
            throw new IllegalArgumentException("cannot pin 0x" + Long.toHexString(addr) + ": " + vma + " is not readable (-EFAULT)");
        }
        return vma;
    }

    /**
     * A longterm pin of the page at {@code addr}, FOLL_WRITE if {@code write}.
     *
     * @return the pinned PFN
     * @throws IllegalArgumentException if the page cannot be pinned so (nothing changes)
     * @throws io.forksim.mem.OutOfSimulatedMemoryException if simulated RAM runs out: the faults that completed
     *         stay, no pin is taken (see the class comment)
     */
    static long pin(final Machine m, final Mm mm, final long addr, final boolean write)
    {
        final Vma vma = checkPinnable(mm, addr, write);
        final long page = addr & -Arch.PAGE_SIZE;
        final long pmd = HugePmdFaults.leaf(m, mm, page);
        if (pmd != 0)
        {
            final long pfn = write ? HugePmdFaults.pin(m, mm, page, pmd) : HugePmdFaults.pinReadOnly(m, mm, vma, page, pmd);
            if (pfn != PhysMem.NO_PFN)
            {
                return pfn;
            }
        }
        return pinMapped(m, mm, page, faultIn(m, mm, vma, page, write));
    }

    /** Takes the pin on {@code pfn}, the page mapped at {@code page}, and records it in {@code mm}. */
    private static long pinMapped(final Machine m, final Mm mm, final long page, final long pfn)
    {
        Folios.pin(m, pfn);
        mm.hasPinned = true;
        mm.pins.add(new Mm.Pin(page, pfn));
        return pfn;
    }

    /**
     * Longterm pins of every page of {@code [addr, addr + len)}, in address order.
     *
     * @return the pinned PFNs, one per page
     * @throws IllegalArgumentException if the range is malformed or any page of it cannot be pinned (nothing changes)
     * @throws io.forksim.mem.OutOfSimulatedMemoryException if simulated RAM runs out: the pins taken are dropped,
     *         the faults that completed stay
     */
    static long[] pinRange(final Machine m, final Mm mm, final long addr, final long len, final boolean write)
    {
        VmaOps.checkRange("pin", addr, len);
        for (long a = addr; a < addr + len; a += Arch.PAGE_SIZE)
        {
            checkPinnable(mm, a, write);
        }
        final long[] pfns = new long[(int)(len >>> Arch.PAGE_SHIFT)];
        int n = 0;
        try
        {
            for (long a = addr; a < addr + len; a += Arch.PAGE_SIZE)
            {
                pfns[n] = pin(m, mm, a, write);
                n++;
            }
        }
        catch (final RuntimeException e)
        {
            for (int i = n - 1; i >= 0; i--)
            {
                Folios.unpin(m, mm.pins.remove(mm.pins.size() - 1).pfn());
            }
            throw e;
        }
        return pfns;
    }

    /** {@code unpin_user_page} of the page pinned most recently at {@code addr}. */
    static void unpin(final Machine m, final Mm mm, final long addr)
    {
        final int i = lastPinAt(mm, addr & -Arch.PAGE_SIZE);
        if (i < 0)
        {
            throw new IllegalArgumentException("no pin at 0x" + Long.toHexString(addr) + " in " + mm);
        }
        Folios.unpin(m, mm.pins.remove(i).pfn());
    }

    /**
     * Unpins the most recent pin at every page of {@code [addr, addr + len)}.
     *
     * @throws IllegalArgumentException if the range is malformed or a page of it holds no pin (nothing changes)
     */
    static void unpinRange(final Machine m, final Mm mm, final long addr, final long len)
    {
        VmaOps.checkRange("unpin", addr, len);
        for (long a = addr; a < addr + len; a += Arch.PAGE_SIZE)
        {
            if (lastPinAt(mm, a) < 0)
            {
                throw new IllegalArgumentException("no pin at 0x" + Long.toHexString(a) + " in " + mm);
            }
        }
        for (long a = addr; a < addr + len; a += Arch.PAGE_SIZE)
        {
            unpin(m, mm, a);
        }
    }

    private static int lastPinAt(final Mm mm, final long page)
    {
        for (int i = mm.pins.size() - 1; i >= 0; i--)
        {
            if (mm.pins.get(i).addr() == page)
            {
                return i;
            }
        }
        return -1;
    }

    /** {@code __get_user_pages}' fault loop for one page: returns the PFN the pin may take. */
    private static long faultIn(final Machine m, final Mm mm, final Vma vma, final long page, final boolean write)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        Tables.Slot s = Tables.lookup(m, mm, page);
        long pte = s == null ? 0 : arch.ptepGet(m.events(), s.seg, s.base, s.idx);
        if (write)
        {
            boolean needFault = arch.pteNone(pte) || !arch.ptePresent(pte) || !arch.pteWrite(pte);
            if (!needFault)
            {
                final long pfn = arch.ptePfn(pte);
                needFault = (memmap.flags(memmap.folioHead(pfn)) & PageDescriptor.PG_ANON) != 0 && !memmap.testAnonExclusive(pfn);
            }
            if (needFault)
            {
                Faults.fault(m, mm, page, true);
                s = Tables.lookup(m, mm, page);
                pte = s.peek();
            }
            return arch.ptePfn(pte);
        }
        if (arch.pteNone(pte) || !arch.ptePresent(pte))
        {
            Faults.fault(m, mm, page, false);
            s = Tables.lookup(m, mm, page);
            pte = s.peek();
        }
        if (!arch.pteWrite(pte) && gupMustUnshare(m, vma, pte))
        {
            unshare(m, mm, vma, s);
            pte = s.peek();
        }
        return arch.ptePfn(pte);
    }

    /**
     * {@code gup_must_unshare} for a longterm R/O pin: an anon page unless PageAnonExclusive; any other page (the
     * zero page, a page-cache page) only in a COW mapping, where a later write would break COW away from it.
     */
    static boolean gupMustUnshare(final Machine m, final Vma vma, final long pte)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final long pfn = arch.ptePfn(pte);
        if (arch.pteSpecial(pte) || pfn == PhysMem.ZERO_PFN || (memmap.flags(memmap.folioHead(pfn)) & PageDescriptor.PG_ANON) == 0)
        {
            return VmFlags.isCowMapping(vma.flags);
        }
        return !memmap.testAnonExclusive(pfn);
    }

    /** The FAULT_FLAG_UNSHARE fault ({@code do_wp_page}), under the PTL on a concurrent machine. */
    private static void unshare(final Machine m, final Mm mm, final Vma vma, final Tables.Slot s)
    {
        final PageTableLocks ptl = m.pageTables().ptl();
        if (ptl != null)
        {
            ptl.lock(s.table);
        }
        try
        {
            m.events().faults++;
            if (Faults.doWpPage(m, mm, vma, s, s.peek(), PhysMem.NO_PFN, true) == null)
            {
                throw Faults.oom(m, 0);
            }
        }
        finally
        {
            if (ptl != null)
            {
                ptl.unlock(s.table);
            }
        }
    }
}
