package io.forksim.pgtable;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Four-level page tables (PGD/PUD/PMD/PTE), 4 KiB granule, 48-bit virtual addresses.
 *
 * <pre>
 *   47        39 38        30 29        21 20        12 11          0
 *  +------------+------------+------------+------------+-------------+
 *  | PGD index  | PUD index  | PMD index  | PTE index  | page offset |
 *  +------------+------------+------------+------------+-------------+
 * </pre>
 *
 * Every table is a page frame from the buddy allocator (flag {@code PG_TABLE}; its memmap mapcount field
 * holds the {@link TableStore} slot of its 512 entries). Upper-level entries are encoded by the arch
 * exactly as the kernel does ({@code _PAGE_TABLE | pfn << 12} on x86-64, a table descriptor {@code 0b11}
 * on arm64). There is no P4D level (4-level paging folds it, as CONFIG_PGTABLE_LEVELS=4 does).
 *
 * <p>Walks never allocate unless their name says so ({@code pteAlloc} mirrors {@code pte_alloc} and
 * {@code __pmd_alloc}/{@code __pud_alloc}; {@code pteOffsetMap} only looks).
 */
public final class PageTables
{
    public static final int VA_BITS = 48;
    public static final long TASK_SIZE = 1L << (VA_BITS - 1);   // user half, as on both arches
    public static final int PGDIR_SHIFT = 39;
    public static final int PUD_SHIFT = 30;
    public static final int PMD_SHIFT = 21;
    public static final long PMD_SIZE = 1L << PMD_SHIFT;
    public static final long PUD_SIZE = 1L << PUD_SHIFT;
    public static final long PGDIR_SIZE = 1L << PGDIR_SHIFT;
    public static final long NO_TABLE = -1;
    private static final ValueLayout.OfLong ENTRY = ValueLayout.JAVA_LONG;

    private final Arch arch;
    private final MemMap memmap;
    private final PhysMem phys;
    private final TableStore store;
    /** Split PTLs of a concurrent machine (an atomic memmap); null when single-threaded. */
    private final PageTableLocks ptl;

    public PageTables(final Arch arch, final MemMap memmap, final PhysMem phys, final TableStore store)
    {
        this.arch = arch;
        this.memmap = memmap;
        this.phys = phys;
        this.store = store;
        this.ptl = memmap.atomic() ? new PageTableLocks() : null;
    }

    /**
     * The page-table locks of a concurrent machine, or null for a single-threaded one (which takes no lock:
     * callers test {@code ptl != null}).
     */
    public PageTableLocks ptl()
    {
        return ptl;
    }

    public TableStore store()
    {
        return store;
    }

    public static int pgdIndex(final long va) { return (int)((va >>> PGDIR_SHIFT) & 511); }
    public static int pudIndex(final long va) { return (int)((va >>> PUD_SHIFT) & 511); }
    public static int pmdIndex(final long va) { return (int)((va >>> PMD_SHIFT) & 511); }
    public static int pteIndex(final long va) { return (int)((va >>> Arch.PAGE_SHIFT) & 511); }

    /** {@code pmd_addr_end}: the end of the PMD (PTE table) range holding {@code addr}, capped at {@code end}. */
    public static long pmdAddrEnd(final long addr, final long end)
    {
        final long next = (addr + PMD_SIZE) & -PMD_SIZE;
        return Long.compareUnsigned(next - 1, end - 1) < 0 ? next : end;
    }

    public static void checkUserAddress(final long va)
    {
        if (va < 0 || va >= TASK_SIZE)
        {
            throw new IllegalArgumentException("address outside the 47-bit user address space: 0x" + Long.toHexString(va));
        }
    }

    /** Allocates a zeroed table page. @return its PFN, or {@link #NO_TABLE} when simulated RAM is exhausted. */
    public long allocTable(final Events ev)
    {
        final long pfn = phys.allocPages(0);
        if (pfn < 0)
        {
            return NO_TABLE;
        }
        final int slot = store.allocSlot();
        memmap.setFlags(pfn, PageDescriptor.PG_TABLE);
        memmap.setRefcount(pfn, 1);
        memmap.setMapcount(pfn, slot);
        ev.ptPagesAlloc++;
        return pfn;
    }

    /** Frees a page-table page. Precondition: it holds no deposited PTE tables ({@link TransHugeDeposit}). */
    public void freeTable(final Events ev, final long tablePfn)
    {
        final int slot = tableSlot(tablePfn);
        if (memmap.aux(tablePfn) != 0)
        {
            throw new IllegalStateException("page-table page pfn " + tablePfn + " still holds "
                + TransHugeDeposit.count(memmap, tablePfn) + " deposited PTE table(s)");
        }
        store.freeSlot(slot);
        memmap.setFlags(tablePfn, 0);
        memmap.setRefcount(tablePfn, 0);
        memmap.setMapcount(tablePfn, 0);
        phys.freePages(tablePfn, 0);
        ev.ptPagesFree++;
    }

    public int tableSlot(final long tablePfn)
    {
        if ((memmap.flags(tablePfn) & PageDescriptor.PG_TABLE) == 0)
        {
            throw new IllegalStateException("pfn " + tablePfn + " is not a page-table page");
        }
        return memmap.rawMapcount(tablePfn);
    }

    /** The segment holding the entries of table {@code tablePfn}. */
    public MemorySegment segment(final long tablePfn)
    {
        return store.chunk(memmap.rawMapcount(tablePfn));
    }

    /** Byte offset of table {@code tablePfn}'s first entry inside {@link #segment(long)}. */
    public long base(final long tablePfn)
    {
        return TableStore.offset(memmap.rawMapcount(tablePfn));
    }

    public long entry(final long tablePfn, final int idx)
    {
        return segment(tablePfn).get(ENTRY, base(tablePfn) + ((long)idx << 3));
    }

    public void setEntry(final long tablePfn, final int idx, final long value)
    {
        segment(tablePfn).set(ENTRY, base(tablePfn) + ((long)idx << 3), value);
    }

    /** Next-level table PFN under entry {@code idx} of {@code tablePfn}, or {@link #NO_TABLE}. */
    public long lookup(final long tablePfn, final int idx)
    {
        final long e = entry(tablePfn, idx);
        return arch.tableEntryPresent(e) ? arch.tableEntryPfn(e) : NO_TABLE;
    }

    private long lookupOrAlloc(final Events ev, final long tablePfn, final int idx)
    {
        final long e = entry(tablePfn, idx);
        if (arch.tableEntryPresent(e))
        {
            return arch.tableEntryPfn(e);
        }
        if (e != 0)
        {
            throw new IllegalStateException("entry " + idx + " of table pfn " + tablePfn + " is the leaf 0x" + Long.toHexString(e)
                + ", not a table: split the huge PMD before allocating below it");
        }
        final long next = allocTable(ev);
        if (next != NO_TABLE)
        {
            setEntry(tablePfn, idx, arch.mkTableEntry(next));
        }
        return next;
    }

    /** {@code pte_offset_map}: the PTE table mapping {@code va}, or {@link #NO_TABLE}; never allocates. */
    public long pteOffsetMap(final long pgd, final long va)
    {
        final long pud = lookup(pgd, pgdIndex(va));
        if (pud == NO_TABLE)
        {
            return NO_TABLE;
        }
        final long pmd = lookup(pud, pudIndex(va));
        if (pmd == NO_TABLE)
        {
            return NO_TABLE;
        }
        return lookup(pmd, pmdIndex(va));
    }

    /**
     * {@code pte_alloc} with the levels above it: the PTE table mapping {@code va}, allocating missing
     * levels. @return the table PFN or {@link #NO_TABLE} on exhaustion; levels allocated before the
     * failure stay linked (empty), as in the kernel, and {@link #freeEmptyTables} reclaims them.
     */
    public long pteAlloc(final Events ev, final long pgd, final long va)
    {
        final long pud = lookupOrAlloc(ev, pgd, pgdIndex(va));
        if (pud == NO_TABLE)
        {
            return NO_TABLE;
        }
        final long pmd = lookupOrAlloc(ev, pud, pudIndex(va));
        if (pmd == NO_TABLE)
        {
            return NO_TABLE;
        }
        return lookupOrAlloc(ev, pmd, pmdIndex(va));
    }

    /** {@code true} when all 512 entries of the table are zero. */
    public boolean isEmpty(final long tablePfn)
    {
        final MemorySegment seg = segment(tablePfn);
        final long base = base(tablePfn);
        for (int i = 0; i < TableStore.ENTRIES; i++)
        {
            if (seg.get(ENTRY, base + ((long)i << 3)) != 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code free_pgtables} for {@code [start, end)}: frees PTE, PMD and PUD tables that map nothing any more
     * and lie inside the range's PMD/PUD/PGD spans, unlinking them from their parents. The PGD stays.
     */
    public void freeEmptyTables(final Events ev, final long pgd, final long start, final long end)
    {
        for (long pgdA = start & -PGDIR_SIZE; Long.compareUnsigned(pgdA, end) < 0 && pgdA < TASK_SIZE; pgdA += PGDIR_SIZE)
        {
            final int gi = pgdIndex(pgdA);
            final long pud = lookup(pgd, gi);
            if (pud == NO_TABLE)
            {
                continue;
            }
            for (long pudA = Math.max(pgdA, start & -PUD_SIZE); pudA < Math.min(pgdA + PGDIR_SIZE, end); pudA += PUD_SIZE)
            {
                final int ui = pudIndex(pudA);
                final long pmd = lookup(pud, ui);
                if (pmd == NO_TABLE)
                {
                    continue;
                }
                for (long pmdA = Math.max(pudA, start & -PMD_SIZE); pmdA < Math.min(pudA + PUD_SIZE, end); pmdA += PMD_SIZE)
                {
                    final int mi = pmdIndex(pmdA);
                    final long pte = lookup(pmd, mi);
                    if (pte != NO_TABLE && isEmpty(pte))
                    {
                        setEntry(pmd, mi, 0);
                        freeTable(ev, pte);
                    }
                }
                if (isEmpty(pmd))
                {
                    setEntry(pud, ui, 0);
                    freeTable(ev, pmd);
                }
            }
            if (isEmpty(pud))
            {
                setEntry(pgd, gi, 0);
                freeTable(ev, pud);
            }
        }
    }

    /** Frees every table below and including {@code pgd} (exit_mmap after the zap). */
    public void freeAll(final Events ev, final long pgd)
    {
        for (int gi = 0; gi < 512; gi++)
        {
            final long pud = lookup(pgd, gi);
            if (pud == NO_TABLE)
            {
                continue;
            }
            for (int ui = 0; ui < 512; ui++)
            {
                final long pmd = lookup(pud, ui);
                if (pmd == NO_TABLE)
                {
                    continue;
                }
                for (int mi = 0; mi < 512; mi++)
                {
                    final long pte = lookup(pmd, mi);
                    if (pte != NO_TABLE)
                    {
                        freeTable(ev, pte);
                    }
                }
                freeTable(ev, pmd);
            }
            freeTable(ev, pud);
        }
        freeTable(ev, pgd);
    }

    /**
     * Visits every PTE table of {@code pgd} that maps part of {@code [start, end)}, in address order:
     * {@code visitor.table(tablePfn, tableVa)} where tableVa is the 2 MiB-aligned VA of entry 0.
     */
    public void forEachPteTable(final long pgd, final long start, final long end, final TableVisitor visitor)
    {
        long addr = start;
        while (Long.compareUnsigned(addr, end) < 0)
        {
            final long pud = lookup(pgd, pgdIndex(addr));
            if (pud == NO_TABLE)
            {
                addr = (addr + PGDIR_SIZE) & -PGDIR_SIZE;
                continue;
            }
            final long pmd = lookup(pud, pudIndex(addr));
            if (pmd == NO_TABLE)
            {
                addr = (addr + PUD_SIZE) & -PUD_SIZE;
                continue;
            }
            // the rest of this PMD table: one segment lookup, then one load per 2 MiB (a table's segment and base
            // never change while it is linked; entries are read as the walk reaches them)
            final MemorySegment seg = segment(pmd);
            final long base = base(pmd);
            final long pudEnd = (addr + PUD_SIZE) & -PUD_SIZE;
            do
            {
                final long e = seg.get(ENTRY, base + ((long)pmdIndex(addr) << 3));
                if (arch.tableEntryPresent(e))
                {
                    visitor.table(arch.tableEntryPfn(e), addr & -PMD_SIZE);
                }
                addr = (addr + PMD_SIZE) & -PMD_SIZE;
            }
            while (addr != pudEnd && Long.compareUnsigned(addr, end) < 0);
        }
    }

    @FunctionalInterface
    public interface TableVisitor
    {
        void table(long tablePfn, long tableVa);
    }
}
