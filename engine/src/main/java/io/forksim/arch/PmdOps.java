package io.forksim.arch;

import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * The per-architecture PMD-leaf operations the THP code calls ({@code pmd_*} bit helpers and the
 * {@code pmdp_*} table accessors), with the kernel's generic fallbacks of include/linux/pgtable.h as the
 * default table accessors. Two final subclasses keep the bit helpers of {@link io.forksim.pte.X86Pmd} and
 * {@link io.forksim.pte.Arm64Pmd}; {@link #of(Arch)} picks the one of a machine's arch.
 *
 * <p><b>Addressing.</b> Table accessors take {@code (t, base, idx)} like {@link Arch}'s: the segment holding a
 * PMD table, the byte offset of the table in it and the entry index 0..511.
 *
 * <p><b>Accounting.</b> PMD-entry loads and stores are not PTE events: {@code ptep_get}, {@code pte_load},
 * {@code pte_store} and {@code pte_atomic} count level-3 (PTE) entries only. What a PMD operation costs is told
 * by the callers' {@code pmd_copy} / {@code pmd_split} events and the TLB maintenance counted here.
 */
public abstract sealed class PmdOps permits X86PmdOps, Arm64PmdOps
{
    /** Pages a PMD leaf maps ({@code HPAGE_PMD_NR}). */
    public static final int HPAGE_PMD_NR = 512;
    /** {@code HPAGE_PMD_ORDER}. */
    public static final int HPAGE_PMD_ORDER = 9;

    /** The PMD operations of {@code arch}. */
    public static PmdOps of(final Arch arch)
    {
        return arch instanceof X86_64 ? X86PmdOps.INSTANCE : Arm64PmdOps.INSTANCE;
    }

    // ---------------------------------------------------------------- bit helpers (kernel names)

    /** {@code folio_mk_pmd(folio, prot)}: a leaf mapping the 512-aligned {@code pfn} with the PTE protection {@code prot}. */
    public abstract long folioMkPmd(long pfn, long prot);

    /** {@code pmd_trans_huge}: a present leaf. */
    public abstract boolean pmdTransHuge(long pmd);

    public abstract long pmdPfn(long pmd);

    public abstract boolean pmdWrite(long pmd);

    public abstract boolean pmdDirty(long pmd);

    public abstract boolean pmdYoung(long pmd);

    public abstract boolean pmdSoftDirty(long pmd);

    public abstract boolean pmdUffdWp(long pmd);

    public abstract long pmdWrprotect(long pmd);

    public abstract long pmdMkwrite(long pmd);

    public abstract long pmdMkold(long pmd);

    public abstract long pmdMkyoung(long pmd);

    public abstract long pmdMkdirty(long pmd);

    public abstract long pmdMkclean(long pmd);

    public abstract long pmdMksoftDirty(long pmd);

    public abstract long pmdClearSoftDirty(long pmd);

    public abstract long pmdClearUffdWp(long pmd);

    // ---------------------------------------------------------------- table accessors (generic fallbacks)

    /** {@code pmdp_get}: one load. */
    public long pmdpGet(final MemorySegment t, final long base, final int idx)
    {
        return Arch.loadRaw(t, base, idx);
    }

    /** {@code set_pmd_at}. Precondition: the entry is none (or being replaced under the PMD lock). */
    public void setPmdAt(final MemorySegment t, final long base, final int idx, final long pmd)
    {
        Arch.storeRaw(t, base, idx, pmd);
    }

    /** {@code pmdp_set_wrprotect}: write-protect a present leaf in place (a no-op word change if it already is). */
    public void pmdpSetWrprotect(final MemorySegment t, final long base, final int idx)
    {
        Arch.storeRaw(t, base, idx, pmdWrprotect(Arch.loadRaw(t, base, idx)));
    }

    /** {@code pmdp_huge_get_and_clear_full}: clear the leaf, return the old word. */
    public long pmdpHugeGetAndClear(final MemorySegment t, final long base, final int idx)
    {
        final long old = Arch.loadRaw(t, base, idx);
        Arch.storeRaw(t, base, idx, 0L);
        return old;
    }

    /**
     * {@code pmdp_invalidate} as {@code __split_huge_pmd_locked} uses it: returns the old leaf and flushes its 2 MiB
     * from the TLB ({@link #flushPmdTlbRange}). The transient invalid word ({@code pmd_mkinvalid}) is not stored:
     * the split replaces it with the table entry under the same PMD lock, before anyone can look.
     */
    public long pmdpInvalidate(final Arch arch, final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long old = Arch.loadRaw(t, base, idx);
        flushPmdTlbRange(arch, ev);
        return old;
    }

    /** {@code pmdp_set_access_flags}: relax young/dirty/write of a present leaf in place; returns whether it changed. */
    public boolean pmdpSetAccessFlags(final MemorySegment t, final long base, final int idx, final long entry)
    {
        if (Arch.loadRaw(t, base, idx) == entry)
        {
            return false;
        }
        Arch.storeRaw(t, base, idx, entry);
        return true;
    }

    /**
     * {@code flush_pmd_tlb_range} of one 2 MiB leaf. Generic (x86): {@code flush_tlb_range} over the 512 pages.
     */
    public void flushPmdTlbRange(final Arch arch, final Events ev)
    {
        arch.flushTlbRange(ev, HPAGE_PMD_NR);
    }
}
