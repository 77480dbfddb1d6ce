package io.forksim.pgtable;

import io.forksim.arch.Arch;
import io.forksim.arch.PmdOps;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * Walks to the PMD level ({@code pmd_offset}, {@code pmd_alloc}) and over the PMD leaves of a range, for the
 * THP code. A PMD entry is one of: none (0), a table entry ({@link Arch#tableEntryPresent}), or a leaf
 * ({@link PmdOps#pmdTransHuge}); never a leaf and a table for the same 2 MiB.
 */
public final class PmdLeaves
{
    private PmdLeaves()
    {
    }

    /** {@code pmd_offset} after {@code pud_offset}: the PMD-table page covering {@code va}, or {@link PageTables#NO_TABLE}. */
    public static long pmdOffset(final PageTables pt, final long pgd, final long va)
    {
        final long pud = pt.lookup(pgd, PageTables.pgdIndex(va));
        return pud == PageTables.NO_TABLE ? PageTables.NO_TABLE : pt.lookup(pud, PageTables.pudIndex(va));
    }

    /** The PMD entry word mapping {@code va} (0 if there is no PMD table), read without counting. */
    public static long pmdEntry(final PageTables pt, final long pgd, final long va)
    {
        final long pmdTable = pmdOffset(pt, pgd, va);
        return pmdTable == PageTables.NO_TABLE ? 0 : pt.entry(pmdTable, PageTables.pmdIndex(va));
    }

    /**
     * Visits every PMD leaf of {@code pgd} whose 2 MiB intersects {@code [start, end)}, in address order:
     * {@code visitor.leaf(pmdTable, idx, entry, haddr)} with haddr the leaf's 2 MiB-aligned address. The visitor
     * may replace the entry it is given (split, clear) but must not change other entries of the walk.
     */
    public static void forEach(final PageTables pt, final PmdOps ops, final long pgd, final long start, final long end,
        final Visitor visitor)
    {
        long addr = start & -PageTables.PMD_SIZE;
        while (Long.compareUnsigned(addr, end) < 0 && addr < PageTables.TASK_SIZE)
        {
            final long pud = pt.lookup(pgd, PageTables.pgdIndex(addr));
            if (pud == PageTables.NO_TABLE)
            {
                addr = (addr + PageTables.PGDIR_SIZE) & -PageTables.PGDIR_SIZE;
                continue;
            }
            final long pmdTable = pt.lookup(pud, PageTables.pudIndex(addr));
            if (pmdTable == PageTables.NO_TABLE)
            {
                addr = (addr + PageTables.PUD_SIZE) & -PageTables.PUD_SIZE;
                continue;
            }
            final long pudEnd = (addr + PageTables.PUD_SIZE) & -PageTables.PUD_SIZE;
            final MemorySegment seg = pt.segment(pmdTable);
            final long base = pt.base(pmdTable);
            for (; addr != pudEnd && Long.compareUnsigned(addr, end) < 0; addr += PageTables.PMD_SIZE)
            {
                final int idx = PageTables.pmdIndex(addr);
                final long e = Arch.peek(seg, base, idx);
                if (e != 0 && ops.pmdTransHuge(e))
                {
                    visitor.leaf(pmdTable, idx, e, addr);
                }
            }
        }
    }

    /**
     * {@code pmd_alloc} with {@code pud_alloc}: the PMD-table page covering {@code va}, allocating the missing
     * levels (counted in {@code pt_pages_alloc}). @return its PFN, or {@link PageTables#NO_TABLE} when simulated RAM
     * is exhausted (levels allocated before stay linked, empty).
     */
    public static long pmdAlloc(final PageTables pt, final Arch arch, final Events ev, final long pgd, final long va)
    {
        final long pud = lookupOrAlloc(pt, arch, ev, pgd, PageTables.pgdIndex(va));
        return pud == PageTables.NO_TABLE ? PageTables.NO_TABLE : lookupOrAlloc(pt, arch, ev, pud, PageTables.pudIndex(va));
    }

    private static long lookupOrAlloc(final PageTables pt, final Arch arch, final Events ev, final long table, final int idx)
    {
        final long next = pt.lookup(table, idx);
        if (next != PageTables.NO_TABLE)
        {
            return next;
        }
        final long t = pt.allocTable(ev);
        if (t != PageTables.NO_TABLE)
        {
            pt.setEntry(table, idx, arch.mkTableEntry(t));
        }
        return t;
    }

    /** One PMD leaf found by {@link #forEach}. */
    @FunctionalInterface
    public interface Visitor
    {
        void leaf(long pmdTable, int idx, long entry, long haddr);
    }
}
