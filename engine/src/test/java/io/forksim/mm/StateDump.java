package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.pgtable.PageTables;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A full, comparable dump of a machine's state, one fact per line, for "nothing changed" assertions:
 * free buddy blocks (not their list order), every allocated page's record, token and PageAnonExclusive bit,
 * every live process (flags, RSS, pins, VMAs, the whole page-table tree with every non-zero entry), the swap
 * map, the page caches and the allocator counts. Events are not state and are left out; so are the contents
 * of free pages and the free-list links.
 */
public final class StateDump
{
    private StateDump()
    {
    }

    public static List<String> of(final Machine m)
    {
        final List<String> out = new ArrayList<>();
        final MemMap mm = m.memmap();
        out.add("free pages " + m.phys().freePageCount() + ", table slots " + m.tableStore().slotsInUse());
        for (long pfn = 0; pfn < mm.nrPages(); )
        {
            final int f = mm.flags(pfn);
            if ((f & PageDescriptor.PG_BUDDY) != 0)
            {
                out.add(String.format("pfn %d free block order %d", pfn, f & PageDescriptor.ORDER_MASK));
                pfn += 1L << (f & PageDescriptor.ORDER_MASK);
                continue;
            }
            if (f != 0 || mm.rawRefcount(pfn) != 0 || mm.rawMapcount(pfn) != 0 || mm.aux(pfn) != 0)
            {
                out.add(String.format("pfn %d flags %x ref %d map %d aux %x token %x pae %b", pfn, f, mm.rawRefcount(pfn),
                    mm.rawMapcount(pfn), mm.aux(pfn), mm.token(pfn), mm.testAnonExclusive(pfn)));
            }
            pfn++;
        }
        for (final Mm p : m.processes())
        {
            out.add(p + " pgd " + p.pgd() + " pinned " + p.hasPinned() + " exited " + p.exited() + " rss "
                + p.rss(0) + "," + p.rss(1) + "," + p.rss(2) + "," + p.rss(3) + " pins " + p.pins());
            for (final Vma v : p.vmas())
            {
                out.add("  vma " + v + " flags " + Integer.toHexString(v.flags()) + " prot " + Long.toHexString(v.pageProt()));
            }
            dumpTables(m, p.pgd(), 0, 0, out);
        }
        final SwapSpace swap = m.swap();
        out.add("swap used " + swap.used());
        for (long s = 1; s < swap.slots(); s++)
        {
            if (swap.count(s) != 0 || swap.cachePfn(s) >= 0)
            {
                out.add(String.format("swap %d count %d token %x cache %d", s, swap.count(s), swap.token(s), swap.cachePfn(s)));
            }
        }
        for (final SimFile f : m.files())
        {
            out.add("file " + f.name() + " cache " + f.pageCacheView());
        }
        return out;
    }

    private static void dumpTables(final Machine m, final long table, final int level, final long va, final List<String> out)
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
            final long a = va | ((long)i << shift);
            out.add(String.format("  L%d %012x %016x", level, a, e));
            if (level < 3)
            {
                dumpTables(m, pt.lookup(table, i), level + 1, a, out);
            }
        }
    }

    /** Readable first difference (for assertion messages). */
    public static String diff(final List<String> a, final List<String> b)
    {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++)
        {
            if (!a.get(i).equals(b.get(i)))
            {
                return "line " + i + ":\n  before: " + a.get(i) + "\n  after:  " + b.get(i);
            }
        }
        return a.size() == b.size() ? null : "sizes " + a.size() + " vs " + b.size();
    }
}
