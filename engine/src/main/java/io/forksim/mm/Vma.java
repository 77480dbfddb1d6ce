package io.forksim.mm;

import io.forksim.arch.Arch;

/**
 * A virtual memory area ({@code struct vm_area_struct}): {@code [start, end)}, page aligned.
 * Mutable only through {@link Mm}'s operations, which keep the VMA tree sorted and non-overlapping.
 *
 * @see VmFlags
 */
public final class Vma
{
    long start;
    long end;
    int flags;
    /** The backing file, or null for anonymous memory (set once, or again by {@link #dupFrom} of a recycled VMA). */
    SimFile file;
    /** File page offset of {@link #start} (in pages); for anon VMAs the linear page index (kept for mremap). */
    long pgoff;
    /**
     * {@code vma->anon_vma}, or null: set by the first anon fault / populate of a private VMA
     * ({@link VmaMerge#anonVmaPrepare}) and by fork's {@code anon_vma_fork}; shared by split pieces.
     */
    AnonVma anonVma;
    /**
     * The VMA's {@code anon_vma_chain} holds more than its own anon_vma: fork cloned its parent's chain into it
     * ({@code vma_had_uncowed_parents}). Such a VMA does not lend or take an anon_vma in a merge.
     */
    boolean anonVmaForked;
    /** {@code vm_page_prot}, from the arch's protection map. */
    long pageProt;

    Vma(final long start, final long end, final int flags, final SimFile file, final long pgoff, final long pageProt)
    {
        this.start = start;
        this.end = end;
        this.flags = flags;
        this.file = file;
        this.pgoff = pgoff;
        this.pageProt = pageProt;
    }

    public long start() { return start; }
    public long end() { return end; }
    public int flags() { return flags; }
    public SimFile file() { return file; }
    public long pgoff() { return pgoff; }
    public boolean hasAnonVma() { return anonVma != null; }
    public long pageProt() { return pageProt; }
    public long pages() { return (end - start) >>> Arch.PAGE_SHIFT; }
    public boolean isAnon() { return file == null; }
    public boolean isShared() { return (flags & VmFlags.VM_SHARED) != 0; }
    public boolean isCow() { return VmFlags.isCowMapping(flags); }
    public boolean contains(final long addr) { return addr >= start && addr < end; }

    /** File page index mapped at {@code addr}. */
    public long filePageIndex(final long addr)
    {
        return pgoff + ((addr - start) >>> Arch.PAGE_SHIFT);
    }

    /**
     * {@code vm_area_dup}'s copy: every field of {@code src} into this VMA (a new one or one from the
     * {@code vm_area_cachep}), the anon_vma pointer included. Precondition: this VMA is in no tree.
     */
    Vma dupFrom(final Vma src)
    {
        start = src.start;
        end = src.end;
        flags = src.flags;
        file = src.file;
        pgoff = src.pgoff;
        pageProt = src.pageProt;
        anonVma = src.anonVma;
        anonVmaForked = src.anonVmaForked;
        return this;
    }

    @Override
    public String toString()
    {
        return String.format("%012x-%012x %s%s%s", start, end, VmFlags.describe(flags),
            file != null ? " file=" + file.name() + "@" + pgoff : " anon",
            anonVma != null ? " anon_vma" : "");
    }
}
