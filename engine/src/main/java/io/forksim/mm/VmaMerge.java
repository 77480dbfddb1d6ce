package io.forksim.mm;

import io.forksim.arch.Arch;

/**
 * VMA merging as mm/vma.c (Linux 6.18) does it after mprotect, madvise and mremap ({@code vma_modify} /
 * {@code vma_merge_existing_range}), for a new mapping ({@code __mmap_region} / {@code vma_merge_new_range}: the
 * new VMA has no anon_vma yet) and for mremap's new range ({@code copy_vma} / {@code vma_merge_new_range}),
 * and the anon_vma choice of the first anon fault ({@code anon_vma_prepare} / {@code find_mergeable_anon_vma}).
 *
 * <p>A VMA merges with an adjacent neighbour ({@code prev->vm_end == start}, {@code end == next->vm_start}) when
 * <ul>
 *   <li>neither is {@code VM_SPECIAL} (forksim's VM_PFNMAP and VM_MIXEDMAP);</li>
 *   <li>the flags are equal ({@code is_mergeable_vma}; forksim has no VM_SOFTDIRTY to ignore) and the file is
 *       the same object (null for both anonymous);</li>
 *   <li>the file offset is contiguous ({@code prev->vm_pgoff + vma_pages(prev) == pgoff}; anon VMAs carry their
 *       linear page index);</li>
 *   <li>the anon_vmas fit ({@code is_mergeable_anon_vma}): the same one, or only one of the two has one and
 *       that VMA's anon_vma_chain is singular (it was not cloned from a parent by fork,
 *       {@code vma_had_uncowed_parents}); when merging both sides, prev's and next's anon_vmas must also fit
 *       each other.</li>
 * </ul>
 * The survivor is prev when the left merge happens, else next ({@code vmg->target}); it covers the union and
 * takes the lowest {@code vm_pgoff} and whichever anon_vma was set. Merging changes no page-table state.
 */
final class VmaMerge
{
    /** {@code VM_SPECIAL} as far as forksim has those flags (VM_IO and VM_DONTEXPAND do not exist here). */
    static final int VM_SPECIAL = VmFlags.VM_PFNMAP | VmFlags.VM_MIXEDMAP;

    private VmaMerge()
    {
    }

    /**
     * {@code vma_merge_existing_range} for {@code vma} (a VMA of {@code mm} whose flags just changed, already
     * split to the range the operation covered): merges it with its neighbours where allowed.
     *
     * @return the VMA that now covers {@code vma}'s range ({@code vma} itself if nothing merged)
     */
    static Vma mergeExisting(final Mm mm, final Vma vma)
    {
        final Vma prev = prevTouching(mm, vma.start);
        final Vma next = nextTouching(mm, vma.end);
        return merge(mm, vma, prev, next, vma.anonVma, vma.anonVmaForked);
    }

    /**
     * {@code vma_merge_new_range} as {@code __mmap_region} runs it for a new mapping and {@code copy_vma} for
     * mremap's destination: {@code moved} (not yet in the tree; for mremap with the source's flags, file, pgoff and
     * anon_vma) merges with the VMAs around it. A shared anonymous mapping never merges: its shmem file is new.
     *
     * @return the VMA that now covers {@code moved}'s range; {@code moved} itself is put into the tree if it
     *         merged with nothing
     */
    static Vma mergeNew(final Mm mm, final Vma moved)
    {
        final Vma prev = prevTouching(mm, moved.start);
        final Vma next = nextTouching(mm, moved.end);
        mm.vmas.insert(moved);
        // copy_vma: no middle VMA, so vma_had_uncowed_parents(src) is false whatever moved's chain is
        return merge(mm, moved, prev, next, moved.anonVma, false);
    }

    /**
     * {@code anon_vma_prepare}: gives {@code vma} an anon_vma if it has none, reusing the next VMA's, then the
     * previous VMA's, when that VMA is {@code anon_vma_compatible} with it and its chain is singular
     * ({@code reusable_anon_vma}); otherwise a new one.
     *
     * @return true if {@code vma} had no anon_vma before
     */
    static boolean anonVmaPrepare(final Mm mm, final Vma vma)
    {
        if (vma.anonVma != null)
        {
            return false;
        }
        final Vma next = nextTouching(mm, vma.end);
        final Vma prev = prevTouching(mm, vma.start);
        AnonVma found = null;
        if (next != null && anonVmaCompatible(vma, next) && next.anonVma != null && !next.anonVmaForked)
        {
            found = next.anonVma;
        }
        else if (prev != null && anonVmaCompatible(prev, vma) && prev.anonVma != null && !prev.anonVmaForked)
        {
            found = prev.anonVma;
        }
        vma.anonVma = found != null ? found : new AnonVma();
        vma.anonVmaForked = false;
        return true;
    }

    /** {@code anon_vma_compatible(a, b)}: adjacent, same file, flags equal but for the access bits, linear pgoff. */
    static boolean anonVmaCompatible(final Vma a, final Vma b)
    {
        return a.end == b.start && a.file == b.file
            && ((a.flags ^ b.flags) & ~VmaOps.PROT_MASK) == 0
            && b.pgoff == a.pgoff + ((b.start - a.start) >>> Arch.PAGE_SHIFT);
    }

    // ---------------------------------------------------------------- the rules

    private static Vma merge(final Mm mm, final Vma middle, final Vma prev, final Vma next, final AnonVma anon,
        final boolean srcForked)
    {
        if ((middle.flags & VM_SPECIAL) != 0)
        {
            return middle;
        }
        final boolean left = prev != null && isMergeableVma(prev, middle) && isMergeableAnonVma(prev, anon, srcForked)
            && prev.pgoff + prev.pages() == middle.pgoff;
        final boolean right = next != null && isMergeableVma(next, middle) && isMergeableAnonVma(next, anon, srcForked)
            && middle.pgoff + middle.pages() == next.pgoff
            && (!left || prev.anonVma == null || next.anonVma == null || prev.anonVma == next.anonVma);
        if (!left && !right)
        {
            return middle;
        }
        final Vma target = left ? prev : next;
        final long start = left ? prev.start : middle.start;
        final long end = right ? next.end : middle.end;
        final long pgoff = left ? prev.pgoff : middle.pgoff;
        AnonVma keep = null;
        boolean forked = false;
        for (final Vma v : left && right ? new Vma[] {prev, middle, next} : left ? new Vma[] {prev, middle} : new Vma[] {middle, next})
        {
            if (v != target)
            {
                mm.vmas.remove(v.start);
            }
            if (keep == null && v.anonVma != null)
            {
                keep = v.anonVma;
                forked = v.anonVmaForked;
            }
        }
        mm.vmas.remove(target.start);
        target.start = start;
        target.end = end;
        target.pgoff = pgoff;
        target.anonVma = keep;
        target.anonVmaForked = forked;
        mm.vmas.insert(target);
        return target;
    }

    /** {@code is_mergeable_vma}: equal flags and the same file (no mempolicy, uffd context or anon name here). */
    private static boolean isMergeableVma(final Vma neighbour, final Vma vma)
    {
        return neighbour.flags == vma.flags && neighbour.file == vma.file;
    }

    /**
     * {@code is_mergeable_anon_vma}: one side without an anon_vma takes the other's, unless the VMA that has
     * it had uncowed parents (a forked chain); both with one merge only if it is the same.
     */
    private static boolean isMergeableAnonVma(final Vma tgt, final AnonVma srcAnon, final boolean srcForked)
    {
        if (tgt.anonVma == null && srcAnon != null)
        {
            return !srcForked;
        }
        if (tgt.anonVma != null && srcAnon == null)
        {
            return !tgt.anonVmaForked;
        }
        return tgt.anonVma == srcAnon;
    }

    private static Vma prevTouching(final Mm mm, final long start)
    {
        final Vma v = mm.vmas.lower(start);
        return v != null && v.end == start ? v : null;
    }

    private static Vma nextTouching(final Mm mm, final long end)
    {
        return mm.vmas.startingAt(end);
    }
}
