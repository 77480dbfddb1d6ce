package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mm.ForkHooks;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTableLocks;
import io.forksim.pgtable.PageTables;

import java.lang.foreign.MemorySegment;

/**
 * {@code fork()}'s address-space copy: {@code dup_mmap} (mm/mmap.c) down to {@code copy_pte_range}.
 *
 * <pre>
 * fork(parent, strategy)
 *   dupMmap: for each parent VMA
 *     VM_DONTCOPY   -> skipped
 *     duplicate it (VM_LOCKED cleared); VM_WIPEONFORK -> no anon_vma, no page-table copy
 *     vmaNeedsCopy? -> copyPageRange: for each source PTE table under the VMA
 *                        pteAlloc(child) ; copyPteRange(strategy loop over the entries in the VMA)
 *   flush_tlb_mm(parent)   exactly once, after all VMAs (also when the copy failed)
 * </pre>
 *
 * A failure (simulated RAM exhausted for a table page or an eager copy) tears the partial child down and
 * throws {@link OutOfSimulatedMemoryException}; the parent stays valid (write-protected entries stay so,
 * as in the kernel, and fault back in as reuses).
 */
public final class Fork
{
    /** The child-mm hooks of dup_mmap and copy_pte_range (internal to this package). */
    static final ForkHooks HOOKS = ForkHooks.forFork();

    private Fork()
    {
    }

    /** Forks {@code parent} under {@code strategy}; returns the child. */
    public static Mm fork(final Mm parent, final Strategy strategy)
    {
        if (parent == null)
        {
            throw new IllegalArgumentException("cannot fork: the parent process is null");
        }
        if (parent.exited())
        {
            throw new IllegalStateException("cannot fork " + parent + ": the process has exited");
        }
        if (strategy == null)
        {
            throw new IllegalArgumentException("cannot fork " + parent + ": strategy is null (expected legacy, arch-batch"
                + " or folio-batch)");
        }
        final Machine machine = parent.machine();
        final Arch arch = machine.arch();
        final Mm child = machine.newProcess();
        try
        {
            final int ret = dupMmap(machine, parent, child, strategy);
            if (ret != CopyContext.OK)
            {
                child.exit();
                throw new OutOfSimulatedMemoryException("fork of " + parent + " failed: simulated RAM exhausted during the page-table copy ("
                    + machine.phys().freePageCount() + " pages free after unwinding)");
            }
        }
        finally
        {
            arch.flushTlbMm(machine.events());
        }
        return child;
    }

    private static int dupMmap(final Machine machine, final Mm parent, final Mm child, final Strategy strategy)
    {
        for (final Vma vma : parent.vmas())
        {
            if ((vma.flags() & VmFlags.VM_DONTCOPY) != 0)
            {
                continue;
            }
            final Vma dst = HOOKS.dupVma(vma);
            HOOKS.setVmaFlags(child, dst, vma.flags() & ~VmFlags.VM_LOCKED);
            if ((vma.flags() & VmFlags.VM_WIPEONFORK) != 0)
            {
                HOOKS.setHasAnonVma(child, dst, false);
                HOOKS.addVmaForFork(child, dst);
                continue;
            }
            HOOKS.addVmaForFork(child, dst);
            if (vmaNeedsCopy(dst, vma))
            {
                final int ret = copyPageRange(machine, child, dst, parent, vma, strategy);
                if (ret != CopyContext.OK)
                {
                    return ret;
                }
            }
        }
        return CopyContext.OK;
    }

    /**
     * {@code vma_needs_copy}: page tables are copied only for a uffd-wp armed child VMA, PFN/mixed maps, or
     * a source VMA with an anon_vma; everything else refaults from the page cache in the child.
     */
    public static boolean vmaNeedsCopy(final Vma dst, final Vma src)
    {
        if ((dst.flags() & VmFlags.VM_UFFD_WP) != 0)
        {
            return true;
        }
        if ((src.flags() & (VmFlags.VM_PFNMAP | VmFlags.VM_MIXEDMAP)) != 0)
        {
            return true;
        }
        return src.hasAnonVma();
    }

    /**
     * {@code copy_page_range}: one VMA, table by table. On a concurrent machine each table is copied under the
     * child's (dst) PTL with the parent's (src) PTL nested, as {@code copy_pte_range} does; a single-threaded
     * machine has no PTLs ({@code ptl == null}) and the loop takes no lock.
     */
    static int copyPageRange(final Machine machine, final Mm dstMm, final Vma dstVma, final Mm srcMm, final Vma srcVma,
        final Strategy strategy)
    {
        final PageTables pt = machine.pageTables();
        final PageTableLocks ptl = pt.ptl();
        final CopyContext c = new CopyContext(machine, srcMm, srcVma, dstMm, dstVma);
        final long start = srcVma.start();
        final long end = srcVma.end();
        final int[] ret = {CopyContext.OK};
        try
        {
            pt.forEachPteTable(srcMm.pgd(), start, end, (srcTable, tableVa) ->
            {
                if (ret[0] != CopyContext.OK)
                {
                    return;
                }
                final long from = Math.max(start, tableVa);
                final long to = Math.min(end, tableVa + PageTables.PMD_SIZE);
                final long dstTable = pt.pteAlloc(c.ev, dstMm.pgd(), from);
                if (dstTable == PageTables.NO_TABLE)
                {
                    ret[0] = CopyContext.ENOMEM;
                    return;
                }
                final MemorySegment st = pt.segment(srcTable);
                final long sb = pt.base(srcTable);
                final MemorySegment dt = pt.segment(dstTable);
                final long db = pt.base(dstTable);
                final int fromIdx = PageTables.pteIndex(from);
                final int toIdx = fromIdx + (int)((to - from) >>> Arch.PAGE_SHIFT);
                if (ptl != null)
                {
                    ptl.lockNested(dstTable, srcTable);
                }
                try
                {
                    ret[0] = switch (strategy)
                    {
                        case LEGACY -> CopyPteRange.legacy(c, st, sb, dt, db, fromIdx, toIdx);
                        case ARCH_BATCH -> CopyPteRange.archBatch(c, st, sb, dt, db, fromIdx, toIdx);
                        case FOLIO_BATCH -> CopyPteRange.folioBatch(c, st, sb, dt, db, fromIdx, toIdx);
                    };
                }
                finally
                {
                    if (ptl != null)
                    {
                        ptl.unlockNested(dstTable, srcTable);
                    }
                }
            });
        }
        finally
        {
            c.flush();
        }
        return ret[0];
    }
}
