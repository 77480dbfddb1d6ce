package io.forksim.snapshot;

import io.forksim.arch.PmdOps;
import io.forksim.mem.PageDescriptor;
import io.forksim.mm.HugeRmap;
import io.forksim.mm.VmFlags;
import io.forksim.pgtable.PageTables;
import io.forksim.snapshot.ParsedSnapshot.ProcRec;
import io.forksim.snapshot.ParsedSnapshot.VmaRec;

import java.util.List;
import java.util.Map;

/**
 * What {@link SnapshotValidator} checks about PMD-mapped THPs in a parsed snapshot, before any machine is built:
 * <ul>
 *   <li>a PMD leaf ({@link PmdOps#pmdTransHuge}) lies whole inside one private anonymous VMA of its process and maps
 *       the head of an allocated order-9 anon folio; over all processes, a folio's PMD leaves number its
 *       {@code _entire_mapcount} (page[2]'s mapcount slot), and its {@code large_mapcount} and {@code _refcount}
 *       are at least that;</li>
 *   <li>a PMD-table page's deposit list ({@code ptdesc->pmd_huge_pte}: the memmap aux slots, see
 *       {@link io.forksim.pgtable.TransHugeDeposit}) holds exactly one PTE table per leaf of the table; each
 *       deposited table is a page-table page with a slot in use, linked exactly once in the whole snapshot (neither
 *       twice on a list nor also as a PMD's PTE table), and empty.</li>
 * </ul>
 */
final class SnapshotPmdChecks
{
    private SnapshotPmdChecks()
    {
    }

    /**
     * Checks the leaf {@code e}, entry {@code idx} of the PMD table at {@code table}, mapping {@code va} in {@code pr},
     * and counts it in {@code leaves} (head -&gt; PMD leaves). Precondition: {@code ops.pmdTransHuge(e)}, big
     * sections parsed.
     */
    static void leaf(final ParsedSnapshot p, final PmdOps ops, final ProcRec pr, final long table, final int idx,
        final long e, final long va, final Map<Long, Integer> leaves) throws SnapshotFormatException
    {
        final String where = String.format("mm#%d: PMD leaf 0x%x (entry %d of the level-2 table at pfn %d, va 0x%x)",
            pr.id(), e, idx, table, va);
        final VmaRec v = vmaOf(pr.vmas(), va);
        if (v == null || v.end() < va + PageTables.PMD_SIZE || v.fileId() != -1 || (v.flags() & VmFlags.VM_SHARED) != 0)
        {
            throw p.bad(where + " is not inside one private anonymous vma"
                + (v == null ? "" : String.format(" (vma %x-%x flags %x file %d)", v.start(), v.end(), v.flags(), v.fileId())));
        }
        final long head = ops.pmdPfn(e);
        if (head <= 0 || head + PmdOps.HPAGE_PMD_NR > p.nrPages || (head & (PmdOps.HPAGE_PMD_NR - 1)) != 0)
        {
            throw p.bad(where + " maps pfn " + head + ", out of range or not 512-aligned");
        }
        final int f = p.flags(head);
        if ((f & (PageDescriptor.PG_HEAD | PageDescriptor.PG_ANON | PageDescriptor.PG_BUDDY | PageDescriptor.ORDER_MASK))
            != (PageDescriptor.PG_HEAD | PageDescriptor.PG_ANON | PmdOps.HPAGE_PMD_ORDER))
        {
            throw p.bad(where + " maps pfn " + head + " (flags 0x" + Integer.toHexString(f)
                + "), which is not the head of an order-9 anon folio");
        }
        leaves.merge(head, 1, Integer::sum);
    }

    /**
     * After every process's tree: each folio's PMD leaves (from {@link #leaf}) against its {@code _entire_mapcount},
     * {@code large_mapcount} and {@code _refcount}.
     */
    static void mapcounts(final ParsedSnapshot p, final Map<Long, Integer> leaves) throws SnapshotFormatException
    {
        for (final Map.Entry<Long, Integer> l : leaves.entrySet())
        {
            final long head = l.getKey();
            final int n = l.getValue();
            final int entire = p.mapcount(head + HugeRmap.ENTIRE_MAPCOUNT_PAGE);
            if (entire != n || p.mapcount(head) < n || p.refcount(head) < n)
            {
                throw p.bad("folio " + head + " is mapped by " + n + " PMD leaves, but its entire mapcount is " + entire
                    + ", its large mapcount " + p.mapcount(head) + " and its refcount " + p.refcount(head));
            }
        }
    }

    /** The vma of {@code vmas} (sorted, disjoint) that holds {@code va}, or null. */
    private static VmaRec vmaOf(final List<VmaRec> vmas, final long va)
    {
        int lo = 0;
        int hi = vmas.size() - 1;
        while (lo <= hi)
        {
            final int mid = (lo + hi) >>> 1;
            final VmaRec v = vmas.get(mid);
            if (va < v.start())
            {
                hi = mid - 1;
            }
            else if (va >= v.end())
            {
                lo = mid + 1;
            }
            else
            {
                return v;
            }
        }
        return null;
    }
}
