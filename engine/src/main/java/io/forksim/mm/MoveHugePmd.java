package io.forksim.mm;

import io.forksim.arch.PmdOps;
import io.forksim.mem.MemMap;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.PmdLeaves;
import io.forksim.pgtable.TransHugeDeposit;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The PMD leaves of an mremap'd range, as {@code move_page_tables} (mm/mremap.c, Linux 6.18) treats them: a leaf
 * whose move extent is a whole PMD ({@code get_extent(HPAGE_PMD)} == HPAGE_PMD_SIZE: the leaf lies wholly inside
 * the old range and its new address is 2 MiB-aligned, i.e. the move distance is a multiple of 2 MiB) moves as it is
 * ({@code move_pgt_entry(HPAGE_PMD)} → {@code move_huge_pmd}); every other leaf, and one whose destination PMD entry
 * is not none ({@code move_huge_pmd} returns false), is split ({@code split_huge_pmd}) so that {@code move_ptes}
 * moves its PTEs. forksim plans first and allocates every destination table before it splits or moves anything,
 * so that running out of simulated RAM changes nothing.
 *
 * <p>{@code move_huge_pmd} of one leaf: {@code pmdp_huge_get_and_clear} of the old entry; if the old and new entries
 * lie in different PMD-table pages (split PMD locks differ: {@code pmd_move_must_withdraw} for an anon VMA), the
 * deposited PTE table is withdrawn from the old PMD-table page and deposited on the new one; the word gets
 * soft-dirty ({@code move_soft_dirty_pmd}; arm64 has none) and is set at the new entry; a present leaf costs one
 * {@code flush_pmd_tlb_range}. The folio's refcount, mapcounts and PageAnonExclusive, and the mm's RSS, do not
 * change; uffd-wp is kept, as {@code VmaOps}' {@code move_ptes} keeps it.
 */
final class MoveHugePmd
{
    private MoveHugePmd()
    {
    }

    /** The leaves of an mremap'd range by their 2 MiB-aligned old addresses, in address order: moved whole or split. */
    record Plan(long[] move, long[] split)
    {
    }

    /**
     * Which leaves of {@code [start, end)} move whole by {@code delta} bytes and which split (changes nothing).
     * Precondition: {@code [start, end)} lies in one VMA of {@code mm}, and {@code [start + delta, end + delta)}
     * holds no VMA.
     */
    static Plan plan(final Machine m, final Mm mm, final long start, final long end, final long delta)
    {
        final PageTables pt = m.pageTables();
        final int max = (int)((end - start) / HugeMemory.HPAGE_PMD_SIZE) + 2;
        final long[] move = new long[max];
        final long[] split = new long[max];
        final int[] n = {0, 0};
        PmdLeaves.forEach(pt, PmdOps.of(m.arch()), mm.pgd, start, end, (pmdTable, idx, pmd, haddr) ->
        {
            if ((delta & (HugeMemory.HPAGE_PMD_SIZE - 1)) == 0 && haddr >= start && haddr + HugeMemory.HPAGE_PMD_SIZE <= end
                && PmdLeaves.pmdEntry(pt, mm.pgd, haddr + delta) == 0)
            {
                move[n[0]++] = haddr;
            }
            else
            {
                split[n[1]++] = haddr;
            }
        });
        return new Plan(Arrays.copyOf(move, n[0]), Arrays.copyOf(split, n[1]));
    }

    /**
     * The destination tables {@code plan} needs, recorded in {@code created}: {@code alloc_new_pmd} for each leaf
     * that moves whole; for each leaf that splits, the PTE tables its pages of {@code [start, end)} move into.
     *
     * @return false if simulated RAM ran out (the tables allocated so far stay recorded, for {@link Tables#unwind})
     */
    static boolean allocDestinations(final Machine m, final Mm mm, final Plan plan, final long start, final long end,
        final long delta, final Tables.Created created)
    {
        final PageTables pt = m.pageTables();
        for (final long haddr : plan.move())
        {
            final long va = haddr + delta;
            final long pud = Tables.level(pt, m.arch(), m.events(), mm.pgd, PageTables.pgdIndex(va), created);
            if (pud == PageTables.NO_TABLE
                || Tables.level(pt, m.arch(), m.events(), pud, PageTables.pudIndex(va), created) == PageTables.NO_TABLE)
            {
                return false;
            }
        }
        for (final long haddr : plan.split())
        {
            final long to = Math.min(end, haddr + HugeMemory.HPAGE_PMD_SIZE);
            for (long a = Math.max(start, haddr); a < to; a = PageTables.pmdAddrEnd(a + delta, to + delta) - delta)
            {
                if (Tables.pteAlloc(m, mm, a + delta, created) == PageTables.NO_TABLE)
                {
                    return false;
                }
            }
        }
        return true;
    }

    /** {@code split_huge_pmd} of each leaf {@code plan} splits (needs no memory: each uses its deposit). */
    static void split(final Machine m, final Mm mm, final Plan plan)
    {
        final PageTables pt = m.pageTables();
        for (final long haddr : plan.split())
        {
            final long pmdTable = PmdLeaves.pmdOffset(pt, mm.pgd, haddr);
            HugeMemory.splitHugePmd(m, mm, mm.findVma(haddr), pmdTable, PageTables.pmdIndex(haddr), haddr);
        }
    }

    /**
     * {@code move_huge_pmd} of each leaf {@code plan} moves, by {@code delta} bytes (see the class comment).
     * Preconditions: {@link #allocDestinations} succeeded for {@code plan}; each destination entry is none.
     */
    static void move(final Machine m, final Mm mm, final Plan plan, final long delta)
    {
        final PageTables pt = m.pageTables();
        final PmdOps ops = PmdOps.of(m.arch());
        final MemMap memmap = m.memmap();
        final Events ev = m.events();
        for (final long haddr : plan.move())
        {
            final long oldTable = PmdLeaves.pmdOffset(pt, mm.pgd, haddr);
            final long newTable = PmdLeaves.pmdOffset(pt, mm.pgd, haddr + delta);
            final MemorySegment newSeg = pt.segment(newTable);
            final long newBase = pt.base(newTable);
            final int newIdx = PageTables.pmdIndex(haddr + delta);
            if (ops.pmdpGet(newSeg, newBase, newIdx) != 0)
            {
                throw new IllegalStateException("move_huge_pmd: the destination PMD entry of 0x"
                    + Long.toHexString(haddr + delta) + " is not none");
            }
            final long pmd = ops.pmdpHugeGetAndClear(pt.segment(oldTable), pt.base(oldTable), PageTables.pmdIndex(haddr));
            if (newTable != oldTable)
            {
                TransHugeDeposit.deposit(memmap, newTable, TransHugeDeposit.withdraw(memmap, oldTable));
            }
            ops.setPmdAt(newSeg, newBase, newIdx, ops.pmdMksoftDirty(pmd));
            ops.flushPmdTlbRange(m.arch(), ev);
        }
    }
}
