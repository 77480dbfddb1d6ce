package io.forksim.arch;

import io.forksim.pte.Arm64Pte;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * arm64 with contpte-basic, the first, functional-only contpte version: every batched entry point with
 * nr &gt; 1 runs its own nr == 1 path nr times. {@code set_ptes} stores entry by entry and folds a block when its
 * last entry lands ({@code contpte_try_fold}); {@code wrprotect_ptes} and the clears unfold every CONT block they
 * touch; the seed patch's fork helpers ({@code set_ptes_full}, {@code ptep_set_wrprotects}) did not exist yet, so
 * they too go entry by entry. Everything else ({@code ptep_get} still gathers, {@code pte_batch_hint} still
 * skips, the nr == 1 paths, the TLB code) is {@link Arm64}'s.
 */
public final class Arm64ContpteBasic extends Arm64
{
    /** {@code tlbiRange}: FEAT_TLBIRANGE. */
    public Arm64ContpteBasic(final boolean tlbiRange)
    {
        super(tlbiRange);
    }

    /** {@code set_ptes}: the nr == 1 path ({@link Arm64#setPtes}) for each of the {@code nr} entries. Precondition: as {@link Arm64#setPtes}. */
    @Override
    public void setPtes(final Events ev, final MemorySegment t, final long base, final int idx, final long pte, final int nr)
    {
        if (nr == 1)
        {
            setPte(ev, t, base, idx, pte);
            return;
        }
        for (int i = 0; i < nr; i++)
        {
            setPte(ev, t, base, idx + i, Arm64Pte.pteAdvancePfn(pte, i));
        }
    }

    /**
     * {@code set_ptes_full}: one plain store per entry, CONT cleared (pteStore nr), no probe and no fold check.
     * Precondition: as {@link Arm64#setPtesFull}.
     */
    @Override
    public void setPtesFull(final Events ev, final MemorySegment t, final long base, final int idx, final long pte, final int nr)
    {
        if (nr == 1)
        {
            setPteFullNoAcct(ev, t, base, idx, pte);
            ev.pteStore++;
            return;
        }
        for (int i = 0; i < nr; i++)
        {
            storeRaw(t, base, idx + i, Arm64Pte.pteAdvancePfn(pte, i) & ~Arm64Pte.CONT);
        }
        ev.pteStore += nr;
    }

    /** {@code wrprotect_ptes}: the nr == 1 path for each entry (a CONT block is unfolded at its first entry). Precondition: as {@link Arm64#wrprotectPtes}. */
    @Override
    public void wrprotectPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        for (int i = 0; i < nr; i++)
        {
            wrprotectPte(ev, t, base, idx + i);
        }
    }

    /**
     * {@code __copy_present_ptes}' pair as two calls, each entry by entry: this backend unfolds on write-protect and
     * folds on set, which the batched backend's one pass ({@link Arm64#wrprotectAndSetPtes}) does not model.
     */
    @Override
    public void wrprotectAndSetPtes(final Events ev, final MemorySegment st, final long sb, final MemorySegment dt,
        final long db, final int idx, final int nr, final boolean wp, final long child)
    {
        wrprotectThenSetPtes(ev, st, sb, dt, db, idx, nr, wp, child);
    }

    /** {@code ptep_set_wrprotects}: the nr == 1 path for each entry. Precondition: as {@link Arm64#ptepSetWrprotects}. */
    @Override
    public void ptepSetWrprotects(final Events ev, final MemorySegment t, final long base, final int idx, final int nr, final boolean full)
    {
        for (int i = 0; i < nr; i++)
        {
            ptepSetWrprotect(ev, t, base, idx + i, full);
        }
    }

    /** {@code clear_full_ptes}: probe, unfold if valid+CONT, xchg, for each entry. Precondition: as {@link Arm64#clearFullPtes}. */
    @Override
    public void clearFullPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        for (int i = 0; i < nr; i++)
        {
            ptepGetAndClearOne(ev, t, base, idx + i);
        }
    }

    /**
     * {@code get_and_clear_full_ptes}: {@link #clearFullPtes}, returning the first old entry with young and dirty
     * ORed over all {@code nr} old entries. Precondition: as {@link Arm64#getAndClearFullPtes}.
     */
    @Override
    public long getAndClearFullPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        long first = ptepGetAndClearOne(ev, t, base, idx);
        for (int i = 1; i < nr; i++)
        {
            first = mergeYoungDirty(first, ptepGetAndClearOne(ev, t, base, idx + i));
        }
        return first;
    }
}
