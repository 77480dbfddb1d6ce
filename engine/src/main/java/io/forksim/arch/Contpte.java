package io.forksim.arch;

import io.forksim.mem.MemMap;
import io.forksim.mem.RawMemory;
import io.forksim.pte.Arm64Pte;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * The arm64 transparent contiguous-PTE layer of mainline 6.18 ({@code arch/arm64/mm/contpte.c}), plus the arm64
 * side of the never-merged v4 fork helper {@code contpte_set_wrprotects} (Ryan Roberts, v4 15/16). The
 * {@code pgtable.h} wrappers in {@link Arm64} call these functions when an entry carries {@code PTE_CONT} or a
 * batch is longer than one entry; the {@code Arm64} argument stands for the kernel's {@code mm}/{@code vma}: it
 * gives the fold check its folio metadata ({@link Arm64#memMap()}) and the TLB flushes FEAT_TLBIRANGE
 * ({@link Arm64#tlbiRange()}).
 *
 * <p>A block is the 16 entries {@code idx & ~15 .. (idx & ~15) + 15} of one table (64 KiB of VA, VA alignment ==
 * index alignment). Costs are counted as {@link Arm64} describes.
 */
final class Contpte
{
    /** {@code CONT_PTES}: entries in one contpte block (4 KiB granule). */
    static final int CONT_PTES = Arm64Pte.CONT_PTES;
    private static final int CONT_MASK = CONT_PTES - 1;
    /** The order of a folio of {@code CONT_PTES} pages: a smaller folio never spans a block. */
    private static final int CONT_ORDER = Integer.numberOfTrailingZeros(CONT_PTES);
    private static final long VALID_CONT = Arm64Pte.VALID | Arm64Pte.CONT;
    private static final long CONT = Arm64Pte.CONT;
    /** What {@code pte_advance_pfn(pte, 1)} adds to an entry whose PFN stays inside its folio. */
    private static final long PAGE = 1L << Arm64Pte.PAGE_SHIFT;

    private Contpte()
    {
    }

    /**
     * {@code contpte_try_fold} (inline filter): only when {@code idx} is the last slot of its block, the PFN
     * is the last of an aligned 16-group, and {@code pte} is valid, not CONT and not special, call
     * {@link #__contpteTryFold}. Reads no entry itself; for a PTE that passes the filter it reads the page's memmap
     * flags ({@link #folioTooSmall}).
     * Precondition: {@code pte} is the value just stored at {@code idx}.
     */
    static void contpteTryFold(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        if (contpteFoldPending(a, idx, pte) != 0)
        {
            __contpteTryFold(a, ev, t, base, idx, pte);
        }
    }

    /**
     * {@link #contpteTryFold} for a hot loop that runs the out-of-line part later ({@link #contpteTryFoldBlocks}): the
     * same filter and {@link #folioTooSmall}, then, instead of calling {@link #__contpteTryFold}, the bit
     * {@code 1 << (idx / 16)} of the block (0 when the check would stop before). Counts nothing, as the filter counts
     * nothing. Precondition: {@code pte} is the value just stored at {@code idx}; the table has at most 512 entries.
     */
    static int contpteFoldPending(final Arm64 a, final int idx, final long pte)
    {
        if ((idx & CONT_MASK) != CONT_MASK)
        {
            return 0;
        }
        // the PFN once, in a local: a second call on this rare path could be left out of line (a call in the loop)
        final long pfn = Arm64Pte.ptePfn(pte);
        if ((pfn & CONT_MASK) == CONT_MASK
            && (pte & (Arm64Pte.VALID | CONT | Arm64Pte.SPECIAL)) == Arm64Pte.VALID
            && !folioTooSmall(a.memMap(), pfn))
        {
            return 1 << (idx >>> CONT_ORDER);
        }
        return 0;
    }

    /**
     * {@link #__contpteTryFold} for the blocks {@link #contpteFoldPending} returned, lowest first, each on the entry at
     * its block's last slot (read back: the value stored there). Counts what the checks count.
     * Precondition: those entries are as stored when their bits were returned.
     */
    static void contpteTryFoldBlocks(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int blocks)
    {
        for (int m = blocks; m != 0; m &= m - 1)
        {
            final int idx = (Integer.numberOfTrailingZeros(m) << CONT_ORDER) | CONT_MASK;
            __contpteTryFold(a, ev, t, base, idx, Arch.loadRaw(t, base, idx));
        }
    }

    /**
     * The first return of {@link #__contpteTryFold}, kept inline: page {@code pfn} has no struct page, or its folio has
     * fewer than {@code CONT_PTES} pages, so that folio cannot span a block ({@code folio_end < cont_end} or
     * {@code folio_start > cont_start}) and the fold check returns before it reads an entry. Counts nothing, as that
     * return counts nothing. Without a memmap it answers false, so that {@link #__contpteTryFold} throws as before.
     *
     * <p>Why inline. The kernel calls {@code __contpte_try_fold} out of line for the one PTE in 16 whose VA and PFN
     * are both block-aligned-last (for order-0 folios populated in order, every 16th PTE); a native call costs a few
     * cycles. In the JIT-compiled copy loops a call left in the loop body costs far more: every heap value the loop
     * keeps (the context's flags, the memmap's and the tables' bases) must be reloaded after it, the loop counter
     * lives on the stack and the loop is no longer counted, so no check is hoisted. Answering the order-0 case here
     * keeps the call off that path; the work done (one flags load, one compare) is the kernel's
     * {@code page_folio} + {@code folio_nr_pages}.
     */
    static boolean folioTooSmall(final MemMap mm, final long pfn)
    {
        return mm != null && (pfn >= mm.nrPages() || mm.order(pfn) < CONT_ORDER);
    }

    /**
     * {@code __contpte_try_fold}: fold the block of {@code idx} if (1) the folio of {@code pte}'s page spans
     * the whole block in VA (folio start &lt;= block start, folio end &gt;= block end, from the page's offset
     * in its folio) and (2) every entry of the block, after {@code pte_mkold(pte_mkclean())}, equals
     * {@code pfn_pte(alignedPfn + i, prot)} with {@code prot} the pgprot of {@code pte} made old and clean.
     * Then {@link #contpteConvert} with {@code pte_mkcont(pte)}.
     * <p>Cost: one folio lookup (memmap), pteLoad 1 per entry compared (stops at the first mismatch), a fold.
     * <p>Precondition: {@link #contpteTryFold}'s filter passed; {@link Arm64#setMemMap} was called.
     */
    static void __contpteTryFold(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        final MemMap mm = a.memMap();
        if (mm == null)
        {
            throw new IllegalStateException("arm64 contpte fold check at slot " + idx + " (pfn " + Arm64Pte.ptePfn(pte)
                + ") needs folio metadata: Arm64.setMemMap(MemMap) was never called");
        }
        final long pfn = Arm64Pte.ptePfn(pte);
        if (pfn >= mm.nrPages())
        {
            return;   // no struct page: cannot be a folio
        }
        final long head = mm.folioHead(pfn);
        final long folioStart = (long)idx - (pfn - head);
        final long folioEnd = folioStart + mm.folioNrPages(pfn);
        final int contStart = idx & ~CONT_MASK;
        if (folioStart > contStart || folioEnd < contStart + CONT_PTES)
        {
            return;
        }
        final long expected = Arm64Pte.pfnPte(pfn & ~(long)CONT_MASK,
            Arm64Pte.ptePgprot(Arm64Pte.pteMkold(Arm64Pte.pteMkclean(pte))));
        for (int i = 0; i < CONT_PTES; i++)
        {
            ev.pteLoad++;
            final long sub = Arm64Pte.pteMkold(Arm64Pte.pteMkclean(Arch.loadRaw(t, base, contStart + i)));
            if (sub != expected + ((long)i << Arch.PAGE_SHIFT))   // PFN field is contiguous; aligned+15 cannot carry out
            {
                return;
            }
        }
        contpteConvert(a, ev, t, base, idx, Arm64Pte.pteMkcont(pte), true);
    }

    /** {@code contpte_try_unfold}: {@link #__contpteTryUnfold} if {@code pte} is valid+CONT; reads nothing. */
    static void contpteTryUnfold(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        if ((pte & VALID_CONT) == VALID_CONT)
        {
            __contpteTryUnfold(a, ev, t, base, idx, pte);
        }
    }

    /**
     * {@code __contpte_try_unfold}: repaint the block of {@code idx} as 16 non-CONT entries
     * ({@link #contpteConvert} with {@code pte_mknoncont(pte)}). Precondition: the block is folded;
     * {@code pte} is an entry of it.
     */
    static void __contpteTryUnfold(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        contpteConvert(a, ev, t, base, idx, Arm64Pte.pteMknoncont(pte), false);
    }

    /**
     * {@code contpte_convert}: break-before-make of the block of {@code idx}. The template is {@code pte} with
     * its PFN aligned down to 16; each of the 16 entries is cleared by an xchg and its dirty/AF ORed into the
     * template ({@code pte_mkdirty}: a writable template becomes hardware-dirty); the block is invalidated
     * ({@code __flush_tlb_range}, no BBML2 elision); then 16 plain stores of template, template+1, ...
     * <p>Cost: pteAtomic 16, dsb 2, tlbiRange 1 (FEAT_TLBIRANGE) or tlbiPage 16, pteStore 16, fold or unfold 1.
     * <p>Precondition: the 16 entries map consecutive pages of one folio starting at an aligned PFN (or
     * {@code fold} is false and the block is a valid CONT block).
     */
    static void contpteConvert(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int idx, final long pte, final boolean fold)
    {
        final int start = idx & ~CONT_MASK;
        long tmpl = Arm64Pte.pfnPte(Arm64Pte.ptePfn(pte) & ~(long)CONT_MASK, Arm64Pte.ptePgprot(pte));
        for (int i = 0; i < CONT_PTES; i++)
        {
            final long old = Arch.loadRaw(t, base, start + i);
            Arch.storeRaw(t, base, start + i, 0L);
            if (Arm64Pte.pteDirty(old))
            {
                tmpl = Arm64Pte.pteMkdirty(tmpl);
            }
            if (Arm64Pte.pteYoung(old))
            {
                tmpl = Arm64Pte.pteMkyoung(tmpl);
            }
        }
        ev.pteAtomic += CONT_PTES;
        Arm64Tlb.flushContBlock(ev, a.tlbiRange());
        for (int i = 0; i < CONT_PTES; i++)
        {
            Arch.storeRaw(t, base, start + i, tmpl + ((long)i << Arch.PAGE_SHIFT));
        }
        ev.pteStore += CONT_PTES;
        if (fold)
        {
            ev.fold++;
        }
        else
        {
            ev.unfold++;
        }
    }

    /**
     * {@code contpte_ptep_get} (6.16+ early-exit form): OR dirty and AF over the block of {@code idx} into
     * {@code orig}, reading from the block start; once one of the two is found, keep reading only for the
     * other and stop when it is found too. As in the kernel, the entry where dirty is found is read a second
     * time by the young search. Returns {@code orig} with the gathered bits (PFN and CONT kept).
     * <p>Cost: gather 1, pteLoad per read (2..17).
     * <p>Precondition: {@code orig} is the valid CONT entry at {@code idx}; PTL held.
     */
    static long contptePtepGet(final Events ev, final MemorySegment t, final long base, final int idx, final long orig)
    {
        ev.gather++;
        final int start = idx & ~CONT_MASK;
        long pte = orig;
        int loads = 0;
        for (int i = 0; i < CONT_PTES; i++)
        {
            long p = Arch.loadRaw(t, base, start + i);
            loads++;
            if (Arm64Pte.pteDirty(p))
            {
                pte = Arm64Pte.pteMkdirty(pte);
                for (; i < CONT_PTES; i++)
                {
                    p = Arch.loadRaw(t, base, start + i);
                    loads++;
                    if (Arm64Pte.pteYoung(p))
                    {
                        pte = Arm64Pte.pteMkyoung(pte);
                        break;
                    }
                }
                break;
            }
            if (Arm64Pte.pteYoung(p))
            {
                pte = Arm64Pte.pteMkyoung(pte);
                for (i++; i < CONT_PTES; i++)
                {
                    p = Arch.loadRaw(t, base, start + i);
                    loads++;
                    if (Arm64Pte.pteDirty(p))
                    {
                        pte = Arm64Pte.pteMkdirty(pte);
                        break;
                    }
                }
                break;
            }
        }
        ev.pteLoad += loads;
        return pte;
    }

    /**
     * {@code contpte_set_ptes}: split {@code idx..idx+nr-1} at 64 KiB boundaries; a chunk that is a whole
     * block (start and end slot aligned) whose first PFN is a multiple of 16 is written with CONT, any other
     * chunk without. Plain stores, no unfold, no TLBI, no DSB (user PTEs).
     * <p>Cost: pteStore nr.
     * <p>Precondition: nr &gt; 1; the entries are not present; they stay inside this table (a live native segment,
     * checked once); the nr PFNs belong to one folio (so a CONT block never spans two folios).
     * <p>Compiled alone, never inlined (the JVM flags' {@code CompileCommand=dontinline}): see
     * {@link Staging#wrprotectRaw}. Below {@link Staging#STAGED_MIN_NR} entries the stores go to {@link RawMemory#at}
     * of the range's address over an int byte offset to a {@code !=} bound: no check per entry, no counted loop.
     */
    static void contpteSetPtes(final Events ev, final MemorySegment t, final long base, final int idx, final long pte, final int nr)
    {
        Arm64Pte.pteAdvancePfn(pte, nr - 1);   // range-check the last PFN once; chunks add to the PFN field directly
        final int end = idx + nr;
        long pfn = Arm64Pte.ptePfn(pte);
        final long prot = Arm64Pte.ptePgprot(pte) & ~CONT;
        // big batches are built in the staging array and stored with one copy (see Arch#Staging.STAGED_MIN_NR)
        final long[] buf = nr >= Staging.STAGED_MIN_NR ? Staging.staging() : null;
        // small batches: the range checked once, then stores at RawMemory.at of its address, no check per entry
        final long ptep = buf == null ? Arch.rangeAddress(t, base, idx, nr) : 0;
        int addr = idx;
        do
        {
            final int next = Math.min((addr + CONT_PTES) & ~CONT_MASK, end);
            final int n = next - addr;
            long p = Arm64Pte.pfnPte(pfn, prot);
            if (((addr | next | (int)pfn) & CONT_MASK) == 0)
            {
                p |= CONT;
            }
            if (buf != null)
            {
                for (int i = 0, at = addr - idx; i < n; i++)
                {
                    buf[at + i] = p + ((long)i << Arch.PAGE_SHIFT);
                }
            }
            else
            {
                final int stop = (next - idx) << 3;
                for (int o = (addr - idx) << 3; o != stop; o += 8)
                {
                    RawMemory.setLong(RawMemory.at(ptep, o), p);
                    p += 1L << Arch.PAGE_SHIFT;
                }
            }
            addr = next;
            pfn += n;
        }
        while (addr != end);
        if (buf != null)
        {
            Staging.storeRawRange(t, base, idx, buf, nr);
        }
        ev.pteStore += nr;
    }

    /**
     * {@code contpte_try_unfold_partial}: unfold the block holding the first entry if the range starts
     * mid-block or {@code nr < 16}; unfold the block holding the last entry if the range ends mid-block.
     * Each test probes one entry (pteLoad 1) and unfolds only a valid CONT block (a block already unfolded
     * by the first test is not unfolded twice).
     */
    static void contpteTryUnfoldPartial(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        if ((idx & CONT_MASK) != 0 || nr < CONT_PTES)
        {
            ev.pteLoad++;
            contpteTryUnfold(a, ev, t, base, idx, Arch.loadRaw(t, base, idx));
        }
        final int end = idx + nr;
        if ((end & CONT_MASK) != 0)
        {
            ev.pteLoad++;
            contpteTryUnfold(a, ev, t, base, end - 1, Arch.loadRaw(t, base, end - 1));
        }
    }

    /**
     * {@code contpte_wrprotect_ptes}: {@link #contpteTryUnfoldPartial}, then one cmpxchg
     * {@code pte_wrprotect} per entry ({@code __wrprotect_ptes}). Whole blocks keep CONT and get no TLBI:
     * until the caller's later flush a page "may or may not be wrprotected" (Arm ARM D21194 on misprogramming
     * the contiguous bit).
     * <p>Cost: pteAtomic nr (+ probes and unfolds of partial edge blocks).
     * <p>Precondition: as {@link Arm64#wrprotectPtes}, nr &gt; 1.
     */
    static void contpteWrprotectPtes(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        contpteTryUnfoldPartial(a, ev, t, base, idx, nr);
        Staging.wrprotectRaw(a, t, base, idx, nr);
        ev.pteAtomic += nr;
    }

    /**
     * Whether the fork batch {@code idx..idx+nr-1} of a child mapping from PFN {@code pfn} is whole contpte blocks
     * with block-aligned PFNs, short enough for {@link #copyWholeBlocks} (below {@link Staging#STAGED_MIN_NR}: longer
     * batches keep the two staged calls). Reads nothing.
     */
    static boolean wholeBlocks(final int idx, final int nr, final long pfn)
    {
        return nr >= CONT_PTES && nr < Staging.STAGED_MIN_NR && ((idx | nr | (int)pfn) & CONT_MASK) == 0;
    }

    /**
     * {@code __copy_present_ptes}' {@code wrprotect_ptes} (if {@code wp}) + {@code set_ptes} over whole contpte
     * blocks, in one pass: entry by entry, the parent's entry write-protected in place (CONT kept), the child's stored.
     * That is the two calls' work on such a batch: {@link #contpteWrprotectPtes}' {@link #contpteTryUnfoldPartial}
     * probes nothing (the range starts and ends on block boundaries, nr &gt;= 16), then one cmpxchg per entry; every
     * 64 KiB chunk of {@link #contpteSetPtes} is a whole block whose first PFN is a multiple of 16, so every child entry
     * gets CONT. The two tables are different pages, so interleaving their stores changes nothing.
     * <p>Cost: as the two calls: pteAtomic nr if {@code wp}, pteStore nr.
     * <p>Compiled alone, never inlined (the JVM flags' {@code CompileCommand=dontinline}), as the two calls' loops
     * ({@link Staging#wrprotectRaw}): one shape in every JVM.
     * <p>Precondition: {@link #wholeBlocks}{@code (idx, nr, ptePfn(child))}; as {@link Arm64#wrprotectPtes} (if
     * {@code wp}) for {@code st} and as {@link #contpteSetPtes} for {@code dt} (its CONT bit ignored).
     */
    static void copyWholeBlocks(final Events ev, final MemorySegment st, final long sb, final MemorySegment dt,
        final long db, final int idx, final int nr, final boolean wp, final long child)
    {
        Arm64Pte.pteAdvancePfn(child, nr - 1);   // contpte_set_ptes' range check of the last PFN, once
        final long first = child | CONT;
        // both ranges checked once, then raw addresses: no check and no segment field per entry in the loop
        final long parent = Arch.rangeAddress(st, sb, idx, nr);
        final long kid = Arch.rangeAddress(dt, db, idx, nr);
        final int bytes = nr << 3;
        // Two entries per iteration (nr is a multiple of 16), over an int byte offset to a bound tested with !=: C2
        // makes no counted loop of it, whose pre-, main- and post-loops (and strip mining) cost a fixed amount per
        // call of 16 entries, and the addresses (RawMemory.at) carry no bounds check
        long e = first;
        if (wp)
        {
            for (int o = 0; o != bytes; o += 16)
            {
                final long a = RawMemory.at(parent, o);
                final long c = RawMemory.at(kid, o);
                final long x = RawMemory.getLong(a);
                final long y = RawMemory.getLong(a + 8);
                RawMemory.setLong(a, Arm64Pte.pteWrprotect(x));
                RawMemory.setLong(a + 8, Arm64Pte.pteWrprotect(y));
                RawMemory.setLong(c, e);
                RawMemory.setLong(c + 8, e + PAGE);
                e += 2 * PAGE;
            }
            ev.pteAtomic += nr;
        }
        else
        {
            for (int o = 0; o != bytes; o += 16)
            {
                final long c = RawMemory.at(kid, o);
                RawMemory.setLong(c, e);
                RawMemory.setLong(c + 8, e + PAGE);
                e += 2 * PAGE;
            }
        }
        ev.pteStore += nr;
    }

    /**
     * v4 {@code contpte_set_wrprotects}: walk 64 KiB chunks; a whole block is write-protected in place (16
     * cmpxchg, CONT kept, no TLBI); a partial chunk probes its first entry and unfolds that block if it is
     * valid+CONT, is write-protected, then its last entry is re-read and {@link #contpteTryFold} is tried.
     * As in the patch read (v4 15/16), the refold does not depend on {@code full}; {@code full} only
     * suppresses the fold check of the nr == 1 path.
     * <p>Precondition: as {@link Arm64#wrprotectPtes}, nr &gt; 1.
     */
    static void contpteSetWrprotects(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        final int end = idx + nr;
        int addr = idx;
        do
        {
            final int next = Math.min((addr + CONT_PTES) & ~CONT_MASK, end);
            final int n = next - addr;
            if (n != CONT_PTES)
            {
                ev.pteLoad++;
                contpteTryUnfold(a, ev, t, base, addr, Arch.loadRaw(t, base, addr));
            }
            for (int i = addr; i < next; i++)
            {
                Arch.storeRaw(t, base, i, Arm64Pte.pteWrprotect(Arch.loadRaw(t, base, i)));
            }
            ev.pteAtomic += n;
            if (n != CONT_PTES)
            {
                ev.pteLoad++;
                contpteTryFold(a, ev, t, base, next - 1, Arch.loadRaw(t, base, next - 1));
            }
            addr = next;
        }
        while (addr != end);
    }

    /**
     * {@code contpte_ptep_test_and_clear_young}: clear AF on all 16 entries of the block of {@code idx}
     * (one cmpxchg each, pteAtomic 16) without unfolding: core mm tracks access per folio and a block never
     * spans two folios. Returns whether any was young.
     */
    static boolean contptePtepTestAndClearYoung(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final int start = idx & ~CONT_MASK;
        boolean young = false;
        for (int i = 0; i < CONT_PTES; i++)
        {
            young |= Arm64.testAndClearYoungOne(ev, t, base, start + i);
        }
        return young;
    }

    /**
     * {@code contpte_ptep_set_access_flags} (6.18): compare {@code entry} with the gathered
     * {@code pte_mknoncont(ptep_get())} of the target (pteLoad 1 + gather); equal: nothing. If the write bit
     * does not change, {@code __ptep_set_access_flags(entry, dirty = 0)} on all 16 entries of the block (entry
     * not advanced: only its AF/DIRTY/WRITE/RDONLY bits are consumed), then, if {@code dirty}, one flush of
     * the block (dsb 2 + 1 range or 16 page TLBIs; 6.19 makes it local, same count). If the write bit
     * changes: unfold, then {@code __ptep_set_access_flags(entry, dirty)} on the target only.
     * <p>Precondition: the target is valid+CONT; {@code entry} maps the same PFN, CONT clear.
     */
    static boolean contptePtepSetAccessFlags(final Arm64 a, final Events ev, final MemorySegment t, final long base, final int idx, final long entry, final boolean dirty)
    {
        ev.pteLoad++;
        final long raw = Arch.loadRaw(t, base, idx);
        long orig = raw;
        if ((raw & VALID_CONT) == VALID_CONT)
        {
            orig = contptePtepGet(ev, t, base, idx, raw);
        }
        orig = Arm64Pte.pteMknoncont(orig);
        if (orig == entry)
        {
            return false;
        }
        if (Arm64Pte.pteWrite(orig) == Arm64Pte.pteWrite(entry))
        {
            final int start = idx & ~CONT_MASK;
            for (int i = 0; i < CONT_PTES; i++)
            {
                Arm64.ptepSetAccessFlagsOne(ev, t, base, start + i, entry, false);
            }
            if (dirty)
            {
                Arm64Tlb.flushContBlock(ev, a.tlbiRange());
            }
        }
        else
        {
            __contpteTryUnfold(a, ev, t, base, idx, orig);
            Arm64.ptepSetAccessFlagsOne(ev, t, base, idx, entry, dirty);
        }
        return true;
    }
}
