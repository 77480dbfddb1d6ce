package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.FolioPteBatch;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * {@code copy_pte_range}: the hot loops, one per strategy, over the entries {@code [from, to)} of one source
 * PTE table into the same slots of one destination table.
 *
 * <p>Preconditions shared by all three loops: both tables map the same 2 MiB-aligned VA range; {@code [from,
 * to)} lies inside the VMA; destination entries are none. A batch therefore never crosses a table or the
 * VMA end ({@code max_nr = to - idx}). The loops read each present PTE once per batch, look folio metadata up
 * at most once per batch, allocate nothing, and keep their counters in locals until the table is done
 * (a counter in a field would chain every iteration through memory).
 * The single-entry copy ({@link CopyContext#copySinglePte}, {@link CopyContext#copySinglePteFull}) and the order-0
 * anon dup ({@link CopyContext#dupAnonPte0}) are shared static forms on the JVM's forced-inline list (the
 * {@code CompileCommand}s of the parent POM): a call C2 left out of line would put a call per PTE back into these
 * loops. A run of order-0 anon PTEs of a never-pinned mm, where every strategy does the same work per PTE, is copied by
 * one shared loop that stays out of line ({@link CopyContext#copyAnonRun0}), so that the three strategies run the same
 * compiled code at order 0. {@code bench/CopyLoopMain} times the loops the way the default run mixes them.
 *
 * <p>The shapes mirror the kernel versions side by side so that their costs can be compared:
 * <ul>
 *   <li>{@link #legacy}: Linux 6.8 (before batching): every PTE through {@code copy_present_pte}.</li>
 *   <li>{@link #archBatch}: the seed patch (v4 02/16, Dec 2023): {@code nr = pte_batch_remaining()} from
 *       the PTE bits and address alone, {@code ptep_get} once per batch, per-page rmap dup,
 *       {@code ptep_set_wrprotects(full)} + {@code set_ptes_full}. On x86_64 {@code nr} is the constant 1
 *       and the inner loops fold away.</li>
 *   <li>{@link #folioBatch}: Linux 6.9..6.18: large folios only, {@code folio_pte_batch} with
 *       {@code pte_batch_hint}, refcount and rmap once per batch, {@code wrprotect_ptes} + {@code set_ptes};
 *       order-0 stays on the single path and reads no more metadata than legacy.</li>
 * </ul>
 * Each returns {@link CopyContext#OK} or {@link CopyContext#ENOMEM}.
 */
final class CopyPteRange
{
    private static final long ZERO_PFN = PhysMem.ZERO_PFN;
    private static final int ANON_ORDER = PageDescriptor.PG_ANON | PageDescriptor.ORDER_MASK;
    /** fork's folio_pte_batch flags: always merge the write bit; respect dirty unless the mapping is shared. */
    static final int FPB_SHARED = FolioPteBatch.FPB_MERGE_WRITE;
    static final int FPB_PRIVATE = FolioPteBatch.FPB_MERGE_WRITE | FolioPteBatch.FPB_RESPECT_DIRTY;

    private CopyPteRange()
    {
    }

    /** Linux 6.8: one PTE at a time. */
    static int legacy(final CopyContext c, final MemorySegment st, final long sb, final MemorySegment dt, final long db,
        final int from, final int to)
    {
        final Arch arch = c.arch;
        final MemMap memmap = c.memmap;
        final Events ev = c.ev;
        final boolean srcHasPinned = c.srcHasPinned;
        final boolean isCow = c.isCow;
        long reads = 0;
        long stores = 0;
        long atomics = 0;
        long anon = 0;
        int ret = CopyContext.OK;
        for (int i = from; i < to; i++)
        {
            final long pte = arch.ptepGetNoAcct(ev, st, sb, i);
            reads++;
            if (pte == 0)
            {
                continue;
            }
            if (!arch.ptePresent(pte))
            {
                c.copyNonPresent(st, sb, dt, db, i, pte);
                continue;
            }
            final long pfn = arch.ptePfn(pte);
            if (arch.pteSpecial(pte) || pfn == ZERO_PFN)
            {
                c.copySpecial(st, sb, dt, db, i, pte);
                continue;
            }
            final int pflags = memmap.flags(pfn);
            if ((pflags & PageDescriptor.PG_ANON) != 0 && !srcHasPinned)
            {
                // An anon page of a never-pinned mm: an order-0 one in the shared run loop, a page of a large folio
                // here (the shared forms are force-inlined), the same per-PTE steps as in 6.8: folio_get,
                // page_dup_anon_rmap, ptep_set_wrprotect, set_pte_at.
                final int order = pflags & PageDescriptor.ORDER_MASK;
                if (order == 0)
                {
                    // this PTE and the order-0 anon ones after it, in the loop all strategies share
                    final long run = CopyContext.copyAnonRun0(c, st, sb, dt, db, i, to, false);
                    final int n = CopyContext.runCopied(run);
                    atomics += CopyContext.runAtomics(run);
                    reads += n - 1;
                    stores += n;
                    anon += n;
                    i += n - 1;
                    continue;
                }
                final long head = pfn & -(1L << order);
                memmap.refAdd(head, 1);
                memmap.clearAnonExclusive(pfn);
                memmap.folioAddLargeMapcount(head, 1, c.dstMmId);
                atomics += CopyContext.copySinglePte(c, arch, ev, isCow, st, sb, dt, db, i, pte);
                stores++;
                anon++;
                continue;
            }
            final int r = c.copyPresentSingle(st, sb, dt, db, i, pte, pfn, pflags);
            if (r == CopyContext.SINGLE_ANON)
            {
                anon++;
            }
            else if (r == CopyContext.ENOMEM)
            {
                ret = r;
                break;
            }
        }
        c.foldDeferred(dt, db);
        // every store of this loop went through set_ptes(nr = 1): its probe loads, one multiply per table
        ev.pteLoad += stores * arch.setPteProbeLoads();
        c.publish(reads, stores, atomics, anon, anon, anon, anon);
        return ret;
    }

    /** The seed patch: the arch decides the batch from the PTE bits alone (generic: the constant 1). */
    static int archBatch(final CopyContext c, final MemorySegment st, final long sb, final MemorySegment dt, final long db,
        final int from, final int to)
    {
        final Arch arch = c.arch;
        final MemMap memmap = c.memmap;
        final Events ev = c.ev;
        final boolean srcHasPinned = c.srcHasPinned;
        final boolean isCow = c.isCow;
        long reads = 0;
        long stores = 0;
        long atomics = 0;
        long singles = 0;
        long batches = 0;
        long specials = 0;
        long rmaps = 0;
        long anon = 0;
        int ret = CopyContext.OK;
        int i = from;
        while (i < to)
        {
            final long pte = arch.ptepGetNoAcct(ev, st, sb, i);
            reads++;
            if (pte == 0)
            {
                i++;
                continue;
            }
            if (!arch.ptePresent(pte))
            {
                c.copyNonPresent(st, sb, dt, db, i, pte);
                i++;
                continue;
            }
            // nr stays what the arch said on every path below except the cold pinned one, so that the
            // generic constant 1 folds the per-page loops away.
            final int nr = arch.pteBatchRemaining(pte, i, to);
            final long pfn = arch.ptePfn(pte);
            if (arch.pteSpecial(pte) || pfn == ZERO_PFN)
            {
                specials++;
                c.__copyPresentPtesFull(st, sb, dt, db, i, pte, nr);
                i += nr;
                continue;
            }
            final int pflags = memmap.flags(pfn);
            if (nr == 1 && (pflags & ANON_ORDER) == PageDescriptor.PG_ANON && !srcHasPinned)
            {
                // An order-0 anon page (never part of a CONT block, so nr is 1; on x86_64 always): folio_ref_add
                // and page_try_dup_anon_rmap on the page itself, then ptep_set_wrprotects(nr = 1, full) and
                // set_ptes_full(nr = 1). One local counts its batch, refcount update, rmap update, anon page and
                // child store, as folioBatch's singles do: fewer live counters than the general path below keeps
                // in registers.
                // set_ptes_full(nr = 1) where it differs from set_ptes(nr = 1) (arm64); elsewhere the plain form, so that every
                // strategy runs the same compiled order-0 run loop
                final long run = CopyContext.copyAnonRun0(c, st, sb, dt, db, i, to, !arch.setPteFullIsSetPte());
                final int n = CopyContext.runCopied(run);
                atomics += CopyContext.runAtomics(run);
                reads += n - 1;
                singles += n;
                i += n;
                continue;
            }
            final int order = pflags & PageDescriptor.ORDER_MASK;
            final long head = pfn & -(1L << order);
            if ((pflags & PageDescriptor.PG_ANON) != 0)
            {
                if (srcHasPinned && memmap.folioMaybeDmaPinned(head))
                {
                    final int done = c.archBatchPinnedAnon(st, sb, dt, db, i, pte, pfn, head, order, nr);
                    if (done < 0)
                    {
                        ret = done;
                        break;
                    }
                    i += done;
                    continue;
                }
                if (order == 0)
                {
                    // an order-0 folio is never part of a CONT block, so nr is 1: folio_ref_add and one
                    // page_try_dup_anon_rmap on the page itself
                    CopyContext.dupAnonPte0(memmap, pfn);
                }
                else
                {
                    memmap.refAdd(head, nr);
                    // page_try_dup_anon_rmap, once per page
                    for (int j = 0; j < nr; j++)
                    {
                        memmap.clearAnonExclusive(pfn + j);
                        memmap.folioAddLargeMapcount(head, 1, c.dstMmId);
                    }
                }
                anon += nr;
            }
            else
            {
                memmap.refAdd(head, nr);
                for (int j = 0; j < nr; j++)
                {
                    if (order == 0)
                    {
                        memmap.mapcountAdd(pfn, 1);
                    }
                    else
                    {
                        memmap.folioAddLargeMapcount(head, 1, c.dstMmId);
                    }
                }
                c.rss[CopyContext.fileRssCounter(pflags)] += nr;
            }
            batches++;
            rmaps += nr;
            if (nr == 1)
            {
                // ptep_set_wrprotects(nr = 1, full) and set_ptes_full(nr = 1), counted here (on x86_64 every
                // batch takes this branch: nr is the constant 1)
                atomics += CopyContext.copySinglePteFull(c, arch, ev, isCow, st, sb, dt, db, i, pte);
                stores++;
                i++;
                continue;
            }
            c.__copyPresentPtesFull(st, sb, dt, db, i, pte, nr);
            i += nr;
        }
        // one refcount update per batch of a normal page (folio_ref_add), one rmap update per page
        c.publish(reads, stores + singles, atomics, batches + specials + singles, batches + singles, rmaps + singles,
            anon + singles);
        return ret;
    }

    /** Linux 6.9+ (6.18): folio_pte_batch for large folios, the single path for everything else. */
    static int folioBatch(final CopyContext c, final MemorySegment st, final long sb, final MemorySegment dt, final long db,
        final int from, final int to)
    {
        final Arch arch = c.arch;
        final MemMap memmap = c.memmap;
        final Events ev = c.ev;
        final boolean srcHasPinned = c.srcHasPinned;
        final boolean isCow = c.isCow;
        long reads = 0;
        long atomics = 0;
        long singles = 0;
        final boolean largeRun = LargeAnonRun.applies(c);
        int ret = CopyContext.OK;
        int i = from;
        while (i < to)
        {
            final long pte = arch.ptepGetNoAcct(ev, st, sb, i);
            reads++;
            if (pte == 0)
            {
                i++;
                continue;
            }
            if (!arch.ptePresent(pte))
            {
                c.copyNonPresent(st, sb, dt, db, i, pte);
                i++;
                continue;
            }
            final long pfn = arch.ptePfn(pte);
            if (arch.pteSpecial(pte) || pfn == ZERO_PFN)
            {
                c.copySpecial(st, sb, dt, db, i, pte);
                i++;
                continue;
            }
            final int pflags = memmap.flags(pfn);
            if ((pflags & ANON_ORDER) == PageDescriptor.PG_ANON && !srcHasPinned)
            {
                // order-0 anon of a never-pinned mm: copy_present_ptes' single half, in the shared run loop, no folio
                // lookup beyond the page's own record
                final long run = CopyContext.copyAnonRun0(c, st, sb, dt, db, i, to, false);
                final int n = CopyContext.runCopied(run);
                atomics += CopyContext.runAtomics(run);
                reads += n - 1;
                singles += n;
                i += n;
                continue;
            }
            if (largeRun && (pflags & PageDescriptor.PG_ANON) != 0
                && (pflags & PageDescriptor.ORDER_MASK) <= LargeAnonRun.MAX_ORDER && to - i > 1)
            {
                // a large anon folio of fewer than 64 pages (order 0 went to the run above; largeRun implies never
                // pinned): this batch and the ones like it after it, in one loop (no-hint arch, plain memmap)
                i += LargeAnonRun.copy(c, st, sb, dt, db, i, to, pte, pfn, pflags);
                continue;
            }
            // Everything else leaves the loop for a callee: for a large folio one call per batch (16..512 PTEs)
            // costs nothing, and it keeps this loop as small as legacy's for the order-0 pages that stay in it.
            final int nr = copyPresentPtes(c, st, sb, dt, db, i, pte, pfn, pflags, to - i);
            if (nr < 0)
            {
                ret = nr;
                break;
            }
            i += nr;
        }
        c.foldDeferred(dt, db);
        // an order-0 anon PTE of the loop: one store, one batch, one refcount and one rmap update (copyPresentPtes
        // counts itself)
        ev.pteLoad += singles * arch.setPteProbeLoads();   // every single went through set_ptes(nr = 1): its probe loads
        c.publish(reads, singles, atomics, singles, singles, singles, singles);
        return ret;
    }

    /**
     * {@code copy_present_ptes} (mm/memory.c, 6.18) for the present entry {@code pte} at {@code idx}, mapping the normal
     * page {@code pfn} (flags {@code pflags}). Its single half (order 0, or {@code maxNr == 1}) is
     * {@link CopyContext#copyPresentSingle}; {@link #folioBatch} runs that half's common case, an order-0 anon page of a
     * never-pinned mm, in its own loop. The batched half: {@code folio_pte_batch}, then refcount and rmap once per batch
     * ({@code folio_ref_add}, {@code folio_try_dup_anon_rmap_ptes} / {@code folio_dup_file_rmap_ptes}) and
     * {@code __copy_present_ptes} ({@code wrprotect_ptes} + {@code set_ptes}); where {@link FusedPteBatch#applies}
     * (no contpte hint, plain memmap, {@code folio_try_dup_anon_rmap_ptes} cannot fail) the scan, the PageAnonExclusive
     * clear and the two table calls run as one pass ({@link FusedPteBatch#copy}) with the same result and events; where
     * {@code pte_batch_hint} already covers the batch (arm64: the rest of a CONT entry's block), the batch is taken
     * here without {@link FolioPteBatch#folioPteBatch}, which would read no entry either. A
     * maybe-pinned batch with an AnonExclusive page falls back to the single half for this one PTE (the kernel's
     * -EAGAIN round trip). Counts its own events.
     *
     * <p>Precondition: {@code pte} at {@code idx} is present and maps page {@code pfn} (not the zero page, not
     * special); {@code maxNr >= 1} entries up to the table/VMA end may be scanned.
     *
     * @return entries consumed, or {@link CopyContext#ENOMEM}
     */
    static int copyPresentPtes(final CopyContext c, final MemorySegment st, final long sb, final MemorySegment dt,
        final long db, final int idx, final long pte, final long pfn, final int pflags, final int maxNr)
    {
        final int order = pflags & PageDescriptor.ORDER_MASK;
        if (order == 0 || maxNr == 1)
        {
            final int s = c.copyPresentSingle(st, sb, dt, db, idx, pte, pfn, pflags);
            if (s == CopyContext.ENOMEM)
            {
                return s;
            }
            c.publish(0, s, s, s, s);   // SINGLE_ANON = 1 is counted here, SINGLE_COUNTED = 0 counted itself
            return 1;
        }
        final Arch arch = c.arch;
        final MemMap memmap = c.memmap;
        final long head = pfn & -(1L << order);
        final boolean isAnon = (pflags & PageDescriptor.PG_ANON) != 0;
        final int fpbFlags = c.isShared ? FPB_SHARED : FPB_PRIVATE;
        if (FusedPteBatch.applies(c, arch, memmap, isAnon, head))
        {
            // the common case: the batch scan, PageAnonExclusive clear, write-protect and child stores in one pass
            final int nr = FusedPteBatch.copy(c, st, sb, dt, db, idx, pte, pfn, head + (1L << order), isAnon, maxNr,
                fpbFlags);
            memmap.refAdd(head, nr);
            mapBatch(c, memmap, head, nr, isAnon, pflags);
            return nr;
        }
        final int nr;
        final boolean anyWritable;
        final int max = (int)Math.min(maxNr, head + (1L << order) - pfn);
        if (arch.hasPteBatchHint() && arch.pteBatchHint(st, sb, idx, pte) >= max)
        {
            // folio_pte_batch_flags when pte_batch_hint already covers max_nr (arm64: the batch is the rest of a CONT
            // entry's block): it reads no entry and merges only this entry's write bit. Kept here, so that an order-4
            // arm64 batch makes no call for it; the same result and events (none) as FolioPteBatch.
            nr = max;
            anyWritable = arch.pteWrite(pte);
        }
        else
        {
            final long r = FolioPteBatch.folioPteBatch(arch, c.ev, st, sb, idx, pte, maxNr, head + (1L << order),
                fpbFlags);
            nr = FolioPteBatch.nr(r);
            anyWritable = FolioPteBatch.anyWritable(r);
        }
        if (isAnon && c.srcHasPinned && memmap.folioMaybeDmaPinned(head) && memmap.anyAnonExclusive(pfn, nr))
        {
            // folio_try_dup_anon_rmap_ptes is all-or-nothing: -EAGAIN, the kernel preallocates a page and retries
            // this one PTE on the single path; the next PTE tries a batch again.
            final int s = c.copyPresentSingle(st, sb, dt, db, idx, pte, pfn, pflags);
            if (s == CopyContext.ENOMEM)
            {
                return s;
            }
            c.publish(0, s, s, s, s);
            return 1;
        }
        memmap.refAdd(head, nr);
        if (isAnon)
        {
            memmap.clearAnonExclusiveRange(pfn, nr);
        }
        mapBatch(c, memmap, head, nr, isAnon, pflags);
        c.__copyPresentPtes(st, sb, dt, db, idx, anyWritable ? arch.pteMkwrite(pte) : pte, nr);
        return nr;
    }

    /**
     * The end of a batch's {@code folio_try_dup_anon_rmap_ptes} / {@code folio_dup_file_rmap_ptes}, after
     * {@code folio_ref_add} and the PageAnonExclusive clear: the child's RSS, the folio's large mapcount for the child's
     * mm, and one batch, one refcount and one rmap update. Precondition: {@code nr} pages of the large folio at
     * {@code head} (flags {@code pflags}) were just referenced for the child.
     */
    private static void mapBatch(final CopyContext c, final MemMap memmap, final long head, final int nr,
        final boolean isAnon, final int pflags)
    {
        c.rss[isAnon ? io.forksim.mm.Mm.MM_ANONPAGES : CopyContext.fileRssCounter(pflags)] += nr;
        memmap.folioAddLargeMapcount(head, nr, c.dstMmId);
        c.batches++;
        c.refcountUpdates++;
        c.rmapUpdates++;
    }
}
