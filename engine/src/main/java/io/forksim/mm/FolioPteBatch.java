package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.arch.Staging;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * {@code folio_pte_batch_flags} (mm/internal.h, Linux 6.18): how many consecutive PTEs starting at a
 * present PTE map consecutive pages of the same large folio with bits equal after normalisation.
 *
 * <p>The result packs the count and the merge results into one {@code long} so the scan allocates
 * nothing: {@code nr = (int) r}, {@link #anyWritable(long)}, {@link #anyYoung(long)},
 * {@link #anyDirty(long)}.
 */
public final class FolioPteBatch
{
    /** Do not normalise the dirty bit (fork sets it for private mappings). */
    public static final int FPB_RESPECT_DIRTY = 1;
    /** Do not normalise soft-dirty. */
    public static final int FPB_RESPECT_SOFT_DIRTY = 1 << 1;
    /** Do not normalise the write bit (mremap/mprotect batching). */
    public static final int FPB_RESPECT_WRITE = 1 << 2;
    /** Report whether any PTE of the batch was writable (fork makes the batch's PTE writable then). */
    public static final int FPB_MERGE_WRITE = 1 << 3;
    /** Report young/dirty ORed over the batch. */
    public static final int FPB_MERGE_YOUNG_DIRTY = 1 << 4;

    private static final long ANY_WRITABLE = 1L << 32;
    private static final long ANY_YOUNG = 1L << 33;
    private static final long ANY_DIRTY = 1L << 34;

    private FolioPteBatch()
    {
    }

    /** {@code __pte_batch_clear_ignored}: mkclean, clear soft-dirty, wrprotect (each unless respected), then mkold. */
    public static long clearIgnored(final Arch arch, final long pte, final int flags)
    {
        long p = pte;
        if ((flags & FPB_RESPECT_DIRTY) == 0)
        {
            p = arch.pteMkclean(p);
        }
        if ((flags & FPB_RESPECT_SOFT_DIRTY) == 0)
        {
            p = arch.pteClearSoftDirty(p);
        }
        if ((flags & FPB_RESPECT_WRITE) == 0)
        {
            p = arch.pteWrprotect(p);
        }
        return arch.pteMkold(p);
    }

    /**
     * Detects a PTE batch for a large folio.
     *
     * <p>Preconditions (the kernel's VM_WARNs): {@code pte} is the present value read at {@code idx}
     * (a copy, possibly gathered); it maps a page of the folio ending at {@code folioEndPfn} (exclusive);
     * {@code maxNr >= 1} and {@code idx + maxNr} stays inside this PTE table and the VMA, so the scan
     * never crosses a table or VMA boundary. The batch is capped at the folio's last page (6.16+ rule).
     *
     * <p>Counts: one {@code ptepGet} and one load per entry read (entries covered by
     * {@code pte_batch_hint} are not read); gathers add their own loads.
     *
     * @return the batch length in the low 32 bits, plus merge flags.
     */
    public static long folioPteBatch(final Arch arch, final Events ev, final MemorySegment t, final long base, final int idx,
        final long pte, final int maxNr, final long folioEndPfn, final int flags)
    {
        final int max = (int)Math.min(maxNr, folioEndPfn - arch.ptePfn(pte));
        boolean writable = arch.pteWrite(pte);
        boolean young = arch.pteYoung(pte);
        boolean dirty = arch.pteDirty(pte);
        int nr = arch.pteBatchHint(t, base, idx, pte);
        int reads = 0;
        if (nr < max)
        {
            // What pte_advance_pfn(x, 1) adds to a PTE word of this folio (PFNs stay inside the folio, so the
            // PFN field never carries into the flag bits and needs no range check per entry).
            final long step = arch.pteAdvancePfn(pte, 1) - pte;
            // The scan compares each entry with the raw word it would have if its bits were those of the entry
            // before it: equal words are equal after normalisation too, and merge nothing new, so the common
            // case costs one load, one compare and one add. Only a word that differs is normalised
            // (__pte_batch_clear_ignored on both sides), which decides exactly as the kernel's comparison does:
            // normalisation touches flag bits only and commutes with advancing the PFN.
            long raw = pte + nr * step;
            // No hint to skip by (every entry is read): take the raw-equal run in bulk, once; after a word that
            // differs the entries are read one by one, so a folio whose bits alternate costs no repeated chunks.
            if (!arch.hasPteBatchHint() && max - nr >= Staging.STAGED_MIN_NR)
            {
                final int same = arch.countRawRamp(t, base, idx + nr, raw, step, max - nr);
                reads += same;
                nr += same;
                raw += same * step;
            }
            while (nr < max)
            {
                final long p = arch.ptepGetNoAcct(ev, t, base, idx + nr);
                reads++;
                if (p != raw)
                {
                    if (clearIgnored(arch, p, flags) != clearIgnored(arch, raw, flags))
                    {
                        break;
                    }
                    writable |= arch.pteWrite(p);
                    young |= arch.pteYoung(p);
                    dirty |= arch.pteDirty(p);
                }
                final int cur = arch.pteBatchHint(t, base, idx + nr, p);
                raw = p + cur * step;
                nr += cur;
            }
        }
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        long r = Math.min(nr, max);
        if ((flags & FPB_MERGE_WRITE) != 0 && writable)
        {
            r |= ANY_WRITABLE;
        }
        if ((flags & FPB_MERGE_YOUNG_DIRTY) != 0)
        {
            r |= (young ? ANY_YOUNG : 0) | (dirty ? ANY_DIRTY : 0);
        }
        return r;
    }

    public static int nr(final long result)
    {
        return (int)result;
    }

    public static boolean anyWritable(final long result)
    {
        return (result & ANY_WRITABLE) != 0;
    }

    public static boolean anyYoung(final long result)
    {
        return (result & ANY_YOUNG) != 0;
    }

    public static boolean anyDirty(final long result)
    {
        return (result & ANY_DIRTY) != 0;
    }
}
