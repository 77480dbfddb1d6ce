package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.pgtable.PageTableLocks;
import io.forksim.pgtable.PageTables;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The address-space operations on VMAs: mmap (MAP_FIXED without overlap), munmap, mprotect, madvise and
 * mremap (MREMAP_MAYMOVE | MREMAP_FIXED), with the VMA splits they need. A new mapping, a VMA whose flags
 * mprotect or madvise changed, and the range mremap moved merge with compatible neighbours as the kernel's do
 * ({@link VmaMerge}).
 *
 * <p>Every operation validates all of its arguments before it changes anything.
 */
final class VmaOps
{
    static final int PROT_MASK = VmFlags.VM_READ | VmFlags.VM_WRITE | VmFlags.VM_EXEC;

    private VmaOps()
    {
    }

    // ---------------------------------------------------------------- validation helpers

    static void checkRange(final String what, final long addr, final long len)
    {
        if (addr < 0 || (addr & (Arch.PAGE_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException(what + ": address 0x" + Long.toHexString(addr) + " is not page aligned");
        }
        if (len <= 0 || (len & (Arch.PAGE_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException(what + ": length " + len + " is not a positive multiple of 4096");
        }
        if (addr + len > PageTables.TASK_SIZE || addr + len < addr)
        {
            throw new IllegalArgumentException(what + ": range 0x" + Long.toHexString(addr) + "+0x" + Long.toHexString(len)
                + " goes beyond TASK_SIZE 0x" + Long.toHexString(PageTables.TASK_SIZE));
        }
    }

    static void checkProt(final String what, final int prot)
    {
        if ((prot & ~PROT_MASK) != 0)
        {
            throw new IllegalArgumentException(what + ": prot 0x" + Integer.toHexString(prot)
                + " has bits other than VM_READ|VM_WRITE|VM_EXEC");
        }
    }

    /** The VMAs intersecting {@code [start, end)}, in address order (a copy). */
    static List<Vma> vmasIn(final Mm mm, final long start, final long end)
    {
        final List<Vma> out = new ArrayList<>();
        for (int i = mm.vmas.firstFrom(start); i < mm.vmas.size(); i++)
        {
            final Vma v = mm.vmas.get(i);
            if (v.start >= end)
            {
                break;
            }
            if (v.end > start)
            {
                out.add(v);
            }
        }
        return out;
    }

    /** Throws naming the first address of {@code [start, end)} that no VMA covers. */
    static void checkCovered(final String what, final Mm mm, final long start, final long end)
    {
        long a = start;
        for (final Vma v : vmasIn(mm, start, end))
        {
            if (v.start > a)
            {
                break;
            }
            a = v.end;
        }
        if (a < end)
        {
            throw new IllegalArgumentException(what + ": no mapping at 0x" + Long.toHexString(a)
                + " (the range 0x" + Long.toHexString(start) + "-0x" + Long.toHexString(end) + " has a hole; -ENOMEM)");
        }
    }

    /** {@code split_vma}: {@code vma} keeps {@code [start, at)}, a new VMA gets {@code [at, end)}. */
    static Vma split(final Mm mm, final Vma vma, final long at)
    {
        HugeMemory.vmaAdjustTransHuge(mm, vma, at);
        final Vma hi = new Vma(at, vma.end, vma.flags, vma.file, vma.pgoff + ((at - vma.start) >>> Arch.PAGE_SHIFT), vma.pageProt);
        hi.anonVma = vma.anonVma;
        hi.anonVmaForked = vma.anonVmaForked;
        vma.end = at;
        mm.vmas.insert(hi);
        return hi;
    }

    /** Splits the VMAs straddling {@code start} or {@code end} so that VMAs lie either inside or outside. */
    static void splitAround(final Mm mm, final long start, final long end)
    {
        final Vma a = mm.findVma(start);
        if (a != null && a.start < start)
        {
            split(mm, a, start);
        }
        final Vma b = mm.findVma(end - 1);
        if (b != null && b.end > end)
        {
            split(mm, b, end);
        }
    }

    static long pageProt(final Arch arch, final int flags)
    {
        return arch.vmGetPageProt((flags & VmFlags.VM_READ) != 0, (flags & VmFlags.VM_WRITE) != 0,
            (flags & VmFlags.VM_EXEC) != 0, (flags & VmFlags.VM_SHARED) != 0);
    }

    // ---------------------------------------------------------------- mmap / munmap

    static Vma mmap(final Machine m, final Mm mm, final long addr, final long len, final int prot, final boolean shared,
        final SimFile file, final long off)
    {
        checkRange("mmap", addr, len);
        checkProt("mmap", prot);
        if (file != null)
        {
            if (!m.files().contains(file))
            {
                throw new IllegalArgumentException("mmap: file " + file.name() + " is not a file of this machine");
            }
            if (off < 0 || (off & (Arch.PAGE_SIZE - 1)) != 0)
            {
                throw new IllegalArgumentException("mmap: file offset " + off + " is not a page-aligned non-negative value");
            }
            if ((off >>> Arch.PAGE_SHIFT) + (len >>> Arch.PAGE_SHIFT) > file.sizePages())
            {
                throw new IllegalArgumentException("mmap: offset " + off + " + length " + len + " runs past the end of "
                    + file.name() + " (" + (file.sizePages() << Arch.PAGE_SHIFT) + " bytes)");
            }
        }
        else if (off != 0)
        {
            throw new IllegalArgumentException("mmap: file offset " + off + " given for an anonymous mapping");
        }
        for (final Vma v : vmasIn(mm, addr, addr + len))
        {
            throw new IllegalArgumentException("mmap: range 0x" + Long.toHexString(addr) + "-0x" + Long.toHexString(addr + len)
                + " overlaps " + v + " (MAP_FIXED_NOREPLACE: -EEXIST)");
        }
        int flags = prot | VmFlags.VM_MAYREAD | VmFlags.VM_MAYWRITE | VmFlags.VM_MAYEXEC;
        if (shared)
        {
            flags |= VmFlags.VM_SHARED | VmFlags.VM_MAYSHARE;
        }
        else if ((prot & VmFlags.VM_WRITE) != 0)
        {
            flags |= VmFlags.VM_ACCOUNT; // accountable_mapping
        }
        SimFile f = file;
        long pgoff = off >>> Arch.PAGE_SHIFT;
        if (shared && file == null)
        {
            f = m.createShmemFile(len); // shmem_zero_setup
            pgoff = 0;
        }
        else if (file == null)
        {
            pgoff = addr >>> Arch.PAGE_SHIFT;
        }
        return VmaMerge.mergeNew(mm, new Vma(addr, addr + len, flags, f, pgoff, pageProt(m.arch(), flags)));
    }

    static void munmap(final Machine m, final Mm mm, final long addr, final long len, final boolean batched)
    {
        checkRange("munmap", addr, len);
        final long end = addr + len;
        if (vmasIn(mm, addr, end).isEmpty())
        {
            return;
        }
        splitAround(mm, addr, end);
        final List<Vma> removed = vmasIn(mm, addr, end);
        final Zap.Gather g = new Zap.Gather();
        for (final Vma v : removed)
        {
            Zap.zapVmaRange(m, mm, v, v.start, v.end, batched, g);
        }
        for (final Vma v : removed)
        {
            mm.vmas.remove(v.start);
        }
        m.pageTables().freeEmptyTables(m.events(), mm.pgd, addr, end);
        g.finish(m);
        m.dropUnmappedShmem(removed);
    }

    // ---------------------------------------------------------------- mprotect

    static void mprotect(final Machine m, final Mm mm, final long addr, final long len, final int prot)
    {
        checkRange("mprotect", addr, len);
        checkProt("mprotect", prot);
        final long end = addr + len;
        checkCovered("mprotect", mm, addr, end);
        final Arch arch = m.arch();
        long changed = 0;
        // walk the live tree: a merge may absorb the next VMA of the range (it then already has the new flags)
        for (long a = addr; a < end; )
        {
            final Vma v0 = mm.findVma(a);
            final int newFlags = newProtFlags(v0, prot);
            if (newFlags == v0.flags)
            {
                a = v0.end;
                continue;
            }
            Vma v = v0;
            if (v.start < addr)
            {
                v = split(mm, v, addr);
            }
            if (v.end > end)
            {
                split(mm, v, end);
            }
            v.flags = newFlags;
            v.pageProt = pageProt(arch, newFlags);
            changed += changeProtection(m, mm, v);
            a = VmaMerge.mergeExisting(mm, v).end;
        }
        if (changed > 0)
        {
            arch.flushTlbRange(m.events(), len >>> Arch.PAGE_SHIFT);
        }
    }

    /**
     * mprotect_fixup's new flags: the prot bits replaced; a private mapping made writable is charged
     * (VM_ACCOUNT); an anonymous one made read-only before it has an anon_vma is uncharged.
     */
    static int newProtFlags(final Vma vma, final int prot)
    {
        final int old = vma.flags;
        int f = (old & ~PROT_MASK) | prot;
        if ((prot & VmFlags.VM_WRITE) != 0)
        {
            if ((old & (VmFlags.VM_ACCOUNT | VmFlags.VM_WRITE | VmFlags.VM_SHARED)) == 0)
            {
                f |= VmFlags.VM_ACCOUNT;
            }
        }
        else if ((old & VmFlags.VM_ACCOUNT) != 0 && vma.file == null && vma.anonVma == null)
        {
            f &= ~VmFlags.VM_ACCOUNT;
        }
        return f;
    }

    /**
     * {@code change_protection} of a whole VMA with its new {@code vm_page_prot}: each present PTE gets the new
     * protection ({@code pte_modify}: PFN, young, dirty, soft-dirty, uffd-wp and special kept). With
     * {@code MM_CP_TRY_CHANGE_WRITABLE} (a private VMA with VM_WRITE, {@code vma_wants_manual_pte_write_upgrade})
     * a PTE whose page is an exclusive anon page is mapped writable right away
     * ({@code can_change_private_pte_writable}); everything else keeps needing a write fault. Swap entries are
     * left alone. Shared VMAs already get a writable {@code vm_page_prot} (no {@code page_mkwrite}).
     *
     * @return the number of PTE words that changed
     */
    static long changeProtection(final Machine m, final Mm mm, final Vma v)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final Events ev = m.events();
        final PageTables pt = m.pageTables();
        final boolean tryWritable = !v.isShared() && (v.flags & VmFlags.VM_WRITE) != 0;
        final long[] changed = {HugeMemory.changeHugePmds(m, mm, v, tryWritable)};
        final PageTableLocks ptl = pt.ptl();
        pt.forEachPteTable(mm.pgd, v.start, v.end, (table, tableVa) ->
        {
            if (ptl != null)
            {
                ptl.lock(table); // change_pte_range: pte_offset_map_lock
            }
            try
            {
                changeTable(arch, memmap, ev, pt, v, tryWritable, table, tableVa, changed);
            }
            finally
            {
                if (ptl != null)
                {
                    ptl.unlock(table);
                }
            }
        });
        return changed[0];
    }

    /** {@code change_pte_range} over the part of table {@code table} inside {@code v}. */
    private static void changeTable(final Arch arch, final MemMap memmap, final Events ev, final PageTables pt, final Vma v,
        final boolean tryWritable, final long table, final long tableVa, final long[] changed)
    {
        {
            final MemorySegment seg = pt.segment(table);
            final long base = pt.base(table);
            final long from = Math.max(v.start, tableVa);
            final long to = Math.min(v.end, tableVa + PageTables.PMD_SIZE);
            final int i0 = PageTables.pteIndex(from);
            final int n = (int)((to - from) >>> Arch.PAGE_SHIFT);
            for (int i = i0; i < i0 + n; i++)
            {
                final long pte = arch.ptepGet(ev, seg, base, i);
                if (arch.pteNone(pte) || !arch.ptePresent(pte))
                {
                    continue;
                }
                long np = pteModify(arch, pte, v.pageProt);
                if (tryWritable && !arch.pteWrite(np) && !arch.pteUffdWp(np))
                {
                    final long pfn = arch.ptePfn(pte);
                    if (!arch.pteSpecial(pte) && pfn != PhysMem.ZERO_PFN
                        && (memmap.flags(memmap.folioHead(pfn)) & PageDescriptor.PG_ANON) != 0
                        && memmap.testAnonExclusive(pfn))
                    {
                        np = arch.pteMkwrite(np);
                    }
                }
                if (np != arch.pteMknoncont(pte))
                {
                    changed[0]++;
                }
                arch.changePteProt(ev, seg, base, i, np);
            }
        }
    }

    /**
     * {@code pte_modify}: the PTE with protection {@code newProt}, keeping the PFN, young, dirty, soft-dirty,
     * uffd-wp and special state of {@code pte} (built with the arch's helpers, so x86 parks dirty in
     * SavedDirty while RW is clear). The contiguous bit is never set by the core.
     */
    static long pteModify(final Arch arch, final long pte, final long newProt)
    {
        long n = arch.pfnPte(arch.ptePfn(pte), newProt);
        n = arch.pteYoung(pte) ? arch.pteMkyoung(n) : arch.pteMkold(n);
        if (arch.pteDirty(pte))
        {
            n = arch.pteMkdirty(n);
        }
        if (arch.pteSoftDirty(pte) && !arch.pteSoftDirty(n))
        {
            n = arch.pteMksoftDirty(n);
        }
        else if (!arch.pteSoftDirty(pte) && arch.pteSoftDirty(n))
        {
            n = arch.pteClearSoftDirty(n);
        }
        if (arch.pteUffdWp(pte))
        {
            n = arch.pteMkuffdWp(n);
        }
        if (arch.pteSpecial(pte))
        {
            n = arch.pteMkspecial(n);
        }
        return n;
    }

    // ---------------------------------------------------------------- madvise

    static void madvise(final Machine m, final Mm mm, final long addr, final long len, final Advice advice, final boolean batched)
    {
        checkRange("madvise", addr, len);
        if (advice == null)
        {
            throw new IllegalArgumentException("madvise: advice is null");
        }
        final long end = addr + len;
        checkCovered("madvise(" + advice + ")", mm, addr, end);
        switch (advice)
        {
            case DONTNEED ->
            {
                final Zap.Gather g = new Zap.Gather();
                for (final Vma v : vmasIn(mm, addr, end))
                {
                    Zap.zapVmaRange(m, mm, v, Math.max(addr, v.start), Math.min(end, v.end), batched, g);
                }
                g.finish(m);
            }
            case PAGEOUT -> Pageout.pageout(m, mm, addr, end);
            case DONTFORK -> setFlags(mm, addr, end, VmFlags.VM_DONTCOPY, 0);
            case DOFORK -> setFlags(mm, addr, end, 0, VmFlags.VM_DONTCOPY);
            case WIPEONFORK ->
            {
                for (final Vma v : vmasIn(mm, addr, end))
                {
                    if (v.file != null || v.isShared())
                    {
                        throw new IllegalArgumentException("madvise(WIPEONFORK): " + v
                            + " is not a private anonymous mapping (-EINVAL)");
                    }
                }
                setFlags(mm, addr, end, VmFlags.VM_WIPEONFORK, 0);
            }
            case KEEPONFORK -> setFlags(mm, addr, end, 0, VmFlags.VM_WIPEONFORK);
        }
    }

    /**
     * {@code madvise_update_vma}: VMAs whose flags change are split to the range and merged with compatible
     * neighbours; unchanged ones are left.
     */
    private static void setFlags(final Mm mm, final long addr, final long end, final int set, final int clear)
    {
        for (long a = addr; a < end; ) // the live tree, as in mprotect
        {
            final Vma v0 = mm.findVma(a);
            final int nf = (v0.flags | set) & ~clear;
            if (nf == v0.flags)
            {
                a = v0.end;
                continue;
            }
            Vma v = v0;
            if (v.start < addr)
            {
                v = split(mm, v, addr);
            }
            if (v.end > end)
            {
                split(mm, v, end);
            }
            v.flags = nf;
            a = VmaMerge.mergeExisting(mm, v).end;
        }
    }

    // ---------------------------------------------------------------- mremap

    /**
     * {@code mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, new)} of part (or all) of one VMA to a free
     * range: {@code move_page_tables} moves present and swap entries as they are (no folio is split, no
     * refcount or rmap changes; x86 marks moved entries soft-dirty, {@code move_soft_dirty_pte}); on arm64 a
     * contpte block of one large folio moves as a batch ({@code mremap_folio_pte_batch}, FPB_RESPECT_WRITE).
     * A PMD leaf moves whole when the range covers it and the distance is a multiple of 2 MiB, else it is split
     * first ({@link MoveHugePmd}).
     * One TLB flush of the old range if a present entry moved; emptied tables of the old range are freed.
     */
    static Vma mremap(final Machine m, final Mm mm, final long oldAddr, final long len, final long newAddr)
    {
        checkRange("mremap (old range)", oldAddr, len);
        checkRange("mremap (new range)", newAddr, len);
        final Vma src = mm.findVma(oldAddr);
        if (src == null)
        {
            throw new IllegalArgumentException("mremap: no mapping at 0x" + Long.toHexString(oldAddr) + " (-EFAULT)");
        }
        if (oldAddr + len > src.end)
        {
            throw new IllegalArgumentException("mremap: range 0x" + Long.toHexString(oldAddr) + "+0x" + Long.toHexString(len)
                + " runs past the end of " + src + " (-EFAULT)");
        }
        if (newAddr < oldAddr + len && oldAddr < newAddr + len)
        {
            throw new IllegalArgumentException("mremap: new range 0x" + Long.toHexString(newAddr) + " overlaps the old range 0x"
                + Long.toHexString(oldAddr) + " (-EINVAL)");
        }
        for (final Vma v : vmasIn(mm, newAddr, newAddr + len))
        {
            throw new IllegalArgumentException("mremap: new range 0x" + Long.toHexString(newAddr) + "-0x"
                + Long.toHexString(newAddr + len) + " is not free: it overlaps " + v);
        }
        final PageTables pt = m.pageTables();
        final Arch arch = m.arch();
        final Events ev = m.events();
        final long delta = newAddr - oldAddr;
        final MoveHugePmd.Plan leaves = MoveHugePmd.plan(m, mm, oldAddr, oldAddr + len, delta);
        // Allocate every destination table first, so that running out of RAM changes nothing.
        final Tables.Created created = new Tables.Created();
        final boolean[] failed = {false};
        pt.forEachPteTable(mm.pgd, oldAddr, oldAddr + len, (table, tableVa) ->
        {
            final long from = Math.max(oldAddr, tableVa);
            final long to = Math.min(oldAddr + len, tableVa + PageTables.PMD_SIZE);
            for (long a = from; a < to && !failed[0]; a = PageTables.pmdAddrEnd(a + delta, to + delta) - delta)
            {
                if (Tables.pteAlloc(m, mm, a + delta, created) == PageTables.NO_TABLE)
                {
                    failed[0] = true;
                }
            }
        });
        if (failed[0] || !MoveHugePmd.allocDestinations(m, mm, leaves, oldAddr, oldAddr + len, delta, created))
        {
            Tables.unwind(m, created);
            throw Faults.oom(m, 0);
        }
        MoveHugePmd.split(m, mm, leaves);
        splitAround(mm, oldAddr, oldAddr + len);
        MoveHugePmd.move(m, mm, leaves, delta);
        final Vma piece = mm.findVma(oldAddr);
        // copy_vma: an anon VMA never faulted takes the new address as its pgoff, to merge more often
        final long movedPgoff = piece.file == null && piece.anonVma == null ? newAddr >>> Arch.PAGE_SHIFT : piece.pgoff;
        final Vma moved = new Vma(newAddr, newAddr + len, piece.flags, piece.file, movedPgoff, piece.pageProt);
        moved.anonVma = piece.anonVma;
        moved.anonVmaForked = piece.anonVmaForked;
        long movedPresent = 0;
        long a = oldAddr;
        final long oldEnd = oldAddr + len;
        while (a < oldEnd)
        {
            final long next = Math.min(PageTables.pmdAddrEnd(a, oldEnd), PageTables.pmdAddrEnd(a + delta, oldEnd + delta) - delta);
            final long st = pt.pteOffsetMap(mm.pgd, a);
            final long dt = st == PageTables.NO_TABLE ? PageTables.NO_TABLE : pt.pteOffsetMap(mm.pgd, a + delta);
            if (st != PageTables.NO_TABLE && dt == PageTables.NO_TABLE)
            {
                // A table the loop above created for destination entries, found here as a source table (old and new
                // range share its 2 MiB): its slots in the old range are none, nothing to move. Check it anyway.
                for (long x = a; x < next; x += Arch.PAGE_SIZE)
                {
                    if (!arch.pteNone(Arch.peek(pt.segment(st), pt.base(st), PageTables.pteIndex(x))))
                    {
                        throw new IllegalStateException("mremap: no destination table for the entry at 0x" + Long.toHexString(x));
                    }
                }
            }
            else if (st != PageTables.NO_TABLE)
            {
                final PageTableLocks ptl = pt.ptl();
                if (ptl != null)
                {
                    ptl.lockNested(dt, st); // move_ptes: old PTL, new PTL nested (stripe order, see PageTableLocks)
                }
                try
                {
                    movedPresent += movePtes(m, pt.segment(st), pt.base(st), PageTables.pteIndex(a),
                        pt.segment(dt), pt.base(dt), PageTables.pteIndex(a + delta), (int)((next - a) >>> Arch.PAGE_SHIFT));
                }
                finally
                {
                    if (ptl != null)
                    {
                        ptl.unlockNested(dt, st);
                    }
                }
            }
            a = next;
        }
        mm.vmas.remove(piece.start);
        final Vma result = VmaMerge.mergeNew(mm, moved);
        if (movedPresent > 0)
        {
            arch.flushTlbRange(ev, len >>> Arch.PAGE_SHIFT);
        }
        // Destination tables that stayed empty (the source had only none entries there) go too.
        Tables.unwind(m, created);
        pt.freeEmptyTables(ev, mm.pgd, oldAddr, oldEnd);
        return result;
    }

    /** {@code move_ptes} of {@code n} slots; returns the number of present entries moved. */
    private static long movePtes(final Machine m, final MemorySegment st, final long sb, final int si,
        final MemorySegment dt, final long db, final int di, final int n)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final Events ev = m.events();
        long present = 0;
        int i = 0;
        while (i < n)
        {
            final long pte = arch.ptepGet(ev, st, sb, si + i);
            if (arch.pteNone(pte))
            {
                i++;
                continue;
            }
            if (!arch.ptePresent(pte))
            {
                final long old = arch.ptepGetAndClear(ev, st, sb, si + i);
                arch.setNonPresent(ev, dt, db, di + i, arch.pteSwpMksoftDirty(old));
                i++;
                continue;
            }
            int nr = 1;
            final int maxNr = n - i;
            final long pfn = arch.ptePfn(pte);
            if (maxNr > 1 && arch.pteBatchHint(st, sb, si + i, pte) != 1 && !arch.pteSpecial(pte) && pfn != PhysMem.ZERO_PFN)
            {
                final int order = memmap.order(pfn);
                if (order != 0)
                {
                    final long head = pfn & -(1L << order);
                    nr = FolioPteBatch.nr(FolioPteBatch.folioPteBatch(arch, ev, st, sb, si + i, pte, maxNr, head + (1L << order),
                        FolioPteBatch.FPB_RESPECT_WRITE));
                }
            }
            final long old = nr == 1 ? arch.ptepGetAndClear(ev, st, sb, si + i) : arch.getAndClearFullPtes(ev, st, sb, si + i, nr);
            arch.setPtes(ev, dt, db, di + i, arch.pteMknoncont(arch.pteMksoftDirty(old)), nr);
            present += nr;
            i += nr;
        }
        return present;
    }
}
