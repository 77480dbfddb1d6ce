package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.mem.OutOfSimulatedMemoryException;
import io.forksim.mm.ForkHooks;
import io.forksim.mm.HugeMemory;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import io.forksim.mm.Vma;

/**
 * {@code fork()}'s address-space copy: {@code dup_mmap} (mm/mmap.c) down to {@code copy_pte_range}.
 *
 * <pre>
 * fork(parent, strategy)
 *   dupMmap: for each parent VMA
 *     VM_DONTCOPY   -> skipped
 *     duplicate it (VM_LOCKED cleared); VM_WIPEONFORK -> no anon_vma, no page-table copy
 *     vmaNeedsCopy? -> copyPageRange: copy_huge_pmd for each PMD leaf (HugeMemory), then for each source PTE table
 *                        pteAlloc(child) ; copyPteRange(strategy loop over the entries in the VMA)
 *   flush_tlb_mm(parent)   exactly once, after all VMAs (also when the copy failed)
 * </pre>
 *
 * The child's mm, VMAs and anon_vmas come from the machine's slab caches when processes dropped with
 * {@link Mm#mmdrop()} left some there, and the per-VMA copy state is the calling thread's ({@link PteTableCopy}): a
 * fork into a recycled mm allocates nothing on the Java heap.
 *
 * <p>A failure (simulated RAM exhausted for a table page or an eager copy) tears the partial child down and
 * throws {@link OutOfSimulatedMemoryException}; the parent stays valid (write-protected entries stay so,
 * as in the kernel, and fault back in as reuses).
 */
public final class Fork
{
    /** The child-mm hooks of dup_mmap and copy_pte_range (internal to this package). */
    static final ForkHooks HOOKS = ForkHooks.forFork();

    private Fork()
    {
    }

    /** Forks {@code parent} under {@code strategy}; returns the child. */
    public static Mm fork(final Mm parent, final Strategy strategy)
    {
        if (parent == null)
        {
            throw new IllegalArgumentException("cannot fork: the parent process is null");
        }
        if (parent.exited())
        {
            throw new IllegalStateException("cannot fork " + parent + ": the process has exited");
        }
        if (strategy == null)
        {
            throw new IllegalArgumentException("cannot fork " + parent + ": strategy is null (expected legacy, arch-batch"
                + " or folio-batch)");
        }
        final Machine machine = parent.machine();
        final Arch arch = machine.arch();
        final Mm child = machine.newProcess();
        try
        {
            final int ret = dupMmap(machine, parent, child, strategy);
            if (ret != CopyContext.OK)
            {
                child.exit();
                throw new OutOfSimulatedMemoryException("fork of " + parent + " failed: simulated RAM exhausted during the page-table copy ("
                    + machine.phys().freePageCount() + " pages free after unwinding)");
            }
        }
        finally
        {
            arch.flushTlbMm(machine.events());
        }
        return child;
    }

    private static int dupMmap(final Machine machine, final Mm parent, final Mm child, final Strategy strategy)
    {
        for (int i = 0; i < parent.mapCount(); i++)
        {
            final Vma vma = parent.vmaAt(i);
            if ((vma.flags() & VmFlags.VM_DONTCOPY) != 0)
            {
                continue;
            }
            final Vma dst = HOOKS.dupVma(child, vma);
            HOOKS.setVmaFlags(child, dst, vma.flags() & ~VmFlags.VM_LOCKED);
            if ((vma.flags() & VmFlags.VM_WIPEONFORK) != 0)
            {
                HOOKS.setHasAnonVma(child, dst, false);
                HOOKS.addVmaForFork(child, dst);
                continue;
            }
            HOOKS.anonVmaFork(child, dst);
            HOOKS.addVmaForFork(child, dst);
            if (vmaNeedsCopy(dst, vma))
            {
                final int ret = copyPageRange(machine, child, dst, parent, vma, strategy);
                if (ret != CopyContext.OK)
                {
                    return ret;
                }
            }
        }
        return CopyContext.OK;
    }

    /**
     * {@code vma_needs_copy}: page tables are copied only for a uffd-wp armed child VMA, PFN/mixed maps, or
     * a source VMA with an anon_vma; everything else refaults from the page cache in the child.
     */
    public static boolean vmaNeedsCopy(final Vma dst, final Vma src)
    {
        if ((dst.flags() & VmFlags.VM_UFFD_WP) != 0)
        {
            return true;
        }
        if ((src.flags() & (VmFlags.VM_PFNMAP | VmFlags.VM_MIXEDMAP)) != 0)
        {
            return true;
        }
        return src.hasAnonVma();
    }

    /**
     * {@code copy_page_range}: one VMA, the PMD leaves ({@link HugeMemory#copyHugePmds}) and then table by table
     * ({@link PteTableCopy}).
     */
    static int copyPageRange(final Machine machine, final Mm dstMm, final Vma dstVma, final Mm srcMm, final Vma srcVma,
        final Strategy strategy)
    {
        if (HugeMemory.copyHugePmds(machine, dstMm, dstVma, srcMm, srcVma) != 0)
        {
            return CopyContext.ENOMEM;
        }
        return PteTableCopy.current().copy(machine, dstMm, dstVma, srcMm, srcVma, strategy);
    }
}
