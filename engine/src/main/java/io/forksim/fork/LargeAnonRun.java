package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.arch.Staging;
import io.forksim.mem.LargeAnonDup;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mem.RawMemory;
import io.forksim.mm.FolioPteBatch;
import io.forksim.mm.Mm;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A run of consecutive batches of large anon folios in one PTE table, copied by one loop: for each batch, what
 * {@link CopyPteRange#folioBatch}'s dispatch and {@link CopyPteRange#copyPresentPtes}' batched half with
 * {@link FusedPteBatch} do (6.18's {@code copy_pte_range} loop head, {@code copy_present_ptes} with
 * {@code folio_pte_batch}, {@code folio_ref_add}, {@code folio_try_dup_anon_rmap_ptes}, {@code wrprotect_ptes},
 * {@code set_ptes}), with the same entries, pages and events; what differs is only where the simulator does its own
 * work:
 * <ul>
 *   <li>The VMA's invariants (the tables' ranges, COW, the batch flags, the child's mm id) are checked and loaded once
 *       per run, not once per batch; the folio's metadata is checked once per batch ({@link LargeAnonDup}), not once
 *       per field.</li>
 *   <li>The entry that ended a batch's scan is the next batch's head: the kernel reads it again
 *       ({@code ptep_get} at the loop's head, counted), the run keeps it in a register. If it continues the last
 *       batch's raw ramp (the next folio, mapped with the same bits), it is present, neither special nor the zero
 *       page's, and the parent's and child's entries are the same offsets from it as in the last batch: only the new
 *       folio's flags are read.</li>
 *   <li>Counters stay in locals until the run ends.</li>
 * </ul>
 * The one-pass copy of a batch is {@link FusedPteBatch#copy}'s short path ({@link RampCopy}): see there why its result is
 * the kernel's. It takes folios of up to {@link #MAX_ORDER} (order 4 above all), whose batches are all short.
 *
 * <p>Why a method of its own, kept out of line ({@code CompileCommand=dontinline} in the parent POM): compiled alone it
 * keeps the run's invariants in registers across batches, which inside {@link CopyPteRange#folioBatch} (with the
 * general path's calls around them) C2 kept on the stack (timing.md, "Order-4 on x86_64 against the batched floor").
 */
final class LargeAnonRun
{
    /**
     * The largest folio order the run takes: a folio of this order or less has fewer than {@link Staging#STAGED_MIN_NR}
     * pages, so each of its batches is a short one, copied entry by entry ({@link RampCopy}). Larger folios (order 9)
     * go through {@link CopyPteRange#copyPresentPtes} and {@link FusedPteBatch#copy}'s chunked pass, one call per
     * batch of 64 entries or more.
     */
    static final int MAX_ORDER = Integer.numberOfTrailingZeros(Staging.STAGED_MIN_NR) - 1;

    private LargeAnonRun()
    {
    }

    /**
     * Whether {@link #copy} may take a VMA's large anon folios: the arch has no {@code pte_batch_hint} (its
     * {@code ptep_get} is one load; no contpte blocks), the memmap is plain, and the source mm never pinned a page (so
     * {@code folio_try_dup_anon_rmap_ptes} cannot fail). The same for every entry of a VMA.
     */
    static boolean applies(final CopyContext c)
    {
        return !c.arch.hasPteBatchHint() && !c.memmap.atomic() && !c.srcHasPinned;
    }

    /**
     * Copies the batches from the present entry {@code pte} at {@code idx} (mapping page {@code pfn}, flags
     * {@code pflags}: an anon folio of order 1 to {@link #MAX_ORDER}) while each next entry is the first of another such
     * batch, and stops at {@code to}, at the last entry before it (its {@code max_nr} is 1: the single half) or at the
     * first entry that is not such a batch's (none, not present, special, the zero page, not anon, order 0 or above
     * {@link #MAX_ORDER}), which it does not
     * count: the caller reads it again. Counts everything else: per batch one {@code ptep_get} of its first entry
     * except the first batch's (the caller counted it), {@code folio_pte_batch}'s reads, {@code wrprotect_ptes}' and
     * {@code set_ptes}' atomics and stores, one batch, one refcount and one rmap update, the child's anon RSS.
     *
     * <p>Precondition: {@link #applies}; {@code idx + 1 < to}; {@code [idx, to)} lies inside both tables and the VMA
     * (the tables map the same range); the destination entries are none.
     *
     * @return the entries copied, at least 1
     */
    static int copy(final CopyContext c, final MemorySegment st, final long sb, final MemorySegment dt, final long db,
        final int idx, final int to, final long pte, final long pfn, final int pflags)
    {
        final Arch arch = c.arch;
        final MemMap memmap = c.memmap;
        final Events ev = c.ev;
        final boolean isCow = c.isCow;
        final int fpbFlags = c.isShared ? CopyPteRange.FPB_SHARED : CopyPteRange.FPB_PRIVATE;
        final int mmId = c.dstMmId;
        final long s0 = st.address() + Objects.checkFromIndexSize(sb + ((long)idx << 3), (long)(to - idx) << 3,
            st.byteSize());
        final long delta = dt.address() + Objects.checkFromIndexSize(db + ((long)idx << 3), (long)(to - idx) << 3,
            dt.byteSize()) - s0;
        long reads = 0;
        long stores = 0;
        long atomics = 0;
        long batches = 0;
        // the batch's head entry and page, and what the last batch derived from its bits
        long head = pte;
        long page = pfn;
        int flags = pflags;
        final RampCopy ramp = c.ramp;
        long step = 0;
        boolean wp = false;
        boolean sameBits = false;
        int i = idx;
        while (true)
        {
            final int order = flags & PageDescriptor.ORDER_MASK;
            final long folio = page & -(1L << order);
            final long folioEnd = folio + (1L << order);
            final int max = (int)Math.min(to - i, folioEnd - page);
            if (!sameBits)
            {
                // __copy_present_ptes' entries for these bits: wrprotect_ptes' parent, set_ptes' child (merged write bit)
                final boolean writable = arch.pteWrite(head);
                wp = isCow && writable;
                final long merged = writable ? arch.pteMkwrite(head) : head;
                step = arch.pteAdvancePfn(head, 1) - head;
                ramp.set(step, wp, (wp ? arch.pteWrprotect(head) : head) - head,
                    c.finishChildPte(wp ? arch.pteWrprotect(merged) : merged) - head, delta);
            }
            // folio_pte_batch's scan, wrprotect_ptes and set_ptes in one pass over the raw ramp from the head
            // (FusedPteBatch.copy's short path, the head entry included)
            final long s = s0 + ((long)(i - idx) << 3);
            final long a = ramp.copy(s, s + ((long)max << 3), head);
            final int k = (int)((a - s) >>> 3);
            int nr = k;
            long next = 0;
            boolean carried = false;
            if (k == max)
            {
                reads += k - 1;   // the entries read after the head
            }
            else
            {
                reads += k;   // and the entry that differed
                next = RawMemory.getLong(a);   // (read by the pass; in L1)
                final long raw = head + k * step;
                if (FolioPteBatch.clearIgnored(arch, next, fpbFlags) != FolioPteBatch.clearIgnored(arch, raw, fpbFlags))
                {
                    carried = true;   // it heads the next batch
                }
                else
                {
                    // it differs only in ignored bits: the kernel's scan goes on from it, with the merged bits, and
                    // __copy_present_ptes rewrites the whole batch (it counts its stores and atomics)
                    nr = FusedPteBatch.continueBatch(c, st, sb, dt, db, i, head, folioEnd, to - i, k, next, fpbFlags);
                }
            }
            if (nr == k)
            {
                if (wp)
                {
                    atomics += nr;
                }
                stores += nr;
            }
            LargeAnonDup.dupAnonBatchPlain(memmap, folio, order, page, nr, true, mmId);
            batches++;
            i += nr;
            if (to - i <= 1)
            {
                break;
            }
            // the next batch's head: copy_pte_range's ptep_get
            final long expected = head + nr * step;
            if (!carried)
            {
                next = RawMemory.getLong(s + ((long)nr << 3));
            }
            if (next == expected)
            {
                // the last batch's ramp goes on: the same bits, the next page
                page += nr;
                sameBits = true;
                if (page == PhysMem.ZERO_PFN)
                {
                    break;
                }
            }
            else
            {
                if (next == 0 || !arch.ptePresent(next) || arch.pteSpecial(next))
                {
                    break;
                }
                page = arch.ptePfn(next);
                sameBits = false;
                if (page == PhysMem.ZERO_PFN)
                {
                    break;
                }
            }
            flags = memmap.flags(page);
            if ((flags & PageDescriptor.PG_ANON) == 0 || (flags & PageDescriptor.ORDER_MASK) == 0
                || (flags & PageDescriptor.ORDER_MASK) > MAX_ORDER)
            {
                break;
            }
            head = next;
            reads++;
        }
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        ev.pteStore += stores;
        ev.pteAtomic += atomics;
        c.batches += batches;
        c.refcountUpdates += batches;
        c.rmapUpdates += batches;
        c.rss[Mm.MM_ANONPAGES] += i - idx;
        return i - idx;
    }
}
