package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTableLocks;
import io.forksim.pgtable.PageTables;

import java.lang.foreign.MemorySegment;

/**
 * The PTE-table part of {@code copy_page_range} for one VMA: for each source PTE table, {@code pte_alloc} in the
 * child and {@code copy_pte_range} under the chosen strategy's loop. On a concurrent machine each table is copied
 * under the child's (dst) PTL with the parent's (src) PTL nested, as {@code copy_pte_range} does; a single-threaded
 * machine has no PTLs and the walk takes no lock.
 *
 * <p>The kernel keeps this state on the forking task's stack. Here one instance per thread ({@link #current()}) is the
 * table visitor and owns the {@link CopyContext}, both reused VMA after VMA, so a fork allocates nothing per VMA or
 * per table; a thread runs one fork at a time, so forks on several threads (a concurrent machine) never share one.
 */
final class PteTableCopy implements PageTables.TableVisitor
{
    private static final ThreadLocal<PteTableCopy> PER_THREAD = ThreadLocal.withInitial(PteTableCopy::new);

    private final CopyContext c = new CopyContext();
    /** The VMA in progress: set by {@link #copy}, cleared when it returns. */
    private PageTables pt;
    private PageTableLocks ptl;
    private Mm dstMm;
    private Strategy strategy;
    private long start;
    private long end;
    private int ret;

    private PteTableCopy()
    {
    }

    /** The calling thread's instance. */
    static PteTableCopy current()
    {
        return PER_THREAD.get();
    }

    /**
     * Copies the PTE tables of {@code srcVma} into {@code dstMm} under {@code strategy}; returns {@link CopyContext#OK}
     * or {@link CopyContext#ENOMEM} (a table page could not be allocated; tables copied so far stay, for the caller's
     * tear-down). Precondition: {@code dstVma} is {@code srcVma}'s copy in {@code dstMm}, and this thread runs no
     * other copy (not re-entrant).
     */
    int copy(final Machine machine, final Mm dstMm, final Vma dstVma, final Mm srcMm, final Vma srcVma,
        final Strategy strategy)
    {
        this.pt = machine.pageTables();
        this.ptl = pt.ptl();
        this.dstMm = dstMm;
        this.strategy = strategy;
        this.start = srcVma.start();
        this.end = srcVma.end();
        this.ret = CopyContext.OK;
        c.init(machine, srcMm, srcVma, dstMm, dstVma);
        try
        {
            pt.forEachPteTable(srcMm.pgd(), start, end, this);
        }
        finally
        {
            c.flush();
            c.release();
            this.pt = null;
            this.ptl = null;
            this.dstMm = null;
            this.strategy = null;
        }
        return ret;
    }

    /** {@code pte_alloc} in the child and {@code copy_pte_range} of the part of {@code srcTable} inside the VMA. */
    @Override
    public void table(final long srcTable, final long tableVa)
    {
        if (ret != CopyContext.OK)
        {
            return;
        }
        final long from = Math.max(start, tableVa);
        final long to = Math.min(end, tableVa + PageTables.PMD_SIZE);
        final long dstTable = pt.pteAlloc(c.ev, dstMm.pgd(), from);
        if (dstTable == PageTables.NO_TABLE)
        {
            ret = CopyContext.ENOMEM;
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
            ret = switch (strategy)
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
    }
}
