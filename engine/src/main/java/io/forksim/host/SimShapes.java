package io.forksim.host;

import io.forksim.arch.Arch;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.MemMap;
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
 * exact events of the next fork read. order-9-pmd has no twin while the engine maps no PMD-level THP.
 *
 * <p>The events of the cost model ({@link #FEATURES}), per fork of the region:
 * <pre>
 *   pte_table         page-table pages the child gets (Events pt_pages_alloc): alloc, zero, ctor, populate
 *   pte               present PTEs copied into the child (Events pte_store)
 *   pte_wrprotect     parent PTEs write-protected, an atomic each (Events pte_atomic)
 *   batch             copy_present_ptes calls (Events batches): one per present PTE on the single path (the zero
 *                     page included), one per folio batch; the loop's per-call work (vm_normal_page, the checks,
 *                     the set_ptes call)
 *   folio_ref         refcount updates on a folio (Events refcount_update): once per batch, a folio_ref_add and
 *                     a folio mapcount atomic
 *   large_folio_page  PTEs that map a page of a large folio (counted in the parent's page tables): with
 *                     CONFIG_PAGE_MAPCOUNT the kernel does an atomic_inc of that page's _mapcount and reads its
 *                     PageAnonExclusive, in every strategy; the engine folds this into its per-batch rmap update
 * </pre>
 */
public final class SimShapes
{
    public static final String[] FEATURES = {"pte_table", "pte", "pte_wrprotect", "batch", "folio_ref", "large_folio_page"};
    /** Where the simulated region starts. */
    static final long BASE_VA = 1L << 40;

    private SimShapes()
    {
    }

    /** Whether the simulator has a twin of {@code shape}. */
    public static boolean hasTwin(final Shape shape)
    {
        return shape.kind() != Shape.Kind.PMD_MAPPED_THP;
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
     * <p>Precondition: {@link #hasTwin(Shape)}; {@code sizeBytes} a positive multiple of 2 MiB.
     */
    public static SimFork fork(final Shape shape, final long sizeBytes, final String arch, final Strategy strategy)
    {
        if (!hasTwin(shape))
        {
            throw new IllegalArgumentException("the cost model has no twin of " + shape.name() + " (no feature for copy_huge_pmd's work yet)");
        }
        final long ram = sizeBytes + sizeBytes / 256 + (64L << 20);
        try (Machine m = new Machine(Machine.Config.of(arch, ram)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(BASE_VA, sizeBytes, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            switch (shape.kind())
            {
                case ZERO ->
                {
                    parent.fault(BASE_VA, true);
                    parent.madvise(BASE_VA, Arch.PAGE_SIZE, io.forksim.mm.Advice.DONTNEED);
                    for (long a = BASE_VA; a < BASE_VA + sizeBytes; a += Arch.PAGE_SIZE)
                    {
                        parent.fault(a, false);
                    }
                }
                case SPARSE, SPARSE16 ->
                {
                    for (long a = BASE_VA; a < BASE_VA + sizeBytes; a += shape.sparseStride())
                    {
                        parent.fault(a, true);
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
            final double[] f = {
                e.ptPagesAlloc, e.pteStore, e.pteAtomic, e.batches, e.refcountUpdate, largeFolioPages(m, parent, sizeBytes)};
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

    /** Present PTEs of the region that map a page of a large folio. */
    private static long largeFolioPages(final Machine m, final Mm parent, final long sizeBytes)
    {
        final Arch arch = m.arch();
        final MemMap memmap = m.memmap();
        long n = 0;
        for (long a = BASE_VA; a < BASE_VA + sizeBytes; a += Arch.PAGE_SIZE)
        {
            final long pte = parent.peekPte(a);
            if (pte != 0 && arch.ptePresent(pte) && !arch.pteSpecial(pte) && memmap.order(arch.ptePfn(pte)) > 0)
            {
                n++;
            }
        }
        return n;
    }
}
