package io.forksim.arch;

import io.forksim.mem.MemMap;
import io.forksim.pte.Arm64Pte;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * arm64, 4 KiB granule, with the transparent contiguous-PTE layer of mainline 6.18
 * ({@code arch/arm64/mm/contpte.c} and the inline wrappers at the end of
 * {@code arch/arm64/include/asm/pgtable.h}), plus the arm64 side of the never-merged v4 fork helpers
 * ({@code pte_batch_remaining}, {@code ptep_set_wrprotects}, {@code set_ptes_full}; Ryan Roberts, v4 15/16).
 *
 * <p><b>Model.</b> {@code PTE_CONT} is private to this class: the core never sets it, every setter clears it
 * from the value it is given, and only {@link #contpteSetPtes} (a {@code set_ptes} of nr &gt; 1) and
 * {@link #contpteConvert} (a fold) write it. A block is the 16 entries {@code idx & ~15 .. (idx & ~15) + 15}
 * of one table (64 KiB of VA, VA alignment == index alignment). A folded block maps 16 consecutive PFNs
 * starting at a multiple of 16, inside one folio, with identical bits apart from AF and dirty; the
 * hardware may set AF/dirty in any one of them, so the block's young/dirty state is the OR over its
 * entries ({@link #contptePtepGet}). {@link #checkContInvariants} checks exactly that.
 *
 * <p><b>Costs.</b> Every method counts what the kernel code does into the {@link Events} it is given:
 * <ul>
 *   <li>{@code pteLoad}: every plain {@code __ptep_get} the arm64 code issues in addition to the read
 *       half of an atomic: the dispatch probes of the wrappers ({@code contpte_try_unfold(..., __ptep_get(ptep))}),
 *       the gather reads, the fold-check re-reads. A read whose value feeds a cmpxchg (the
 *       {@code wrprotect_ptes} fast path reads once and hands the value to {@code ___ptep_set_wrprotect})
 *       is the read half of that atomic and not counted.</li>
 *   <li>{@code pteAtomic}: every xchg and every cmpxchg attempt (a cmpxchg against a value a convert just
 *       changed fails once and is retried: two attempts).</li>
 *   <li>{@code pteStore}: plain stores ({@code __set_ptes}).</li>
 *   <li>{@code tlbiPage} / {@code tlbiRange} / {@code tlbiAsid} / {@code dsb}: TLBI VALE1IS (or its local
 *       twin), TLBI RVALE1IS, TLBI ASIDE1IS, each DSB. No KPTI (no doubled user-ASID TLBIs), no BBML2
 *       (the break-before-make TLBI of a convert is always issued), no errata repeats.</li>
 *   <li>{@code fold} / {@code unfold} / {@code gather}: one per {@code contpte_convert} / {@code contpte_ptep_get}.</li>
 * </ul>
 *
 * <p><b>Hot paths.</b> The nr == 1 paths the fork loop calls per PTE for order-0 folios
 * ({@link #ptepGet}, {@link #setPtes}, {@link #wrprotectPtes}, {@link #setPtesFull}, {@link #ptepSetWrprotects})
 * cost one test of the CONT bit (plus, for {@code set_ptes}, the kernel's test of the slot index for a fold)
 * over the generic code; they never allocate and touch folio metadata only when a fold check passes its
 * PTE-only filter. The {@link #basic} switch is tested only on nr &gt; 1 paths.
 *
 * <p><b>contpte-basic</b> ({@code basic == true}): the functional-only first version. Every batched entry point
 * with nr &gt; 1 runs its own nr == 1 path nr times: {@code set_ptes} stores entry by entry and folds a block
 * when its last entry lands ({@code contpte_try_fold}), {@code wrprotect_ptes} and the clears unfold every CONT
 * block they touch. {@code ptep_get} still gathers and {@code pte_batch_hint} still skips.
 *
 * <p><b>Folio bounds.</b> The fold check needs the folio of a PFN: {@link #setMemMap} must be called (by
 * {@code Machine}) before any {@code set_ptes(nr == 1)} can reach it; otherwise that check throws.
 */
public final class Arm64 extends Arch
{
    /** {@code CONT_PTES}: entries in one contpte block (4 KiB granule). */
    public static final int CONT_PTES = Arm64Pte.CONT_PTES;
    private static final int CONT_MASK = CONT_PTES - 1;
    private static final long VALID_CONT = Arm64Pte.VALID | Arm64Pte.CONT;
    private static final long CONT = Arm64Pte.CONT;
    /** {@code MAX_DVM_OPS} = {@code PTRS_PER_PTE}: without FEAT_TLBIRANGE a range this long becomes an ASID flush. */
    static final long MAX_DVM_OPS = PTRS_PER_TABLE;
    /** {@code MAX_TLBI_RANGE_PAGES} = {@code __TLBI_RANGE_PAGES(31, 3)} = 32 &lt;&lt; 16. */
    static final long MAX_TLBI_RANGE_PAGES = 32L << 16;

    /** FEAT_TLBIRANGE: a 64 KiB block is invalidated by one TLBI RVALE1IS instead of 16 TLBI VALE1IS. */
    private final boolean tlbiRange;
    /** contpte-basic: the first, functional-only contpte version (no batched helpers). */
    private final boolean basic;
    /** Folio metadata for the fold check ({@code page_folio(pte_page(pte))}); set by Machine. */
    private MemMap memmap;

    public Arm64(final boolean tlbiRange, final boolean basic)
    {
        this.tlbiRange = tlbiRange;
        this.basic = basic;
    }

    public boolean tlbiRange() { return tlbiRange; }
    public boolean basic() { return basic; }

    /**
     * Gives the fold check access to folio metadata. Machine calls it once, right after building its
     * {@link MemMap}; tests call it before any {@code set_ptes(nr == 1)} that may reach a fold check.
     */
    public void setMemMap(final MemMap memmap)
    {
        this.memmap = memmap;
    }

    /** The {@link MemMap} the fold check uses, or {@code null} if none was set. */
    public MemMap memMap()
    {
        return memmap;
    }

    @Override public String name() { return "arm64"; }
    @Override public boolean hasContpte() { return true; }

    // ================================================================ public table accessors (pgtable.h wrappers)

    /**
     * {@code ptep_get}: one raw load; a valid CONT entry is returned with AF and dirty gathered over its
     * block ({@link #contptePtepGet}). The PFN and the CONT bit of the target are kept.
     * <p>Cost: the caller counts ptepGet 1 and pteLoad 1 ({@link Arch#ptepGet} does); a valid CONT entry
     * adds gather 1 and the gather's reads.
     * <p>Precondition: PTL held (the block cannot change under the gather).
     */
    @Override
    public long ptepGetNoAcct(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long pte = loadRaw(t, base, idx);
        if ((pte & VALID_CONT) != VALID_CONT)
        {
            return pte;
        }
        return contptePtepGet(ev, t, base, idx, pte);
    }

    @Override
    public boolean hasPteBatchHint()
    {
        return true;
    }

    /**
     * {@code pte_batch_hint}: for a valid CONT entry, the entries from {@code idx} to the end of its block,
     * which {@code folio_pte_batch} may accept without reading them; otherwise 1. Reads nothing.
     */
    @Override
    public int pteBatchHint(final MemorySegment t, final long base, final int idx, final long pte)
    {
        if ((pte & VALID_CONT) != VALID_CONT)
        {
            return 1;
        }
        return CONT_PTES - (idx & CONT_MASK);
    }

    /**
     * {@code pte_batch_remaining} (v4 seed patch): for a valid CONT entry, the entries from {@code idx} to the
     * end of its block, capped at {@code endIdx}; otherwise 1. Decided from the PTE bits and the slot alone.
     * Precondition: {@code idx < endIdx}.
     */
    @Override
    public int pteBatchRemaining(final long pte, final int idx, final int endIdx)
    {
        if ((pte & VALID_CONT) != VALID_CONT)
        {
            return 1;
        }
        return Math.min(CONT_PTES - (idx & CONT_MASK), endIdx - idx);
    }

    /**
     * {@code set_ptes}: map {@code nr} consecutive PFNs starting with {@code pte} (its CONT bit is ignored)
     * at {@code idx..idx+nr-1}.
     * <ul>
     *   <li>nr == 1: probe the old entry and unfold its block if it is valid+CONT, store, then
     *       {@link #contpteTryFold}. Cost: pteLoad 1, pteStore 1 (+ an unfold, + a fold check).</li>
     *   <li>nr &gt; 1: {@link #contpteSetPtes} (basic: the nr == 1 path nr times).</li>
     * </ul>
     * Precondition: the {@code nr} entries stay inside this table and, for nr &gt; 1, are not present
     * (the {@code set_ptes} contract); all {@code nr} PFNs belong to one folio.
     */
    @Override
    public void setPtes(final Events ev, final MemorySegment t, final long base, final int idx, final long pte, final int nr)
    {
        if (nr == 1)
        {
            setPte(ev, t, base, idx, pte);
            return;
        }
        if (basic)
        {
            for (int i = 0; i < nr; i++)
            {
                setPte(ev, t, base, idx + i, Arm64Pte.pteAdvancePfn(pte, i));
            }
            return;
        }
        contpteSetPtes(ev, t, base, idx, Arm64Pte.pteMknoncont(pte), nr);
    }

    /**
     * {@code set_ptes_full(..., full = 1)} (v4 seed patch, fork's child side): nr == 1 stores the entry with
     * neither the unfold probe nor the fold check (a fork copies state that is already folded or not);
     * nr &gt; 1 is {@link #contpteSetPtes}. Basic: the nr == 1 path nr times (the seed helpers did not exist).
     * <p>Cost: nr == 1: pteStore 1. nr &gt; 1: pteStore nr.
     * <p>Precondition: as {@link #setPtes}; the target entries are none (a fork child table).
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
        if (basic)
        {
            for (int i = 0; i < nr; i++)
            {
                storeRaw(t, base, idx + i, Arm64Pte.pteAdvancePfn(pte, i) & ~CONT);
            }
            ev.pteStore += nr;
            return;
        }
        contpteSetPtes(ev, t, base, idx, Arm64Pte.pteMknoncont(pte), nr);
    }

    /** {@code set_ptes_full(nr = 1)}: the store alone, no probe and no fold check (the caller counts the store). */
    @Override
    public void setPteFullNoAcct(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        storeRaw(t, base, idx, pte & ~CONT);
    }

    /**
     * {@code wrprotect_ptes}: write-protect {@code nr} present entries (hardware dirty moves to sw DIRTY);
     * no TLB maintenance of its own (fork's {@code flush_tlb_mm} covers it).
     * <ul>
     *   <li>nr == 1 (also {@code ptep_set_wrprotect}): read the entry once; if it carries CONT, unfold its block
     *       ({@code __contpte_try_unfold}); then one cmpxchg. Cost: pteAtomic 1 (+ convert, + 1 failed cmpxchg
     *       when the convert changed the entry's AF/dirty bits).</li>
     *   <li>nr &gt; 1: {@link #contpteWrprotectPtes}: whole blocks keep CONT (basic: the nr == 1 path nr times).</li>
     * </ul>
     * Precondition: the {@code nr} entries are present, map consecutive pages of one folio and stay inside
     * this table.
     */
    @Override
    public void wrprotectPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        if (nr == 1)
        {
            wrprotectPte(ev, t, base, idx);
            return;
        }
        if (basic)
        {
            for (int i = 0; i < nr; i++)
            {
                wrprotectPte(ev, t, base, idx + i);
            }
            return;
        }
        contpteWrprotectPtes(ev, t, base, idx, nr);
    }

    /**
     * {@code ptep_set_wrprotects(mm, addr, ptep, nr, full)} (v4 15/16, never merged).
     * <ul>
     *   <li>nr == 1: as {@code wrprotect_ptes(nr = 1)}; then, only if {@code !full}, re-read the entry
     *       (pteLoad 1) and {@link #contpteTryFold}.</li>
     *   <li>nr &gt; 1: {@link #contpteSetWrprotects} (basic: the nr == 1 path nr times).</li>
     * </ul>
     * Precondition: as {@link #wrprotectPtes}.
     */
    @Override
    public void ptepSetWrprotects(final Events ev, final MemorySegment t, final long base, final int idx, final int nr, final boolean full)
    {
        if (nr == 1)
        {
            ptepSetWrprotect(ev, t, base, idx, full);
            return;
        }
        if (basic)
        {
            for (int i = 0; i < nr; i++)
            {
                ptepSetWrprotect(ev, t, base, idx + i, full);
            }
            return;
        }
        contpteSetWrprotects(ev, t, base, idx, nr);
    }

    /**
     * {@code clear_full_ptes}: clear {@code nr} present entries of one folio (young/dirty not wanted).
     * <ul>
     *   <li>nr == 1: probe (pteLoad 1), unfold the block if valid+CONT, one xchg (pteAtomic 1).</li>
     *   <li>nr &gt; 1: {@link #contpteTryUnfoldPartial} (edge blocks only), then nr xchg; whole blocks are
     *       cleared without unfolding (basic: the nr == 1 path nr times).</li>
     * </ul>
     * Precondition: the {@code nr} entries are present, map consecutive pages of one folio, inside this table.
     */
    @Override
    public void clearFullPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        if (nr == 1)
        {
            ptepGetAndClearOne(ev, t, base, idx);
            return;
        }
        if (basic)
        {
            for (int i = 0; i < nr; i++)
            {
                ptepGetAndClearOne(ev, t, base, idx + i);
            }
            return;
        }
        contpteTryUnfoldPartial(ev, t, base, idx, nr);
        clearRaw(t, base, idx, nr);
        ev.pteAtomic += nr;
    }

    /**
     * {@code get_and_clear_full_ptes}: as {@link #clearFullPtes}, returning the first old entry with
     * young and dirty ORed over all {@code nr} old entries (after any edge unfold).
     * Precondition: as {@link #clearFullPtes}.
     */
    @Override
    public long getAndClearFullPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        if (nr == 1)
        {
            return ptepGetAndClearOne(ev, t, base, idx);
        }
        if (basic)
        {
            long first = ptepGetAndClearOne(ev, t, base, idx);
            for (int i = 1; i < nr; i++)
            {
                first = mergeYoungDirty(first, ptepGetAndClearOne(ev, t, base, idx + i));
            }
            return first;
        }
        contpteTryUnfoldPartial(ev, t, base, idx, nr);
        ev.pteAtomic += nr;
        return getAndClearRaw(t, base, idx, nr);
    }

    /**
     * {@code ptep_get_and_clear}: probe (pteLoad 1), unfold the block if valid+CONT, one xchg (pteAtomic 1).
     * Returns the raw old entry (CONT clear after an unfold; young/dirty as the unfold gathered them).
     */
    @Override
    public long ptepGetAndClear(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        return ptepGetAndClearOne(ev, t, base, idx);
    }

    /**
     * {@code ptep_clear_flush} (generic, mm/pgtable-generic.c): {@link #ptepGetAndClear}, then
     * {@code flush_tlb_page} if the old entry was valid ({@code pte_accessible} on arm64 without a pending
     * batched flush). Cost: as ptepGetAndClear + tlbiPage 1, dsb 2.
     */
    @Override
    public long ptepClearFlush(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long old = ptepGetAndClearOne(ev, t, base, idx);
        if (Arm64Pte.pteValid(old))
        {
            flushTlbPage(ev);
        }
        return old;
    }

    /**
     * {@code ptep_test_and_clear_young}: probe (pteLoad 1); a non-CONT entry gets one cmpxchg loop clearing
     * AF (pteAtomic 1); a valid CONT entry clears AF on its whole block without unfolding
     * ({@code contpte_ptep_test_and_clear_young}: pteAtomic 16). Returns whether any cleared entry was young.
     * No TLB maintenance (that is {@code ptep_clear_flush_young}).
     */
    @Override
    public boolean ptepTestAndClearYoung(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        ev.pteLoad++;
        final long orig = loadRaw(t, base, idx);
        if ((orig & VALID_CONT) != VALID_CONT)
        {
            return testAndClearYoungOne(ev, t, base, idx);
        }
        return contptePtepTestAndClearYoung(ev, t, base, idx);
    }

    /**
     * {@code ptep_set_access_flags}: make one present entry at least as permissive as {@code entry}
     * (same PFN; CONT in {@code entry} is ignored): AF, DIRTY and WRITE are ORed in, RDONLY is cleared if
     * {@code entry} has it clear ({@code __ptep_set_access_flags}, arch/arm64/mm/fault.c). Returns whether the
     * entry (or block) changed.
     * <ul>
     *   <li>not valid+CONT: probe (pteLoad 1) + {@code __ptep_set_access_flags}: pteLoad 1, and if different
     *       pteAtomic 1 and, if {@code dirty}, a page TLBI (tlbiPage 1, dsb 2).</li>
     *   <li>valid+CONT: {@link #contptePtepSetAccessFlags}.</li>
     * </ul>
     */
    @Override
    public boolean ptepSetAccessFlags(final Events ev, final MemorySegment t, final long base, final int idx, final long entry, final boolean dirty)
    {
        ev.pteLoad++;
        final long orig = loadRaw(t, base, idx);
        final long e = entry & ~CONT;
        if ((orig & VALID_CONT) != VALID_CONT)
        {
            return ptepSetAccessFlagsOne(ev, t, base, idx, e, dirty);
        }
        return contptePtepSetAccessFlags(ev, t, base, idx, e, dirty);
    }

    /**
     * FEAT_HAFDBS: the walker sets AF in the descriptor it used, and a store through a writable (DBM) descriptor
     * clears its PTE_RDONLY (hardware dirty), in that one entry: a CONT block stays folded with one young or
     * dirty entry, which {@code ptep_get} gathers for the whole block. No fault, no flush; one atomic update
     * (pteAtomic 1) when the entry changes.
     */
    @Override
    public void hwAccessFlags(final Events ev, final MemorySegment t, final long base, final int idx, final long pte,
        final boolean write)
    {
        final long raw = loadRaw(t, base, idx);
        long e = raw | Arm64Pte.AF;
        if (write)
        {
            e &= ~Arm64Pte.RDONLY;
        }
        if (e != raw)
        {
            storeRaw(t, base, idx, e);
            ev.pteAtomic++;
        }
    }

    /**
     * mprotect's per-entry {@code modify_prot_start_ptes(nr = 1)} + {@code modify_prot_commit_ptes(nr = 1)} on
     * arm64 (arch/arm64/mm/mmu.c): {@code get_and_clear_full_ptes(nr = 1)} (probe, unfold if valid+CONT, xchg),
     * then {@code set_ptes(nr = 1)} of {@code newPte} (probe, store, {@link #contpteTryFold}). So walking a CONT
     * block entry by entry unfolds it at the first entry and refolds it at the last one if all 16 entries end
     * up foldable. Cost: pteLoad 2, pteAtomic 1, pteStore 1 (+ unfold, + fold check).
     * Precondition: the entry is present; {@code newPte} maps the same PFN.
     */
    @Override
    public void changePteProt(final Events ev, final MemorySegment t, final long base, final int idx, final long newPte)
    {
        ptepGetAndClearOne(ev, t, base, idx);
        setPte(ev, t, base, idx, newPte);
    }

    /**
     * {@code set_pte_at} of a non-present (swap, migration, marker) entry: probe (pteLoad 1), unfold the
     * target's block if valid+CONT, one store (pteStore 1). Never folds (the fold filter wants a valid entry).
     */
    @Override
    public void setNonPresent(final Events ev, final MemorySegment t, final long base, final int idx, final long swp)
    {
        ev.pteLoad++;
        final long old = loadRaw(t, base, idx);
        if ((old & VALID_CONT) == VALID_CONT)
        {
            __contpteTryUnfold(ev, t, base, idx, old);
        }
        storeRaw(t, base, idx, swp);
        ev.pteStore++;
    }

    // ================================================================ TLB maintenance (asm/tlbflush.h)

    /** {@code flush_tlb_mm}: DSB ISHST; TLBI ASIDE1IS; DSB ISH. Cost: tlbiAsid 1, dsb 2. */
    @Override
    public void flushTlbMm(final Events ev)
    {
        ev.dsb += 2;
        ev.tlbiAsid++;
    }

    /**
     * {@code __flush_tlb_range} over {@code nrPages} pages with a 4 KiB stride (6.18 form): DSB ISHST; the
     * TLBIs; DSB ISH. With FEAT_TLBIRANGE the range is split into at most 4 TLBI RVALE1IS (scales 3..0) plus
     * one TLBI VALE1IS for an odd last page; without it, one TLBI VALE1IS per page. Beyond
     * {@code MAX_TLBI_RANGE_PAGES} (range) or from {@code MAX_DVM_OPS} pages (no range) it flushes the ASID
     * instead ({@code flush_tlb_mm}, then the trailing DSB ISH of {@code __flush_tlb_range}: dsb 3).
     */
    @Override
    public void flushTlbRange(final Events ev, final long nrPages)
    {
        if (nrPages <= 0)
        {
            return;
        }
        if (tlbiRange ? nrPages > MAX_TLBI_RANGE_PAGES : nrPages >= MAX_DVM_OPS)
        {
            flushTlbMm(ev);
            ev.dsb++;
            return;
        }
        ev.dsb++;
        tlbiRangeOp(ev, nrPages);
        ev.dsb++;
    }

    /** {@code flush_tlb_page}: DSB ISHST; TLBI VALE1IS; DSB ISH. Cost: tlbiPage 1, dsb 2. */
    @Override
    public void flushTlbPage(final Events ev)
    {
        ev.dsb += 2;
        ev.tlbiPage++;
    }

    /** The TLBIs of {@code __flush_tlb_range_op} for {@code pages} pages (no DSBs). */
    private void tlbiRangeOp(final Events ev, final long pages)
    {
        if (!tlbiRange)
        {
            ev.tlbiPage += pages;
            return;
        }
        long left = pages;
        int scale = 3;
        while (left > 0)
        {
            if (left == 1)
            {
                ev.tlbiPage++;
                left = 0;
                continue;
            }
            final int shift = 5 * scale + 1;
            final int num = (int)(Math.min(left, 32L << shift) >>> shift) - 1;   // __TLBI_RANGE_NUM
            if (num >= 0)
            {
                ev.tlbiRange++;
                left -= (long)(num + 1) << shift;                                 // __TLBI_RANGE_PAGES
            }
            scale--;
        }
    }

    /**
     * {@code __flush_tlb_range(vma, start, start + 64K, PAGE_SIZE, last level, level 3)} of one block, as a
     * convert issues it (and the same count as {@code local_flush_tlb_contpte}): dsb 2 and one TLBI RVALE1IS
     * (16 pages = scale 0, num 7) with FEAT_TLBIRANGE, else 16 TLBI VALE1IS.
     */
    private void flushContBlock(final Events ev)
    {
        ev.dsb += 2;
        if (tlbiRange)
        {
            ev.tlbiRange++;
        }
        else
        {
            ev.tlbiPage += CONT_PTES;
        }
    }

    // ================================================================ nr == 1 paths (the per-PTE hot paths)

    /** The nr == 1 branch of {@code set_ptes}. */
    private void setPte(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        setPteNoAcct(ev, t, base, idx, pte);
        ev.pteStore++;
    }

    /** {@code set_ptes(nr = 1)}: probe (pteLoad 1), unfold a valid CONT block, store (the caller counts it), fold check. */
    @Override
    public void setPteNoAcct(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        ev.pteLoad++;
        final long old = loadRaw(t, base, idx);
        if ((old & VALID_CONT) == VALID_CONT)
        {
            __contpteTryUnfold(ev, t, base, idx, old);
        }
        final long p = pte & ~CONT;
        storeRaw(t, base, idx, p);
        contpteTryFold(ev, t, base, idx, p);
    }

    /** The nr == 1 branch of {@code wrprotect_ptes} (= {@code ptep_set_wrprotect}). */
    private void wrprotectPte(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        wrprotectPteNoAcct(ev, t, base, idx);
        ev.pteAtomic++;
    }

    /** {@code wrprotect_ptes(nr = 1)}: unfold a CONT block first, then the cmpxchg (the caller counts its atomic). */
    @Override
    public void wrprotectPteNoAcct(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        long pte = loadRaw(t, base, idx);
        if ((pte & CONT) != 0)
        {
            pte = unfoldBeforeCmpxchg(ev, t, base, idx, pte);
        }
        storeRaw(t, base, idx, Arm64Pte.pteWrprotect(pte));
    }

    /** The nr == 1 branch of v4 {@code ptep_set_wrprotects}. */
    private void ptepSetWrprotect(final Events ev, final MemorySegment t, final long base, final int idx, final boolean full)
    {
        wrprotectPte(ev, t, base, idx);
        if (!full)
        {
            ev.pteLoad++;
            contpteTryFold(ev, t, base, idx, loadRaw(t, base, idx));
        }
    }

    /**
     * The unfold of the {@code wrprotect_ptes(nr = 1)} fast path: {@code __contpte_try_unfold} with the value
     * already read (the kernel tests only {@code pte_cont}, since the entry is known present), then model
     * {@code ___ptep_set_wrprotect}'s cmpxchg against {@code pte_mknoncont(orig)}: if the convert changed the
     * entry (gathered AF/dirty), the first attempt fails (pteAtomic 1) and the loop retries with the current
     * value. Returns the value the successful cmpxchg starts from.
     */
    private long unfoldBeforeCmpxchg(final Events ev, final MemorySegment t, final long base, final int idx, final long orig)
    {
        __contpteTryUnfold(ev, t, base, idx, orig);
        final long cur = loadRaw(t, base, idx);
        if (cur != Arm64Pte.pteMknoncont(orig))
        {
            ev.pteAtomic++;
        }
        return cur;
    }

    /** The nr == 1 clears: probe, unfold if valid+CONT, xchg. */
    private long ptepGetAndClearOne(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long old = ptepGetAndClearNoAcct(ev, t, base, idx);
        ev.pteAtomic++;
        return old;
    }

    /** The nr == 1 clear: probe (pteLoad 1), unfold a valid CONT block, xchg (the caller counts the atomic). */
    @Override
    public long ptepGetAndClearNoAcct(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        ev.pteLoad++;
        final long probe = loadRaw(t, base, idx);
        if ((probe & VALID_CONT) == VALID_CONT)
        {
            __contpteTryUnfold(ev, t, base, idx, probe);
        }
        final long old = loadRaw(t, base, idx);
        storeRaw(t, base, idx, 0L);
        return old;
    }

    /** {@code __ptep_test_and_clear_young}: a cmpxchg loop that always writes the mkold value. */
    private static boolean testAndClearYoungOne(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long p = loadRaw(t, base, idx);
        storeRaw(t, base, idx, Arm64Pte.pteMkold(p));
        ev.pteAtomic++;
        return Arm64Pte.pteYoung(p);
    }

    /**
     * {@code __ptep_set_access_flags} (arch/arm64/mm/fault.c): one load; if the entry equals {@code entry},
     * nothing. Otherwise one cmpxchg that ORs AF, DIRTY and WRITE from {@code entry} and keeps RDONLY only if
     * both have it, then, if {@code dirty}, a page TLBI (tlbiPage 1, dsb 2).
     */
    private static boolean ptepSetAccessFlagsOne(final Events ev, final MemorySegment t, final long base, final int idx, final long entry, final boolean dirty)
    {
        ev.pteLoad++;
        final long pte = loadRaw(t, base, idx);
        if (pte == entry)
        {
            return false;
        }
        final long e = (entry & (Arm64Pte.RDONLY | Arm64Pte.AF | Arm64Pte.WRITE | Arm64Pte.DIRTY)) ^ Arm64Pte.RDONLY;
        storeRaw(t, base, idx, ((pte ^ Arm64Pte.RDONLY) | e) ^ Arm64Pte.RDONLY);
        ev.pteAtomic++;
        if (dirty)
        {
            ev.dsb += 2;
            ev.tlbiPage++;
        }
        return true;
    }

    private static long mergeYoungDirty(final long into, final long p)
    {
        long r = into;
        if (Arm64Pte.pteDirty(p))
        {
            r = Arm64Pte.pteMkdirty(r);
        }
        if (Arm64Pte.pteYoung(p))
        {
            r = Arm64Pte.pteMkyoung(r);
        }
        return r;
    }

    // ================================================================ contpte.c

    /**
     * {@code contpte_try_fold} (inline filter): only when {@code idx} is the last slot of its block, the PFN
     * is the last of an aligned 16-group, and {@code pte} is valid, not CONT and not special, call
     * {@link #__contpteTryFold}. Reads nothing itself.
     * Precondition: {@code pte} is the value just stored at {@code idx}.
     */
    void contpteTryFold(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        if ((idx & CONT_MASK) == CONT_MASK
            && (Arm64Pte.ptePfn(pte) & CONT_MASK) == CONT_MASK
            && (pte & (Arm64Pte.VALID | CONT | Arm64Pte.SPECIAL)) == Arm64Pte.VALID)
        {
            __contpteTryFold(ev, t, base, idx, pte);
        }
    }

    /**
     * {@code __contpte_try_fold}: fold the block of {@code idx} if (1) the folio of {@code pte}'s page spans
     * the whole block in VA (folio start &lt;= block start, folio end &gt;= block end, from the page's offset
     * in its folio) and (2) every entry of the block, after {@code pte_mkold(pte_mkclean())}, equals
     * {@code pfn_pte(alignedPfn + i, prot)} with {@code prot} the pgprot of {@code pte} made old and clean.
     * Then {@link #contpteConvert} with {@code pte_mkcont(pte)}.
     * <p>Cost: one folio lookup (memmap), pteLoad 1 per entry compared (stops at the first mismatch), a fold.
     * <p>Precondition: {@link #contpteTryFold}'s filter passed; {@link #setMemMap} was called.
     */
    void __contpteTryFold(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        final MemMap mm = memmap;
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
            final long sub = Arm64Pte.pteMkold(Arm64Pte.pteMkclean(loadRaw(t, base, contStart + i)));
            if (sub != expected + ((long)i << PAGE_SHIFT))   // PFN field is contiguous; aligned+15 cannot carry out
            {
                return;
            }
        }
        contpteConvert(ev, t, base, idx, Arm64Pte.pteMkcont(pte), true);
    }

    /** {@code contpte_try_unfold}: {@link #__contpteTryUnfold} if {@code pte} is valid+CONT; reads nothing. */
    void contpteTryUnfold(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        if ((pte & VALID_CONT) == VALID_CONT)
        {
            __contpteTryUnfold(ev, t, base, idx, pte);
        }
    }

    /**
     * {@code __contpte_try_unfold}: repaint the block of {@code idx} as 16 non-CONT entries
     * ({@link #contpteConvert} with {@code pte_mknoncont(pte)}). Precondition: the block is folded;
     * {@code pte} is an entry of it.
     */
    void __contpteTryUnfold(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        contpteConvert(ev, t, base, idx, Arm64Pte.pteMknoncont(pte), false);
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
    void contpteConvert(final Events ev, final MemorySegment t, final long base, final int idx, final long pte, final boolean fold)
    {
        final int start = idx & ~CONT_MASK;
        long tmpl = Arm64Pte.pfnPte(Arm64Pte.ptePfn(pte) & ~(long)CONT_MASK, Arm64Pte.ptePgprot(pte));
        for (int i = 0; i < CONT_PTES; i++)
        {
            final long old = loadRaw(t, base, start + i);
            storeRaw(t, base, start + i, 0L);
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
        flushContBlock(ev);
        for (int i = 0; i < CONT_PTES; i++)
        {
            storeRaw(t, base, start + i, tmpl + ((long)i << PAGE_SHIFT));
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
    long contptePtepGet(final Events ev, final MemorySegment t, final long base, final int idx, final long orig)
    {
        ev.gather++;
        final int start = idx & ~CONT_MASK;
        long pte = orig;
        int loads = 0;
        for (int i = 0; i < CONT_PTES; i++)
        {
            long p = loadRaw(t, base, start + i);
            loads++;
            if (Arm64Pte.pteDirty(p))
            {
                pte = Arm64Pte.pteMkdirty(pte);
                for (; i < CONT_PTES; i++)
                {
                    p = loadRaw(t, base, start + i);
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
                    p = loadRaw(t, base, start + i);
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
     * <p>Precondition: nr &gt; 1; the entries are not present; they stay inside this table; the nr PFNs
     * belong to one folio (so a CONT block never spans two folios).
     */
    void contpteSetPtes(final Events ev, final MemorySegment t, final long base, final int idx, final long pte, final int nr)
    {
        Arm64Pte.pteAdvancePfn(pte, nr - 1);   // range-check the last PFN once; chunks add to the PFN field directly
        final int end = idx + nr;
        long pfn = Arm64Pte.ptePfn(pte);
        final long prot = Arm64Pte.ptePgprot(pte) & ~CONT;
        // big batches are built in the staging array and stored with one copy (see Arch#STAGED_MIN_NR)
        final long[] buf = nr >= STAGED_MIN_NR ? staging() : null;
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
                    buf[at + i] = p + ((long)i << PAGE_SHIFT);
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    storeRaw(t, base, addr + i, p + ((long)i << PAGE_SHIFT));
                }
            }
            addr = next;
            pfn += n;
        }
        while (addr != end);
        if (buf != null)
        {
            storeRawRange(t, base, idx, buf, nr);
        }
        ev.pteStore += nr;
    }

    /**
     * {@code contpte_try_unfold_partial}: unfold the block holding the first entry if the range starts
     * mid-block or {@code nr < 16}; unfold the block holding the last entry if the range ends mid-block.
     * Each test probes one entry (pteLoad 1) and unfolds only a valid CONT block (a block already unfolded
     * by the first test is not unfolded twice).
     */
    void contpteTryUnfoldPartial(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        if ((idx & CONT_MASK) != 0 || nr < CONT_PTES)
        {
            ev.pteLoad++;
            contpteTryUnfold(ev, t, base, idx, loadRaw(t, base, idx));
        }
        final int end = idx + nr;
        if ((end & CONT_MASK) != 0)
        {
            ev.pteLoad++;
            contpteTryUnfold(ev, t, base, end - 1, loadRaw(t, base, end - 1));
        }
    }

    /**
     * {@code contpte_wrprotect_ptes}: {@link #contpteTryUnfoldPartial}, then one cmpxchg
     * {@code pte_wrprotect} per entry ({@code __wrprotect_ptes}). Whole blocks keep CONT and get no TLBI:
     * until the caller's later flush a page "may or may not be wrprotected" (Arm ARM D21194 on misprogramming
     * the contiguous bit).
     * <p>Cost: pteAtomic nr (+ probes and unfolds of partial edge blocks).
     * <p>Precondition: as {@link #wrprotectPtes}, nr &gt; 1.
     */
    void contpteWrprotectPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        contpteTryUnfoldPartial(ev, t, base, idx, nr);
        wrprotectRaw(t, base, idx, nr);
        ev.pteAtomic += nr;
    }

    /**
     * v4 {@code contpte_set_wrprotects}: walk 64 KiB chunks; a whole block is write-protected in place (16
     * cmpxchg, CONT kept, no TLBI); a partial chunk probes its first entry and unfolds that block if it is
     * valid+CONT, is write-protected, then its last entry is re-read and {@link #contpteTryFold} is tried.
     * As in the patch read (v4 15/16), the refold does not depend on {@code full}; {@code full} only
     * suppresses the fold check of the nr == 1 path.
     * <p>Precondition: as {@link #wrprotectPtes}, nr &gt; 1.
     */
    void contpteSetWrprotects(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
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
                contpteTryUnfold(ev, t, base, addr, loadRaw(t, base, addr));
            }
            for (int i = addr; i < next; i++)
            {
                storeRaw(t, base, i, Arm64Pte.pteWrprotect(loadRaw(t, base, i)));
            }
            ev.pteAtomic += n;
            if (n != CONT_PTES)
            {
                ev.pteLoad++;
                contpteTryFold(ev, t, base, next - 1, loadRaw(t, base, next - 1));
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
    boolean contptePtepTestAndClearYoung(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final int start = idx & ~CONT_MASK;
        boolean young = false;
        for (int i = 0; i < CONT_PTES; i++)
        {
            young |= testAndClearYoungOne(ev, t, base, start + i);
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
    boolean contptePtepSetAccessFlags(final Events ev, final MemorySegment t, final long base, final int idx, final long entry, final boolean dirty)
    {
        ev.pteLoad++;
        final long raw = loadRaw(t, base, idx);
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
                ptepSetAccessFlagsOne(ev, t, base, start + i, entry, false);
            }
            if (dirty)
            {
                flushContBlock(ev);
            }
        }
        else
        {
            __contpteTryUnfold(ev, t, base, idx, orig);
            ptepSetAccessFlagsOne(ev, t, base, idx, entry, dirty);
        }
        return true;
    }

    // ================================================================ invariant checker

    /**
     * Checks the contpte invariants of one PTE table: every valid entry with CONT belongs to a block whose
     * 16 entries are all valid with CONT, map 16 consecutive PFNs starting at a multiple of 16, are identical
     * apart from AF and dirty ({@code pte_mkold(pte_mkclean())} of entry i equals that of entry 0 advanced by
     * i PFNs), and, unless special, lie inside one folio of {@code memmap} (skipped if {@code memmap} is null).
     * Only valid entries are candidates, as for every contpte decision ({@code pte_valid_cont}): bit 52 is a
     * swap-offset bit in swap entries, and a PROT_NONE run that {@code contpte_set_ptes} marked CONT is invisible
     * to the MMU and is legitimately cleared entry by entry without an unfold. Reads without counting.
     *
     * @return one message per violating block, empty if the table is consistent
     */
    public static List<String> checkContInvariants(final MemorySegment t, final long base, final MemMap memmap)
    {
        List<String> errors = null;
        for (int start = 0; start < PTRS_PER_TABLE; start += CONT_PTES)
        {
            int contCount = 0;
            for (int i = 0; i < CONT_PTES; i++)
            {
                final long p = loadRaw(t, base, start + i);
                if (Arm64Pte.pteValidCont(p))
                {
                    contCount++;
                }
            }
            if (contCount == 0)
            {
                continue;
            }
            final String why = checkContBlock(t, base, start, contCount, memmap);
            if (why != null)
            {
                if (errors == null)
                {
                    errors = new ArrayList<>();
                }
                errors.add("contpte block at slots " + start + ".." + (start + CONT_PTES - 1) + ": " + why);
            }
        }
        return errors == null ? List.of() : errors;
    }

    private static String checkContBlock(final MemorySegment t, final long base, final int start, final int contCount, final MemMap memmap)
    {
        if (contCount != CONT_PTES)
        {
            final StringBuilder sb = new StringBuilder("half-CONT block, valid+CONT on ").append(contCount).append(" of 16 entries; the others:");
            for (int i = 0; i < CONT_PTES; i++)
            {
                final long p = loadRaw(t, base, start + i);
                if (!Arm64Pte.pteValidCont(p))
                {
                    sb.append(' ').append(start + i).append("=0x").append(Long.toHexString(p));
                }
            }
            return sb.toString();
        }
        final long first = loadRaw(t, base, start);
        final long pfn0 = Arm64Pte.ptePfn(first);
        if ((pfn0 & CONT_MASK) != 0)
        {
            return "first PFN " + pfn0 + " is not a multiple of 16";
        }
        final long norm0 = Arm64Pte.pteMkold(Arm64Pte.pteMkclean(first));
        for (int i = 1; i < CONT_PTES; i++)
        {
            final long p = loadRaw(t, base, start + i);
            if (Arm64Pte.ptePfn(p) != pfn0 + i)
            {
                return "slot " + (start + i) + " maps PFN " + Arm64Pte.ptePfn(p) + ", expected " + (pfn0 + i);
            }
            final long norm = Arm64Pte.pteMkold(Arm64Pte.pteMkclean(p));
            if (norm != norm0 + ((long)i << PAGE_SHIFT))
            {
                return "slot " + (start + i) + " bits 0x" + Long.toHexString(Arm64Pte.ptePgprot(norm))
                    + " differ from slot " + start + " bits 0x" + Long.toHexString(Arm64Pte.ptePgprot(norm0))
                    + " beyond AF/dirty";
            }
        }
        if (memmap != null && !Arm64Pte.pteSpecial(first))
        {
            if (pfn0 + CONT_PTES > memmap.nrPages())
            {
                return "PFNs " + pfn0 + ".." + (pfn0 + CONT_PTES - 1) + " run past the memmap (" + memmap.nrPages() + " pages)";
            }
            final long head = memmap.folioHead(pfn0);
            for (int i = 1; i < CONT_PTES; i++)
            {
                if (memmap.folioHead(pfn0 + i) != head)
                {
                    return "PFN " + (pfn0 + i) + " is in folio " + memmap.folioHead(pfn0 + i) + ", PFN " + pfn0 + " in folio " + head;
                }
            }
            if (memmap.folioNrPages(pfn0) < CONT_PTES)
            {
                return "folio " + head + " has " + memmap.folioNrPages(pfn0) + " pages, fewer than a block";
            }
        }
        return null;
    }

    // ================================================================ PTE bit helpers (io.forksim.pte.Arm64Pte)

    @Override public boolean pteNone(final long pte) { return Arm64Pte.pteNone(pte); }
    @Override public boolean ptePresent(final long pte) { return Arm64Pte.ptePresent(pte); }
    @Override public boolean pteWrite(final long pte) { return Arm64Pte.pteWrite(pte); }
    @Override public boolean pteDirty(final long pte) { return Arm64Pte.pteDirty(pte); }
    @Override public boolean pteYoung(final long pte) { return Arm64Pte.pteYoung(pte); }
    @Override public boolean pteSpecial(final long pte) { return Arm64Pte.pteSpecial(pte); }
    @Override public boolean pteUffdWp(final long pte) { return Arm64Pte.pteUffdWp(pte); }
    @Override public boolean pteSoftDirty(final long pte) { return Arm64Pte.pteSoftDirty(pte); }
    @Override public long pteWrprotect(final long pte) { return Arm64Pte.pteWrprotect(pte); }
    @Override public long pteMkwrite(final long pte) { return Arm64Pte.pteMkwrite(pte); }
    @Override public long pteMkold(final long pte) { return Arm64Pte.pteMkold(pte); }
    @Override public long pteMkyoung(final long pte) { return Arm64Pte.pteMkyoung(pte); }
    @Override public long pteMkdirty(final long pte) { return Arm64Pte.pteMkdirty(pte); }
    @Override public long pteMkclean(final long pte) { return Arm64Pte.pteMkclean(pte); }
    @Override public long pteMkspecial(final long pte) { return Arm64Pte.pteMkspecial(pte); }
    @Override public long pteMkuffdWp(final long pte) { return Arm64Pte.pteMkuffdWp(pte); }
    @Override public long pteClearUffdWp(final long pte) { return Arm64Pte.pteClearUffdWp(pte); }
    @Override public long pteClearSoftDirty(final long pte) { return Arm64Pte.pteClearSoftDirty(pte); }
    @Override public long ptePfn(final long pte) { return Arm64Pte.ptePfn(pte); }
    @Override public long pfnPte(final long pfn, final long prot) { return Arm64Pte.pfnPte(pfn, prot); }
    @Override public long pteAdvancePfn(final long pte, final long nr) { return Arm64Pte.pteAdvancePfn(pte, nr); }
    @Override public long ptePgprot(final long pte) { return Arm64Pte.ptePgprot(pte); }
    @Override public boolean pteCont(final long pte) { return Arm64Pte.pteCont(pte); }
    @Override public long pteMknoncont(final long pte) { return Arm64Pte.pteMknoncont(pte); }

    @Override
    public long vmGetPageProt(final boolean read, final boolean write, final boolean exec, final boolean shared)
    {
        return Arm64Pte.vmGetPageProt(read, write, exec, shared);
    }

    @Override public long swpEntryToPte(final int type, final long offset) { return Arm64Pte.swpEntryToPte(type, offset); }
    @Override public boolean isSwapPte(final long pte) { return Arm64Pte.isSwapPte(pte); }
    @Override public int pteSwpType(final long pte) { return Arm64Pte.pteSwpType(pte); }
    @Override public long pteSwpOffset(final long pte) { return Arm64Pte.pteSwpOffset(pte); }
    @Override public boolean pteSwpExclusive(final long pte) { return Arm64Pte.pteSwpExclusive(pte); }
    @Override public long pteSwpMkexclusive(final long pte) { return Arm64Pte.pteSwpMkexclusive(pte); }
    @Override public long pteSwpClearExclusive(final long pte) { return Arm64Pte.pteSwpClearExclusive(pte); }
    @Override public boolean pteSwpUffdWp(final long pte) { return Arm64Pte.pteSwpUffdWp(pte); }
    @Override public long pteSwpClearUffdWp(final long pte) { return Arm64Pte.pteSwpClearUffdWp(pte); }

    @Override public long mkTableEntry(final long tablePfn) { return Arm64Pte.mkTableEntry(tablePfn); }
    @Override public long tableEntryPfn(final long entry) { return Arm64Pte.tableEntryPfn(entry); }
    @Override public boolean tableEntryPresent(final long entry) { return Arm64Pte.tableEntryPresent(entry); }
}
