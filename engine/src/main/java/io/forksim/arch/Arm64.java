package io.forksim.arch;

import io.forksim.mem.MemMap;
import io.forksim.pte.Arm64Pte;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * arm64, 4 KiB granule: the inline {@code ptep_*} / {@code set_ptes} / {@code wrprotect_ptes} wrappers at the end of
 * {@code arch/arm64/include/asm/pgtable.h} and their single-entry ({@code nr == 1}) paths, with the transparent
 * contiguous-PTE layer of mainline 6.18 behind them ({@link Contpte}, contpte.c), the arm64 side of the
 * never-merged v4 fork helpers ({@code pte_batch_remaining}, {@code ptep_set_wrprotects}, {@code set_ptes_full};
 * Ryan Roberts, v4 15/16), and the TLB maintenance of {@code asm/tlbflush.h} ({@link Arm64Tlb}).
 *
 * <p><b>Model.</b> {@code PTE_CONT} is private to the arch: the core never sets it, every setter clears it
 * from the value it is given, and only {@link Contpte#contpteSetPtes} (a {@code set_ptes} of nr &gt; 1) and
 * {@link Contpte#contpteConvert} (a fold) write it. A block is the 16 entries {@code idx & ~15 .. (idx & ~15) + 15}
 * of one table (64 KiB of VA, VA alignment == index alignment). A folded block maps 16 consecutive PFNs
 * starting at a multiple of 16, inside one folio, with identical bits apart from AF and dirty; the
 * hardware may set AF/dirty in any one of them, so the block's young/dirty state is the OR over its
 * entries ({@link Contpte#contptePtepGet}). {@code io.forksim.check.ContpteInvariants} checks exactly that.
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
 * PTE-only filter.
 *
 * <p><b>contpte-basic</b> is the subclass {@link Arm64ContpteBasic}: the same wrappers with its own nr &gt; 1
 * paths. This class is the batched contpte backend.
 *
 * <p><b>Folio bounds.</b> The fold check needs the folio of a PFN: {@link #setMemMap} must be called (by
 * {@code Machine}) before any {@code set_ptes(nr == 1)} can reach it; otherwise that check throws.
 */
public sealed class Arm64 extends Arch permits Arm64ContpteBasic
{
    /** {@code CONT_PTES}: entries in one contpte block (4 KiB granule). */
    public static final int CONT_PTES = Arm64Pte.CONT_PTES;
    private static final int CONT_MASK = CONT_PTES - 1;
    private static final long VALID_CONT = Arm64Pte.VALID | Arm64Pte.CONT;
    private static final long CONT = Arm64Pte.CONT;

    /** FEAT_TLBIRANGE: a 64 KiB block is invalidated by one TLBI RVALE1IS instead of 16 TLBI VALE1IS. */
    private final boolean tlbiRange;
    /** Folio metadata for the fold check ({@code page_folio(pte_page(pte))}); set by Machine. */
    private MemMap memmap;

    /** The batched contpte backend; {@code tlbiRange}: FEAT_TLBIRANGE. */
    public Arm64(final boolean tlbiRange)
    {
        this.tlbiRange = tlbiRange;
    }

    public final boolean tlbiRange() { return tlbiRange; }

    /**
     * Gives the fold check access to folio metadata. Machine calls it once, right after building its
     * {@link MemMap}; tests call it before any {@code set_ptes(nr == 1)} that may reach a fold check.
     */
    public final void setMemMap(final MemMap memmap)
    {
        this.memmap = memmap;
    }

    /** The {@link MemMap} the fold check uses, or {@code null} if none was set. */
    public final MemMap memMap()
    {
        return memmap;
    }

    @Override public String name() { return "arm64"; }

    // ================================================================ public table accessors (pgtable.h wrappers)

    /**
     * {@code ptep_get}: one raw load; a valid CONT entry is returned with AF and dirty gathered over its
     * block ({@link Contpte#contptePtepGet}). The PFN and the CONT bit of the target are kept.
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
        return Contpte.contptePtepGet(ev, t, base, idx, pte);
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
     *       {@link Contpte#contpteTryFold}. Cost: pteLoad 1, pteStore 1 (+ an unfold, + a fold check).</li>
     *   <li>nr &gt; 1: {@link Contpte#contpteSetPtes}.</li>
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
        Contpte.contpteSetPtes(ev, t, base, idx, Arm64Pte.pteMknoncont(pte), nr);
    }

    /**
     * {@code set_ptes_full(..., full = 1)} (v4 seed patch, fork's child side): nr == 1 stores the entry with
     * neither the unfold probe nor the fold check (a fork copies state that is already folded or not);
     * nr &gt; 1 is {@link Contpte#contpteSetPtes}.
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
        Contpte.contpteSetPtes(ev, t, base, idx, Arm64Pte.pteMknoncont(pte), nr);
    }

    /** {@code set_ptes_full(nr = 1)}: the store alone, no probe and no fold check (the caller counts the store). */
    @Override
    public void setPteFullNoAcct(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        storeRaw(t, base, idx, pte & ~CONT);
    }

    /** No: {@code set_ptes_full(nr = 1)} skips {@code set_ptes}' unfold probe and fold check. */
    @Override
    public boolean setPteFullIsSetPte()
    {
        return false;
    }

    /**
     * {@code wrprotect_ptes}: write-protect {@code nr} present entries (hardware dirty moves to sw DIRTY);
     * no TLB maintenance of its own (fork's {@code flush_tlb_mm} covers it).
     * <ul>
     *   <li>nr == 1 (also {@code ptep_set_wrprotect}): read the entry once; if it carries CONT, unfold its block
     *       ({@code __contpte_try_unfold}); then one cmpxchg. Cost: pteAtomic 1 (+ convert, + 1 failed cmpxchg
     *       when the convert changed the entry's AF/dirty bits).</li>
     *   <li>nr &gt; 1: {@link Contpte#contpteWrprotectPtes}: whole blocks keep CONT.</li>
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
        Contpte.contpteWrprotectPtes(this, ev, t, base, idx, nr);
    }

    /**
     * {@code __copy_present_ptes}' {@code wrprotect_ptes} + {@code set_ptes}. A batch of whole contpte blocks whose
     * child PFNs start block-aligned ({@link Contpte#wholeBlocks}: an order-4 folio, a whole order-9 one) runs as one
     * pass ({@link Contpte#copyWholeBlocks}): there {@code contpte_try_unfold_partial} probes nothing and
     * {@code contpte_set_ptes} gives every block CONT, so the two calls would do exactly that pass's work. Any other
     * batch: the two calls. Costs and precondition: as the two calls ({@link Arch#wrprotectAndSetPtes}).
     */
    @Override
    public void wrprotectAndSetPtes(final Events ev, final MemorySegment st, final long sb, final MemorySegment dt,
        final long db, final int idx, final int nr, final boolean wp, final long child)
    {
        if (Contpte.wholeBlocks(idx, nr, Arm64Pte.ptePfn(child)))
        {
            Contpte.copyWholeBlocks(ev, st, sb, dt, db, idx, nr, wp, child);
            return;
        }
        wrprotectThenSetPtes(ev, st, sb, dt, db, idx, nr, wp, child);
    }

    /**
     * {@code ptep_set_wrprotects(mm, addr, ptep, nr, full)} (v4 15/16, never merged).
     * <ul>
     *   <li>nr == 1: as {@code wrprotect_ptes(nr = 1)}; then, only if {@code !full}, re-read the entry
     *       (pteLoad 1) and {@link Contpte#contpteTryFold}.</li>
     *   <li>nr &gt; 1: {@link Contpte#contpteSetWrprotects}.</li>
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
        Contpte.contpteSetWrprotects(this, ev, t, base, idx, nr);
    }

    /**
     * {@code clear_full_ptes}: clear {@code nr} present entries of one folio (young/dirty not wanted).
     * <ul>
     *   <li>nr == 1: probe (pteLoad 1), unfold the block if valid+CONT, one xchg (pteAtomic 1).</li>
     *   <li>nr &gt; 1: {@link Contpte#contpteTryUnfoldPartial} (edge blocks only), then nr xchg; whole blocks are
     *       cleared without unfolding.</li>
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
        Contpte.contpteTryUnfoldPartial(this, ev, t, base, idx, nr);
        Staging.clearRaw(t, base, idx, nr);
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
        Contpte.contpteTryUnfoldPartial(this, ev, t, base, idx, nr);
        ev.pteAtomic += nr;
        return Staging.getAndClearRaw(this, t, base, idx, nr);
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
        return Contpte.contptePtepTestAndClearYoung(ev, t, base, idx);
    }

    /**
     * {@code ptep_set_access_flags}: make one present entry at least as permissive as {@code entry}
     * (same PFN; CONT in {@code entry} is ignored): AF, DIRTY and WRITE are ORed in, RDONLY is cleared if
     * {@code entry} has it clear ({@code __ptep_set_access_flags}, arch/arm64/mm/fault.c). Returns whether the
     * entry (or block) changed.
     * <ul>
     *   <li>not valid+CONT: probe (pteLoad 1) + {@code __ptep_set_access_flags}: pteLoad 1, and if different
     *       pteAtomic 1 and, if {@code dirty}, a page TLBI (tlbiPage 1, dsb 2).</li>
     *   <li>valid+CONT: {@link Contpte#contptePtepSetAccessFlags}.</li>
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
        return Contpte.contptePtepSetAccessFlags(this, ev, t, base, idx, e, dirty);
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
     * then {@code set_ptes(nr = 1)} of {@code newPte} (probe, store, {@link Contpte#contpteTryFold}). So walking a CONT
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
            Contpte.__contpteTryUnfold(this, ev, t, base, idx, old);
        }
        storeRaw(t, base, idx, swp);
        ev.pteStore++;
    }

    // ================================================================ TLB maintenance (asm/tlbflush.h, Arm64Tlb)

    /** {@code flush_tlb_mm}: DSB ISHST; TLBI ASIDE1IS; DSB ISH. Cost: tlbiAsid 1, dsb 2. */
    @Override
    public final void flushTlbMm(final Events ev)
    {
        Arm64Tlb.flushTlbMm(ev);
    }

    /** {@code __flush_tlb_range} over {@code nrPages} pages: see {@link Arm64Tlb#flushTlbRange}. */
    @Override
    public final void flushTlbRange(final Events ev, final long nrPages)
    {
        Arm64Tlb.flushTlbRange(ev, nrPages, tlbiRange);
    }

    /** {@code flush_tlb_page}: DSB ISHST; TLBI VALE1IS; DSB ISH. Cost: tlbiPage 1, dsb 2. */
    @Override
    public final void flushTlbPage(final Events ev)
    {
        Arm64Tlb.flushTlbPage(ev);
    }

    // ================================================================ nr == 1 paths (the per-PTE hot paths)

    /** The nr == 1 branch of {@code set_ptes}: probe, unfold, store, fold check at once. */
    final void setPte(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        Contpte.contpteTryFold(this, ev, t, base, idx, probeAndStore(ev, t, base, idx, pte));
        ev.pteLoad++;
        ev.pteStore++;
    }

    /** One probe load per {@code set_ptes(nr = 1)}: the {@code __ptep_get} of {@code contpte_try_unfold}. */
    @Override
    public int setPteProbeLoads()
    {
        return 1;
    }

    /**
     * {@code set_ptes(nr = 1)}: probe (pteLoad 1, counted by the caller: {@link #setPteProbeLoads}), unfold a valid
     * CONT block, store (the caller counts it), then {@code contpte_try_fold}'s inline filter; an entry that passes it
     * with a folio of at least a block returns its block's bit, and {@link #foldDeferred} runs the rest of the check
     * ({@link Contpte#contpteFoldPending}).
     */
    @Override
    public int setPteNoAcct(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        return Contpte.contpteFoldPending(this, idx, probeAndStore(ev, t, base, idx, pte));
    }

    /** {@code __contpte_try_fold} for each block of {@code blocks}, on the entry at its last slot. */
    @Override
    public void foldDeferred(final Events ev, final MemorySegment t, final long base, final int blocks)
    {
        Contpte.contpteTryFoldBlocks(this, ev, t, base, blocks);
    }

    /**
     * The first half of {@code set_ptes(nr = 1)}: probe the old entry ({@code contpte_try_unfold}), unfold its block if
     * it is valid+CONT, store {@code pte} without CONT ({@code __set_ptes}); returns the stored value. Counts only the
     * unfold.
     */
    private long probeAndStore(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        final long old = loadRaw(t, base, idx);
        if ((old & VALID_CONT) == VALID_CONT)
        {
            Contpte.__contpteTryUnfold(this, ev, t, base, idx, old);
        }
        final long p = pte & ~CONT;
        storeRaw(t, base, idx, p);
        return p;
    }

    /** The nr == 1 branch of {@code wrprotect_ptes} (= {@code ptep_set_wrprotect}). */
    final void wrprotectPte(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        wrprotectPteRaw(ev, t, base, idx);
        ev.pteAtomic++;
    }

    /**
     * {@code wrprotect_ptes(nr = 1)}: unfold a CONT block first, then the cmpxchg (the caller counts its atomic). The
     * entry is read again: {@code pte}, a {@code ptep_get} result, may carry AF/dirty gathered over a CONT block.
     */
    @Override
    public void wrprotectPteNoAcct(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        wrprotectPteRaw(ev, t, base, idx);
    }

    /** {@link #wrprotectPteNoAcct} from the entry as it is in the table. */
    private void wrprotectPteRaw(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        long pte = loadRaw(t, base, idx);
        if ((pte & CONT) != 0)
        {
            pte = unfoldBeforeCmpxchg(ev, t, base, idx, pte);
        }
        storeRaw(t, base, idx, Arm64Pte.pteWrprotect(pte));
    }

    /** The nr == 1 branch of v4 {@code ptep_set_wrprotects}. */
    final void ptepSetWrprotect(final Events ev, final MemorySegment t, final long base, final int idx, final boolean full)
    {
        wrprotectPte(ev, t, base, idx);
        if (!full)
        {
            ev.pteLoad++;
            Contpte.contpteTryFold(this, ev, t, base, idx, loadRaw(t, base, idx));
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
        Contpte.__contpteTryUnfold(this, ev, t, base, idx, orig);
        final long cur = loadRaw(t, base, idx);
        if (cur != Arm64Pte.pteMknoncont(orig))
        {
            ev.pteAtomic++;
        }
        return cur;
    }

    /** The nr == 1 clears: probe, unfold if valid+CONT, xchg. */
    final long ptepGetAndClearOne(final Events ev, final MemorySegment t, final long base, final int idx)
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
            Contpte.__contpteTryUnfold(this, ev, t, base, idx, probe);
        }
        final long old = loadRaw(t, base, idx);
        storeRaw(t, base, idx, 0L);
        return old;
    }

    /** {@code __ptep_test_and_clear_young}: a cmpxchg loop that always writes the mkold value. */
    static boolean testAndClearYoungOne(final Events ev, final MemorySegment t, final long base, final int idx)
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
    static boolean ptepSetAccessFlagsOne(final Events ev, final MemorySegment t, final long base, final int idx, final long entry, final boolean dirty)
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

    static long mergeYoungDirty(final long into, final long p)
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
    @Override public long pteMksoftDirty(final long pte) { return Arm64Pte.pteMksoftDirty(pte); }
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
    @Override public long pteSwpMksoftDirty(final long pte) { return Arm64Pte.pteSwpMksoftDirty(pte); }
    @Override public boolean pteSwpSoftDirty(final long pte) { return Arm64Pte.pteSwpSoftDirty(pte); }

    @Override public long mkTableEntry(final long tablePfn) { return Arm64Pte.mkTableEntry(tablePfn); }
    @Override public long tableEntryPfn(final long entry) { return Arm64Pte.tableEntryPfn(entry); }
    @Override public boolean tableEntryPresent(final long entry) { return Arm64Pte.tableEntryPresent(entry); }
}
