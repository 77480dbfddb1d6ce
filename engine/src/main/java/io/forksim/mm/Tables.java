package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.pgtable.PageTables;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * Page-table helpers for the process operations: a located PTE slot, and {@code pte_alloc} that remembers
 * the tables it created so that an operation failing part-way (simulated RAM exhausted) can give exactly
 * those back and leave the machine as it was.
 */
final class Tables
{
    private Tables()
    {
    }

    /** One PTE slot: the PTE table's PFN, its entry segment and base, and the entry index. */
    static final class Slot
    {
        final long table;
        final MemorySegment seg;
        final long base;
        final int idx;

        Slot(final PageTables pt, final long table, final long va)
        {
            this.table = table;
            this.seg = pt.segment(table);
            this.base = pt.base(table);
            this.idx = PageTables.pteIndex(va);
        }

        /** Raw entry, uncounted (for decisions already counted by a {@code ptepGet}). */
        long peek()
        {
            return Arch.peek(seg, base, idx);
        }
    }

    /** The slot of {@code va} if its PTE table exists, else null; never allocates. */
    static Slot lookup(final Machine m, final Mm mm, final long va)
    {
        final long t = m.pageTables().pteOffsetMap(mm.pgd, va);
        return t == PageTables.NO_TABLE ? null : new Slot(m.pageTables(), t, va);
    }

    /** Tables created by one operation, in creation order: (parent table, entry index, new table). */
    static final class Created
    {
        private long[] parent = new long[6];
        private int[] index = new int[6];
        private long[] child = new long[6];
        private int n;

        void add(final long p, final int i, final long c)
        {
            if (n == parent.length)
            {
                parent = java.util.Arrays.copyOf(parent, n * 2);
                index = java.util.Arrays.copyOf(index, n * 2);
                child = java.util.Arrays.copyOf(child, n * 2);
            }
            parent[n] = p;
            index[n] = i;
            child[n] = c;
            n++;
        }

        int size()
        {
            return n;
        }
    }

    /**
     * {@code pte_alloc} with the levels above it, recording every table it creates in {@code created}.
     *
     * @return the PTE table PFN or {@link PageTables#NO_TABLE} on exhaustion (tables created before the failure
     *         stay linked and recorded; {@link #unwind} gives them back)
     */
    static long pteAlloc(final Machine m, final Mm mm, final long va, final Created created)
    {
        final PageTables pt = m.pageTables();
        final Events ev = m.events();
        final long pud = level(pt, m.arch(), ev, mm.pgd, PageTables.pgdIndex(va), created);
        if (pud == PageTables.NO_TABLE)
        {
            return PageTables.NO_TABLE;
        }
        final long pmd = level(pt, m.arch(), ev, pud, PageTables.pudIndex(va), created);
        if (pmd == PageTables.NO_TABLE)
        {
            return PageTables.NO_TABLE;
        }
        return level(pt, m.arch(), ev, pmd, PageTables.pmdIndex(va), created);
    }

    static long level(final PageTables pt, final Arch arch, final Events ev, final long table, final int idx,
        final Created created)
    {
        final long next = pt.lookup(table, idx);
        if (next != PageTables.NO_TABLE)
        {
            return next;
        }
        if (pt.entry(table, idx) != 0)
        {
            throw new IllegalStateException("entry " + idx + " of table pfn " + table + " is the leaf 0x"
                + Long.toHexString(pt.entry(table, idx)) + ": split the huge PMD before allocating below it");
        }
        final long t = pt.allocTable(ev);
        if (t == PageTables.NO_TABLE)
        {
            return PageTables.NO_TABLE;
        }
        pt.setEntry(table, idx, arch.mkTableEntry(t));
        created.add(table, idx, t);
        return t;
    }

    /** The slot of {@code va}, allocating its tables (recorded in {@code created}); null on exhaustion. */
    static Slot alloc(final Machine m, final Mm mm, final long va, final Created created)
    {
        final long t = pteAlloc(m, mm, va, created);
        return t == PageTables.NO_TABLE ? null : new Slot(m.pageTables(), t, va);
    }

    /**
     * Gives back, newest first, every recorded table that is empty now (unlinking it from its parent). Tables
     * that gained entries meanwhile are kept.
     */
    static void unwind(final Machine m, final Created created)
    {
        final PageTables pt = m.pageTables();
        for (int i = created.n - 1; i >= 0; i--)
        {
            final long c = created.child[i];
            if (pt.isEmpty(c))
            {
                pt.setEntry(created.parent[i], created.index[i], 0);
                pt.freeTable(m.events(), c);
            }
        }
        created.n = 0;
    }
}
