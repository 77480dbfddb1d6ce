package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTables;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A comparable dump of a machine for differential tests: every PTE word of every live process over its
 * VMAs (with an optional mask), and the whole memmap (records, tokens, PageAnonExclusive bytes).
 */
record MachineState(List<String> ptes, byte[] records, byte[] tokens, byte[] pae, long freePages)
{
    static MachineState of(final Machine m, final long pteMask)
    {
        final List<String> ptes = new ArrayList<>();
        final PageTables pt = m.pageTables();
        for (final Mm mm : m.processes())
        {
            ptes.add("mm#" + mm.id() + " rss=" + mm.rss(0) + "," + mm.rss(1) + "," + mm.rss(2) + "," + mm.rss(3));
            for (final Vma v : mm.vmas())
            {
                ptes.add("  vma " + v);
                for (long va = v.start(); va < v.end(); va += Arch.PAGE_SIZE)
                {
                    final long t = pt.pteOffsetMap(mm.pgd(), va);
                    final long pte = t < 0 ? 0 : Arch.peek(pt.segment(t), pt.base(t), PageTables.pteIndex(va));
                    if (pte != 0)
                    {
                        ptes.add(String.format("  %012x %016x", va, pte & pteMask));
                    }
                }
            }
        }
        return new MachineState(ptes, bytes(m.memmap().records()), bytes(m.memmap().tokens()),
            bytes(m.memmap().anonExclusive()), m.phys().freePageCount());
    }

    private static byte[] bytes(final MemorySegment s)
    {
        return s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** First difference, or null. */
    String diff(final MachineState o)
    {
        for (int i = 0; i < Math.min(ptes.size(), o.ptes.size()); i++)
        {
            if (!ptes.get(i).equals(o.ptes.get(i)))
            {
                return "pte line " + i + ": " + ptes.get(i) + " vs " + o.ptes.get(i);
            }
        }
        if (ptes.size() != o.ptes.size())
        {
            return "pte lines " + ptes.size() + " vs " + o.ptes.size();
        }
        final int r = java.util.Arrays.mismatch(records, o.records);
        if (r >= 0)
        {
            return "memmap record of pfn " + (r / 16) + " differs at byte " + (r % 16);
        }
        final int t = java.util.Arrays.mismatch(tokens, o.tokens);
        if (t >= 0)
        {
            return "token of pfn " + (t / 8) + " differs";
        }
        final int p = java.util.Arrays.mismatch(pae, o.pae);
        if (p >= 0)
        {
            return "PageAnonExclusive of pfn " + p + " differs";
        }
        if (freePages != o.freePages)
        {
            return "free pages " + freePages + " vs " + o.freePages;
        }
        return null;
    }
}
