package io.forksim.host;

import io.forksim.arch.Arch;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.MemMap;
import io.forksim.mm.Advice;
import io.forksim.mm.FolioMapping;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.stats.Events;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The simulator's twin of each {@link Shape}: the same region built in a simulated process, forked in the steady state
 * the host's timing loop is in (one untimed fork and child exit first, as the host's first warm-up fork: the parent's
 * PTEs are then read-only and its pages no longer AnonExclusive, so a timed fork write-protects nothing), and the
 * exact events of the next fork read.
 *
 * <p>The events of the cost model ({@link #FEATURES}), per fork of the region, each a piece of work Linux 6.18's
 * {@code copy_page_range} does separately ({@code copy_pte_range}, {@code copy_present_ptes},
 * {@code folio_try_dup_anon_rmap_ptes}, {@code copy_huge_pmd}):
 * <pre>
 *   pte_table         a PTE table copy_pte_range fills: pte_alloc_one (alloc, zero, ctor), pmd_populate, and the
 *                     walk over its 512 source slots (pte_none slots skipped) (Events pt_pages_alloc, less the
 *                     tables copy_huge_pmd deposits)
 *   zero_pte          a present PTE vm_normal_page rejects (the shared zero page): one copy_present_ptes call of
 *                     nr = 1, ptep_get, pte_mkold, set_ptes; no struct page, no atomic
 *   small_folio_pte   a PTE of an order-0 folio: the same call, plus folio_get and the _mapcount atomic on the
 *                     page's own struct page (one memmap cache line, two atomics)
 *   large_folio_pte   a PTE of a large folio, per PTE of the batch: folio_pte_batch's compare, set_ptes' store, and
 *                     with CONFIG_PAGE_MAPCOUNT the page's PageAnonExclusive read and _mapcount atomic (one memmap
 *                     line per page)
 *   large_folio_call  a copy_present_ptes call on a large folio (one per batch): vm_normal_page, the batch set-up,
 *                     folio_ref_add and folio_add_large_mapcount on the folio's head lines (counted as the
 *                     engine's batches less the zero-page and order-0 calls)
 *   large_folio       a large folio with PTEs in the region: the first touch of its struct pages (a memmap cache
 *                     miss at a new place; its later pages' lines follow in address order). Folio-batch makes one
 *                     call per folio unless holes break the batch, so order-9-pte-half and the order-9-pte-holes
 *                     shapes are the ones that tell this apart from large_folio_call
 *   huge_pmd          a PMD-mapped THP copy_huge_pmd shares (Events pmd_copy): the deposited PTE table (alloc and
 *                     zero), the PMD write-protect and store, folio_get, the rmap dup
 *   pte_wrprotect     parent PTEs write-protected, an atomic each (Events pte_atomic; zero in the steady state)
 * </pre>
 * Finer kernel work is a fixed combination of these for every shape that can be built: PTEs scanned are 512 per
 * table, present PTEs are zero_pte + small_folio_pte + large_folio_pte, copy_present_ptes calls are zero_pte +
 * small_folio_pte + large_folio_call, struct pages touched and atomics are fixed multiples of the folio kinds. A
 * model with them as separate costs would have columns no set of shapes can tell apart; these eight are the
 * independent ones.
 */
public final class SimShapes
{
    public static final String[] FEATURES = {
        "pte_table", "zero_pte", "small_folio_pte", "large_folio_pte", "large_folio_call", "large_folio", "huge_pmd",
        "pte_wrprotect"};
    /** Where the simulated region starts. */
    static final long BASE_VA = 1L << 40;
    private static final long PMD_SIZE = 2L << 20;

    private SimShapes()
    {
    }

    /** The simulated arch of this host: arm64 on aarch64, else x86_64. */
    public static String hostArch()
    {
        return System.getProperty("os.arch", "").equals("aarch64") ? "arm64" : "x86_64";
    }

    /**
     * The model's events of one steady-state fork of {@code shape} at {@code sizeBytes} under {@code strategy}, in
     * {@link #FEATURES} order, and the engine's own events of that fork.
     *
     * @param features the model's events
     * @param events the engine's events of the fork, by {@link Events#NAMES}
     */
    public record SimFork(double[] features, Map<String, Long> events)
    {
    }

    /**
     * Builds {@code shape} in a simulated {@code arch} process and forks it under {@code strategy}.
     *
     * <p>Precondition: {@code sizeBytes} a positive multiple of 4 MiB (order-9-pmd-half maps every other 2 MiB).
     */
    public static SimFork fork(final Shape shape, final long sizeBytes, final String arch, final Strategy strategy)
    {
        final long ram = sizeBytes + sizeBytes / 256 + (64L << 20);
        try (Machine m = new Machine(Machine.Config.of(arch, ram)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(BASE_VA, sizeBytes, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            final long end = BASE_VA + sizeBytes;
            switch (shape.kind())
            {
                case ZERO, ZERO_HALF ->
                {
                    parent.fault(BASE_VA, true);
                    parent.madvise(BASE_VA, Arch.PAGE_SIZE, Advice.DONTNEED);
                    final long stride = shape.half() ? 2 * Arch.PAGE_SIZE : Arch.PAGE_SIZE;
                    for (long a = BASE_VA; a < end; a += stride)
                    {
                        parent.fault(a, false);
                    }
                }
                case SPARSE, SPARSE16 ->
                {
                    for (long a = BASE_VA; a < end; a += shape.sparseStride())
                    {
                        parent.fault(a, true);
                    }
                }
                case ORDER0_HALF ->
                {
                    for (long a = BASE_VA; a < end; a += 2 * Arch.PAGE_SIZE)
                    {
                        parent.populate(a, Arch.PAGE_SIZE, 0);
                    }
                }
                case PMD_MAPPED_THP -> parent.populate(BASE_VA, sizeBytes, Shape.PMD_ORDER, FolioMapping.PMD);
                case PMD_MAPPED_THP_HALF ->
                {
                    for (long a = BASE_VA; a < end; a += 2 * PMD_SIZE)
                    {
                        parent.populate(a, PMD_SIZE, Shape.PMD_ORDER, FolioMapping.PMD);
                    }
                }
                case PTE_MAPPED_THP_HALF, PTE_MAPPED_THP_HOLES16, PTE_MAPPED_THP_HOLES4 ->
                {
                    parent.populate(BASE_VA, sizeBytes, Shape.PMD_ORDER);
                    for (long a = BASE_VA + shape.holeOffset(); a < end; a += shape.holeStride())
                    {
                        parent.madvise(a, Arch.PAGE_SIZE, Advice.DONTNEED);
                    }
                }
                default -> parent.populate(BASE_VA, sizeBytes, shape.order());
            }
            if (shape.kind() == Shape.Kind.ORDER0_RO)
            {
                parent.mprotect(BASE_VA, sizeBytes, VmFlags.VM_READ);
            }
            Fork.fork(parent, strategy).exit();
            final long[] before = m.events().toArray();
            final Mm child = Fork.fork(parent, strategy);
            final Events e = Events.fromArray(m.events().toArray()).minus(Events.fromArray(before));
            child.exit();
            final long[] kinds = pteKinds(m, parent, sizeBytes);
            final double[] f = {
                e.ptPagesAlloc - e.pmdCopy, kinds[0], kinds[1], kinds[2], e.batches - kinds[0] - kinds[1], kinds[3], e.pmdCopy,
                e.pteAtomic};
            final Map<String, Long> ev = new LinkedHashMap<>();
            final long[] v = e.toArray();
            for (int i = 0; i < v.length; i++)
            {
                if (v[i] != 0)
                {
                    ev.put(Events.NAMES[i], v[i]);
                }
            }
            return new SimFork(f, ev);
        }
    }

    /**
     * The present PTEs of the parent's region by what they map: {zero page, a page of an order-0 folio, a page of a
     * large folio}, and the large folios those map. PMD leaves are not PTEs and are not counted.
     */
    private static long[] pteKinds(final Machine m, final Mm parent, final long sizeBytes)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        final long[] n = new long[4];
        long lastHead = -1;
        for (long a = BASE_VA; a < BASE_VA + sizeBytes; a += Arch.PAGE_SIZE)
        {
            final long pte = parent.peekPte(a);
            if (pte == 0 || !arch.ptePresent(pte))
            {
                continue;
            }
            if (arch.pteSpecial(pte))
            {
                n[0]++;
                continue;
            }
            final long pfn = arch.ptePfn(pte);
            if (memmap.order(pfn) == 0)
            {
                n[1]++;
                continue;
            }
            n[2]++;
            if (memmap.folioHead(pfn) != lastHead)
            {
                lastHead = memmap.folioHead(pfn);
                n[3]++;
            }
        }
        return n;
    }
}
