package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.arch.Staging;
import io.forksim.mem.MemMap;
import io.forksim.mem.RawMemory;
import io.forksim.mm.FolioPteBatch;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The batched half of {@code copy_present_ptes} for its common case, with each entry of the source table read once
 * and each entry of both tables written once: {@code folio_pte_batch}'s raw-equal scan, {@code wrprotect_ptes} of the
 * parent's entry, {@code set_ptes}' store of the child's entry and, for an anon folio, the PageAnonExclusive clear of
 * {@code folio_try_dup_anon_rmap_ptes}, in one loop over the batch (per entry for batches below
 * {@link Staging#STAGED_MIN_NR}, {@link RampCopy}; per chunk of the staging array above). The kernel makes these
 * separate calls, each a pass over the batch; the result is the same entry for entry (see {@link #copy}), and the
 * events are counted as those calls count them. (The entry that ends a short batch's scan is read once more after the
 * pass, from L1, and counted once.) On x86_64 the anon folios of up to {@link LargeAnonRun#MAX_ORDER} are copied by
 * {@link LargeAnonRun}, which runs the same pass per batch.
 *
 * <p>What it buys: the passes the separate calls make over a short batch (order 4: four loops of 16 entries, each
 * with its own bounds checks and loop overhead) and the parent's second read-modify-write pass of a fresh parent.
 * timing.md and scale.md give the measured effect.
 */
final class FusedPteBatch
{
    /**
     * A long batch is copied per chunk of this many entries, ending at multiples of it in PFN order (so each
     * chunk clears whole aligned words of the PageAnonExclusive map): large enough that the per-chunk bulk copies
     * and calls cost little (64 cost +0.3 ns/page on cache-resident repeated forks), small enough that a batch
     * that ends early wastes at most one chunk's load. Precondition of {@link Staging#copyRampChunk}: at most the
     * staging array's size.
     */
    static final int CHUNK = 256;

    private FusedPteBatch()
    {
    }

    /**
     * Whether {@link #copy} may run for this batch: the arch has no {@code pte_batch_hint} (no contpte blocks, whose
     * scan, gather, unfold and fold the general path counts), the memmap is plain (on a concurrent machine the
     * kernel's order, refcount before PageAnonExclusive, is kept by the general path), and
     * {@code folio_try_dup_anon_rmap_ptes} cannot fail: the folio is not anon, or its mm has never pinned, or it is
     * not maybe-pinned.
     * Precondition: {@code head} is the head PFN of a large folio with flags {@code isAnon}.
     */
    static boolean applies(final CopyContext c, final Arch arch, final MemMap memmap, final boolean isAnon,
        final long head)
    {
        return !arch.hasPteBatchHint() && !memmap.atomic()
            && !(isAnon && c.srcHasPinned && memmap.folioMaybeDmaPinned(head));
    }

    /**
     * {@code folio_pte_batch}, {@code folio_try_dup_anon_rmap_ptes}' PageAnonExclusive clear and
     * {@code __copy_present_ptes} ({@code wrprotect_ptes} + {@code set_ptes}) for the batch starting at the present
     * entry {@code pte} at {@code idx}, in one pass while the entries equal the raw PFN ramp {@code pte + k * step}.
     *
     * <p>Why the result is the kernel's:
     * <ul>
     *   <li>The batch is the same: an entry equal to the ramp is equal after {@code __pte_batch_clear_ignored} too,
     *       which {@link FolioPteBatch#folioPteBatch} accepts without normalising; the first entry that differs is
     *       compared normalised, exactly as there. Entries are read in the same order and the same number of
     *       times (the one at {@code idx} not again).</li>
     *   <li>While the ramp holds, every entry has the first one's bits, so the merged write bit is the first
     *       entry's: the parent's entry is write-protected only if {@code pte} is writable and the mapping COW,
     *       and the child's entry is {@code finishChildPte} of that, advanced per page: what
     *       {@code wrprotect_ptes} and {@code set_ptes} write.</li>
     *   <li>If the batch goes on past an entry that differs only in ignored bits (write, young, soft-dirty; dirty
     *       for shared mappings), the rest is scanned by {@link FolioPteBatch#folioPteBatch} from that entry, and
     *       {@link CopyContext#__copyPresentPtes} then rewrites the whole batch with the merged entry: both tables
     *       end as the kernel leaves them (write-protecting an entry twice gives what once does), and only that
     *       call's stores and atomics are counted.</li>
     *   <li>Nothing can fail once {@link #applies} holds, so nothing written here has to be undone; the refcount and
     *       mapcount updates, which need the batch's length, follow in the caller. The caller owns the tables
     *       and, on a plain memmap, no other thread sees the order of the updates.</li>
     * </ul>
     * Counts ptepGet and pteLoad per entry read after the first, and what {@code wrprotect_ptes} and
     * {@code set_ptes} count (pteAtomic nr if the parent's entries were write-protected, pteStore nr).
     *
     * <p>Precondition: {@link #applies}; {@code pte} is the present entry at {@code idx} of the source table, mapping
     * page {@code pfn} of the large folio that ends at {@code folioEndPfn} (exclusive); {@code maxNr >= 1}, and the
     * {@code maxNr} entries from {@code idx} lie inside both tables and the VMA; the destination entries are none.
     *
     * @return the batch length, at least 1
     */
    static int copy(final CopyContext c, final MemorySegment st, final long sb, final MemorySegment dt, final long db,
        final int idx, final long pte, final long pfn, final long folioEndPfn, final boolean isAnon, final int maxNr,
        final int fpbFlags)
    {
        final Arch arch = c.arch;
        final MemMap memmap = c.memmap;
        final Events ev = c.ev;
        final int max = (int)Math.min(maxNr, folioEndPfn - pfn);
        final long off = sb + ((long)idx << 3);
        final long doff = db + ((long)idx << 3);
        Objects.checkFromIndexSize(off, (long)max << 3, st.byteSize());
        Objects.checkFromIndexSize(doff, (long)max << 3, dt.byteSize());
        final long s = st.address() + off;
        final long d = dt.address() + doff;
        final boolean wp = c.isCow && arch.pteWrite(pte);
        // __copy_present_ptes' entry: the merged one (FPB_MERGE_WRITE: pte_mkwrite if any entry was writable)
        final long merged = arch.pteWrite(pte) ? arch.pteMkwrite(pte) : pte;
        // wrprotect_ptes writes each parent entry's own value write-protected; set_ptes the child's ramp
        final long parent0 = wp ? arch.pteWrprotect(pte) : pte;
        final long child0 = c.finishChildPte(wp ? arch.pteWrprotect(merged) : merged);
        if (wp)
        {
            RawMemory.setLong(s, parent0);
        }
        RawMemory.setLong(d, child0);
        int k = 1;
        int paeFrom = 0;
        long p = 0;
        long raw = 0;
        if (max > 1)
        {
            // one page's step of the PFN field (the same for the parent's, its write-protected and the child's
            // entries: they differ in flag bits only); inside the folio it never carries into the flags
            final long step = arch.pteAdvancePfn(pte, 1) - pte;
            raw = pte + step;
            long parent = parent0 + step;
            long child = child0 + step;
            if (max >= Staging.STAGED_MIN_NR)
            {
                // a long batch: per chunk of the staging array, one bulk load, the ramp compare, one bulk store to
                // each table, then the chunk's PageAnonExclusive bytes (copyRampChunk is inlined here by the
                // parent POM's CompileCommand; C2 alone would leave it out of line)
                while (k < max)
                {
                    final int n = (int)Math.min(CHUNK - ((pfn + k) & (CHUNK - 1)),
                        max - k);
                    final int m = Staging.copyRampChunk(st, sb, dt, db, idx + k, n, raw, step, wp, parent, child);
                    raw += m * step;
                    parent += m * step;
                    child += m * step;
                    k += m;
                    if (isAnon)
                    {
                        memmap.clearAnonExclusiveRange(pfn + paeFrom, k - paeFrom);
                        paeFrom = k;
                    }
                    if (m < n)
                    {
                        p = RawMemory.getLong(s + ((long)k << 3));   // the entry that differed, read by the chunk
                        break;
                    }
                }
            }
            else
            {
                // a short batch, per entry (RampCopy: the parent's and the child's entries are the matched one plus
                // a constant), from the entry after the head
                final long end = s + ((long)max << 3);
                c.ramp.set(step, wp, parent0 - pte, child0 - pte, d - s);
                final long a = c.ramp.copy(s + 8, end, raw);
                k = (int)((a - s) >>> 3);
                raw = pte + k * step;
                if (a != end)
                {
                    p = RawMemory.getLong(a);   // the entry that differed (read by the pass; in L1)
                }
            }
        }
        if (isAnon)
        {
            memmap.clearAnonExclusiveRange(pfn + paeFrom, k - paeFrom);
        }
        final int reads = k < max ? k : k - 1;   // entries read after the first: the one that differed too
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        if (k == max || FolioPteBatch.clearIgnored(arch, p, fpbFlags) != FolioPteBatch.clearIgnored(arch, raw, fpbFlags))
        {
            // the batch is the raw-equal run: what wrprotect_ptes and set_ptes count
            if (wp)
            {
                ev.pteAtomic += k;
            }
            ev.pteStore += k;
            return k;
        }
        // an entry that differs only in ignored bits: the kernel's scan goes on from it, with the merged bits
        final int nr = continueBatch(c, st, sb, dt, db, idx, pte, folioEndPfn, maxNr, k, p, fpbFlags);
        if (isAnon)
        {
            memmap.clearAnonExclusiveRange(pfn + k, nr - k);
        }
        return nr;
    }

    /**
     * The rest of a batch whose raw ramp ended early: the {@code k} entries from {@code idx} equal the ramp of the
     * present entry {@code pte} and were copied as such, and the entry {@code p} at {@code idx + k} (read, and counted,
     * by the caller) differs from the ramp only in bits {@code folio_pte_batch} ignores. The kernel's scan goes on from
     * {@code p} ({@link FolioPteBatch#folioPteBatch}, counting its reads), then {@link CopyContext#__copyPresentPtes}
     * writes the whole batch with the merged entry and counts its stores and atomics: both tables end as the kernel
     * leaves them (write-protecting an entry twice gives what once does). Touches no page metadata.
     *
     * <p>Precondition: as {@link #copy}, with {@code 1 <= k < min(maxNr, folioEndPfn - pfn)} where {@code pfn} is the
     * page {@code pte} maps.
     *
     * @return the batch length, more than {@code k}
     */
    static int continueBatch(final CopyContext c, final MemorySegment st, final long sb, final MemorySegment dt,
        final long db, final int idx, final long pte, final long folioEndPfn, final int maxNr, final int k, final long p,
        final int fpbFlags)
    {
        final Arch arch = c.arch;
        final long r = FolioPteBatch.folioPteBatch(arch, c.ev, st, sb, idx + k, p, maxNr - k, folioEndPfn, fpbFlags);
        final int nr = k + FolioPteBatch.nr(r);
        final boolean writable = arch.pteWrite(pte) || FolioPteBatch.anyWritable(r);
        c.__copyPresentPtes(st, sb, dt, db, idx, writable ? arch.pteMkwrite(pte) : pte, nr);
        return nr;
    }
}
