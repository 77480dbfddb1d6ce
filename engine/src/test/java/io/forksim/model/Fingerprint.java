package io.forksim.model;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.StateDump;
import io.forksim.mm.SwapSpace;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTables;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Map;

/**
 * The same facts as {@link StateDump} (free buddy blocks but not their list order, every allocated page's record,
 * token and PAE bit, every process with its VMAs, pins, RSS and whole page-table tree, the swap map, the page
 * caches, the allocator counts), as a {@code long[]} instead of strings: about ten times cheaper, so that every
 * step can check "nothing changed". {@link StateDump} renders the readable difference when a report is written.
 */
final class Fingerprint
{
    private long[] a = new long[4096];
    private int n;

    private Fingerprint()
    {
    }

    private void add(final long v)
    {
        if (n == a.length)
        {
            a = Arrays.copyOf(a, n * 2);
        }
        a[n++] = v;
    }

    static long[] of(final Machine m)
    {
        final Fingerprint f = new Fingerprint();
        final MemMap mm = m.memmap();
        f.add(m.phys().freePageCount());
        f.add(m.tableStore().slotsInUse());
        for (long pfn = 0; pfn < mm.nrPages(); )
        {
            final int fl = mm.flags(pfn);
            if ((fl & PageDescriptor.PG_BUDDY) != 0)
            {
                f.add(-pfn - 1);
                f.add(fl);
                pfn += 1L << (fl & PageDescriptor.ORDER_MASK);
                continue;
            }
            if (fl != 0 || mm.rawRefcount(pfn) != 0 || mm.rawMapcount(pfn) != 0 || mm.aux(pfn) != 0)
            {
                f.add(pfn);
                f.add(fl);
                f.add(((long)mm.rawRefcount(pfn) << 32) | (mm.rawMapcount(pfn) & 0xffffffffL));
                f.add(mm.aux(pfn));
                f.add(mm.token(pfn));
                f.add(mm.testAnonExclusive(pfn) ? 1 : 0);
            }
            pfn++;
        }
        for (final Mm p : m.processes())
        {
            f.add(p.id());
            f.add(p.pgd());
            f.add(p.hasPinned() ? 1 : 0);
            for (int i = 0; i < 4; i++)
            {
                f.add(p.rss(i));
            }
            for (final Mm.Pin pin : p.pins())
            {
                f.add(pin.addr());
                f.add(pin.pfn());
            }
            for (final Vma v : p.vmas())
            {
                f.add(v.start());
                f.add(v.end());
                f.add(v.flags());
                f.add(v.file() == null ? -1 : v.file().id());
                f.add(v.pgoff());
                f.add(v.hasAnonVma() ? 1 : 0);
                f.add(v.pageProt());
            }
            f.tables(m, p.pgd(), 0, 0);
        }
        final SwapSpace swap = m.swap();
        f.add(swap.used());
        for (long s = 1; s < swap.slots(); s++)
        {
            if (swap.count(s) != 0 || swap.cachePfn(s) >= 0)
            {
                f.add(s);
                f.add(swap.count(s));
                f.add(swap.token(s));
                f.add(swap.cachePfn(s));
            }
        }
        for (final SimFile file : m.files())
        {
            f.add(file.id());
            for (final Map.Entry<Long, Long> e : file.pageCacheView().entrySet())
            {
                f.add(e.getKey());
                f.add(e.getValue());
            }
        }
        return Arrays.copyOf(f.a, f.n);
    }

    private void tables(final Machine m, final long table, final int level, final long va)
    {
        final PageTables pt = m.pageTables();
        final MemorySegment seg = pt.segment(table);
        final long base = pt.base(table);
        final int shift = level == 0 ? PageTables.PGDIR_SHIFT : level == 1 ? PageTables.PUD_SHIFT
            : level == 2 ? PageTables.PMD_SHIFT : Arch.PAGE_SHIFT;
        for (int i = 0; i < 512; i++)
        {
            final long e = Arch.peek(seg, base, i);
            if (e == 0)
            {
                continue;
            }
            final long x = va | ((long)i << shift);
            add(x | level);
            add(e);
            if (level < 3)
            {
                tables(m, pt.lookup(table, i), level + 1, x);
            }
        }
    }
}
