package io.forksim.check;

import io.forksim.arch.PmdOps;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mm.HugeRmap;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTables;
import io.forksim.pgtable.TransHugeDeposit;

import java.util.Map;
import java.util.function.Consumer;

/**
 * What {@link InvariantChecker} checks about PMD leaves (PMD-mapped THPs) and deposited PTE tables:
 * <ul>
 *   <li>a PMD leaf maps the head of an allocated, PMD-mappable (order-9) anon folio, lies whole inside one private VMA
 *       of its process, and counts 512 pages in MM_ANONPAGES;</li>
 *   <li>a writable leaf maps a folio whose head is PageAnonExclusive (COW safety at PMD level);</li>
 *   <li>each leaf is one mapping (one reference, one {@code large_mapcount}, one MM-ID slot count) and one
 *       {@code _entire_mapcount} ({@link HugeRmap}); the folio checks add these to the PTE mappings;</li>
 *   <li>a PMD-table page holds exactly one deposited PTE table per anon leaf it holds; a deposited table is a
 *       page-table page reachable only through that list (so never also linked as a PMD's PTE table), with all 512
 *       entries none. A 2 MiB range is never mapped by a leaf and a PTE table at once: one PMD entry is either.</li>
 * </ul>
 */
final class PmdLeafChecks
{
    private PmdLeafChecks()
    {
    }

    /**
     * Checks the leaf {@code e} at {@code va} of {@code mm} and records it: {@code pmdMaps} (head -&gt; PMD leaves) and
     * {@code mmIdCounts} (head -&gt; mm id -&gt; mappings). @return true if it maps an anon folio (needs a deposit).
     */
    static boolean leaf(final Machine m, final Mm mm, final long e, final long va, final long[] rss,
        final Map<Long, Integer> pmdMaps, final Map<Long, Map<Integer, Integer>> mmIdCounts, final Consumer<String> add)
    {
        final MemMap memmap = m.memmap();
        final PmdOps ops = PmdOps.of(m.arch());
        final String where = "mm#" + mm.id() + " va 0x" + Long.toHexString(va) + " pmd 0x" + Long.toHexString(e);
        final Vma vma = mm.findVma(va);
        if (vma == null || vma.end() < va + PageTables.PMD_SIZE)
        {
            add.accept(where + ": PMD leaf not inside one VMA (" + vma + ")");
        }
        else if (vma.isShared() || vma.file() != null)
        {
            add.accept(where + ": PMD leaf in a shared or file VMA " + vma);
        }
        final long head = ops.pmdPfn(e);
        if (head <= 0 || head >= memmap.nrPages())
        {
            add.accept(where + ": pfn " + head + " out of range");
            return false;
        }
        final int f = memmap.flags(head);
        if ((f & PageDescriptor.PG_HEAD) == 0 || (f & PageDescriptor.ORDER_MASK) != PmdOps.HPAGE_PMD_ORDER
            || (f & PageDescriptor.PG_ANON) == 0)
        {
            add.accept(where + ": maps pfn " + head + " which is not the head of an order-9 anon folio (flags 0x"
                + Integer.toHexString(f) + ")");
            return false;
        }
        rss[Mm.MM_ANONPAGES] += PmdOps.HPAGE_PMD_NR;
        pmdMaps.merge(head, 1, Integer::sum);
        mmIdCounts.computeIfAbsent(head, h -> new java.util.HashMap<>()).merge(mm.id(), 1, Integer::sum);
        if (ops.pmdWrite(e) && !memmap.testAnonExclusive(head))
        {
            add.accept(where + ": writable PMD leaf maps folio " + head + " whose head is not PageAnonExclusive"
                + " (COW would be bypassed)");
        }
        return true;
    }

    /**
     * Checks the deposits of PMD-table page {@code pmdTable}, which holds {@code anonLeaves} anon leaves; each
     * deposited table goes through {@code mark} (reachability, ownership) and must be empty.
     */
    static void deposits(final Machine m, final Mm mm, final long pmdTable, final int anonLeaves,
        final java.util.function.LongPredicate mark, final Consumer<String> add)
    {
        final long[] deps = TransHugeDeposit.list(m.memmap(), pmdTable);
        if (deps.length != anonLeaves)
        {
            add.accept("mm#" + mm.id() + ": PMD-table page pfn " + pmdTable + " holds " + anonLeaves
                + " PMD-mapped anon THPs but " + deps.length + " deposited PTE tables");
        }
        for (final long d : deps)
        {
            if (mark.test(d) && !m.pageTables().isEmpty(d))
            {
                add.accept("mm#" + mm.id() + ": deposited PTE table pfn " + d + " is not empty");
            }
        }
    }

    /** {@code _entire_mapcount} of a large folio of order &gt;= 2 (page[2] exists), else 0. */
    static int entireMapcount(final MemMap memmap, final long head, final int order)
    {
        return order >= 2 ? HugeRmap.folioEntireMapcount(memmap, head) : 0;
    }
}
