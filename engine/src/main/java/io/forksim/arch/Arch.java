package io.forksim.arch;

import io.forksim.mem.RawMemory;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * The per-architecture operations the core mm calls, with the kernel's generic fallbacks as the
 * default implementations (include/linux/pgtable.h): batch helpers are single-entry loops,
 * {@code pte_batch_hint} and {@code pte_batch_remaining} are the constant 1.
 *
 * <p>The implementations: {@link X86_64} (keeps every generic fallback), {@link Arm64} (overrides the table
 * accessors with the contpte layer, {@link Contpte}) and its variant {@link Arm64ContpteBasic}; {@link ArchVariant}
 * names them and builds one. The bulk paths under the accessors are in {@link Staging}. A simulated machine has exactly one arch,
 * so in a JVM that runs one arch every call site below is monomorphic and C2 inlines the fallbacks
 * down to the constants they return; the JMH suite measures that against a hand-specialised loop.
 *
 * <p><b>Page-table addressing.</b> Table-entry accessors take {@code (t, base, idx)}: the segment
 * holding the PTE table, the byte offset of the table in it, and the entry index 0..511. Because a PTE
 * table maps a 2 MiB-aligned range, {@code idx & 15} is the position inside a 64 KiB contpte block.
 *
 * <p><b>Accounting contract.</b> Whoever performs an access counts it: these methods add their own
 * PTE loads, stores, atomics, gathers, folds, unfolds, TLBIs and DSBs to {@code ev}; the caller counts
 * batches, refcount and rmap updates. One exception keeps the batch scan free of memory-carried
 * counter chains: for {@code ptepGet} the <em>caller</em> counts the call and its first load (it does so in
 * locals); the arch adds only what a gather reads beyond that first entry, and the {@code gather} itself.
 */
public abstract sealed class Arch permits X86_64, Arm64
{
    /** Entries are 8-byte aligned; the unaligned layout only spares the per-access alignment check. */
    protected static final ValueLayout.OfLong PTE = ValueLayout.JAVA_LONG_UNALIGNED;
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    public static final int PTRS_PER_TABLE = 512;

    /**
     * Raw load of entry {@code idx}; counts nothing (callers count). Through {@link RawMemory} at the table's
     * absolute address, with the bounds check against {@code t} kept (one compare) and no liveness check:
     * precondition: {@code t} is a live native segment (a {@code TableStore} chunk or a test's table) smaller than
     * 2 GiB (a chunk is 16 MiB). The address is {@code RawMemory.bounded(t.address())} plus an offset checked
     * against {@code (int) t.byteSize()}, so that C2 knows both small and drops {@code RawMemory}'s own check
     * ({@link RawMemory#bounded}); on a segment of 2 GiB or more that int is below the size (or negative), so an
     * entry may be refused there, never admitted outside {@code t}.
     */
    protected static long loadRaw(final MemorySegment t, final long base, final int idx)
    {
        return RawMemory.getLong(RawMemory.bounded(t.address()) + entryOffset(t, base, idx));
    }

    /** Raw store of entry {@code idx}; counts nothing (callers count). Precondition: as {@link #loadRaw}. */
    protected static void storeRaw(final MemorySegment t, final long base, final int idx, final long pte)
    {
        RawMemory.setLong(RawMemory.bounded(t.address()) + entryOffset(t, base, idx), pte);
    }

    /**
     * The absolute address of entry {@code idx} of the table at {@code base} in {@code t}, with the {@code nr} entries
     * from there checked once to lie inside {@code t}: a loop over them may then use {@link RawMemory} at
     * {@code address + 8 * i}. Precondition: {@code nr >= 0}; {@code t} is a live native segment.
     */
    static long rangeAddress(final MemorySegment t, final long base, final int idx, final int nr)
    {
        return t.address() + Objects.checkFromIndexSize(base + ((long)idx << 3), (long)nr << 3, t.byteSize());
    }

    /**
     * The byte offset of entry {@code idx} in {@code t}, checked to lie inside it (against the size as an int:
     * precondition of {@link #loadRaw}).
     */
    private static long entryOffset(final MemorySegment t, final long base, final int idx)
    {
        return Objects.checkIndex(base + ((long)idx << 3), (long)(int)t.byteSize() - 7);
    }

    /** Reads an entry without arch semantics and without counting: for checkers, snapshots, tests. */
    public static long peek(final MemorySegment t, final long base, final int idx)
    {
        return loadRaw(t, base, idx);
    }

    /** Writes an entry without arch semantics and without counting: for restores and tests only. */
    public static void poke(final MemorySegment t, final long base, final int idx, final long pte)
    {
        storeRaw(t, base, idx, pte);
    }

    public abstract String name();

    // ---------------------------------------------------------------- PTE bit helpers (kernel names)

    public abstract boolean pteNone(long pte);

    public abstract boolean ptePresent(long pte);

    public abstract boolean pteWrite(long pte);

    public abstract boolean pteDirty(long pte);

    public abstract boolean pteYoung(long pte);

    public abstract boolean pteSpecial(long pte);

    public abstract boolean pteUffdWp(long pte);

    public abstract boolean pteSoftDirty(long pte);

    public abstract long pteWrprotect(long pte);

    public abstract long pteMkwrite(long pte);

    public abstract long pteMkold(long pte);

    public abstract long pteMkyoung(long pte);

    public abstract long pteMkdirty(long pte);

    public abstract long pteMkclean(long pte);

    public abstract long pteMkspecial(long pte);

    public abstract long pteMkuffdWp(long pte);

    public abstract long pteClearUffdWp(long pte);

    public abstract long pteClearSoftDirty(long pte);

    /** {@code pte_mksoft_dirty}: identity without {@code CONFIG_MEM_SOFT_DIRTY} (arm64). */
    public abstract long pteMksoftDirty(long pte);

    public abstract long ptePfn(long pte);

    /**
     * {@code pte_pfn(pte)} if {@code pte} is present ({@code pte_present}; a {@code pte_none} entry never is), else
     * -1: the two tests the order-0 copy loop makes of every entry before it looks at the page, in the form that is
     * cheapest on the arch (x86_64: one test of P for the common entry). Generic: {@link #ptePresent}, then
     * {@link #ptePfn}.
     */
    public long presentPfn(final long pte)
    {
        return ptePresent(pte) ? ptePfn(pte) : -1;
    }

    public abstract long pfnPte(long pfn, long prot);

    public abstract long pteAdvancePfn(long pte, long nr);

    /** The PTE bits apart from the PFN ({@code pte_pgprot}). */
    public abstract long ptePgprot(long pte);

    /** {@code pte_cont}: always false without a contiguous bit. */
    public boolean pteCont(final long pte)
    {
        return false;
    }

    /** {@code pte_mknoncont}: identity without a contiguous bit. */
    public long pteMknoncont(final long pte)
    {
        return pte;
    }

    /** The page protection of a VMA ({@code vm_get_page_prot}): read/write/exec/shared from vm flags. */
    public abstract long vmGetPageProt(boolean read, boolean write, boolean exec, boolean shared);

    // ---------------------------------------------------------------- swap entries

    public abstract long swpEntryToPte(int type, long offset);

    /** Not none and not present: a swap (or other non-present) entry. */
    public abstract boolean isSwapPte(long pte);

    public abstract int pteSwpType(long pte);

    public abstract long pteSwpOffset(long pte);

    public abstract boolean pteSwpExclusive(long pte);

    public abstract long pteSwpMkexclusive(long pte);

    public abstract long pteSwpClearExclusive(long pte);

    public abstract boolean pteSwpUffdWp(long pte);

    public abstract long pteSwpClearUffdWp(long pte);

    /** {@code pte_swp_mksoft_dirty}: identity without {@code CONFIG_MEM_SOFT_DIRTY} (arm64). */
    public abstract long pteSwpMksoftDirty(long pte);

    /** {@code pte_swp_soft_dirty}: always false without {@code CONFIG_MEM_SOFT_DIRTY} (arm64). */
    public abstract boolean pteSwpSoftDirty(long pte);

    // ---------------------------------------------------------------- upper-level (PGD/PUD/PMD) entries

    public abstract long mkTableEntry(long tablePfn);

    public abstract long tableEntryPfn(long entry);

    public abstract boolean tableEntryPresent(long entry);

    // ---------------------------------------------------------------- table accessors (generic fallbacks)

    /**
     * {@code ptep_get}: one load; arm64 gathers young/dirty over a contpte block. Counts the call, its
     * load and any gather.
     */
    public final long ptepGet(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        ev.ptepGet++;
        ev.pteLoad++;
        return ptepGetNoAcct(ev, t, base, idx);
    }

    /**
     * {@code ptep_get} for hot loops that count the call and its first load in locals (see the accounting
     * contract); only what a gather reads beyond the first entry is added to {@code ev}.
     */
    public long ptepGetNoAcct(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        return loadRaw(t, base, idx);
    }

    /**
     * {@code pte_batch_hint} (6.9+): entries from {@code idx} that may join a batch without being read.
     * Generic: 1. arm64: the rest of the contpte block of a valid CONT entry.
     */
    public int pteBatchHint(final MemorySegment t, final long base, final int idx, final long pte)
    {
        return 1;
    }

    /** Whether {@link #pteBatchHint} can be more than 1 (arm64); generic: false, a constant C2 folds. */
    public boolean hasPteBatchHint()
    {
        return false;
    }

    /**
     * The number of leading entries of {@code idx..idx+limit-1} that equal {@code first + i * step} exactly
     * (the raw-equal run {@code folio_pte_batch} accepts without normalising); counts nothing, the caller counts
     * the entries it consumes. Read through the staging array in chunks of {@link Staging#STAGED_MIN_NR}
     * entries, so a run that ends early wastes at most one chunk.
     */
    public final int countRawRamp(final MemorySegment t, final long base, final int idx, final long first,
        final long step, final int limit)
    {
        return Staging.countRawRamp(t, base, idx, first, step, limit);
    }

    /**
     * {@code pte_batch_remaining} (the seed patch, never merged): the batch length, from the PTE bits and
     * address alone, capped at {@code endIdx}. Generic: the constant 1.
     */
    public int pteBatchRemaining(final long pte, final int idx, final int endIdx)
    {
        return 1;
    }

    /**
     * {@code set_ptes}: map {@code nr} consecutive PFNs starting with {@code pte} at {@code idx..idx+nr-1}.
     * Precondition: the entries are none; {@code nr} entries stay inside this table.
     */
    public void setPtes(final Events ev, final MemorySegment t, final long base, final int idx, final long pte, final int nr)
    {
        if (nr == 1)
        {
            storeRaw(t, base, idx, pte);
        }
        else
        {
            // range-check the last PFN once; the entries in between differ by a constant step, one page's
            pteAdvancePfn(pte, nr - 1);
            Staging.storeRawRamp(t, base, idx, pte, pteAdvancePfn(pte, 1) - pte, nr);
        }
        ev.pteStore += nr;
    }

    /**
     * {@code set_ptes(nr = 1)} (= {@code set_pte_at}) for hot loops that count the entry's store and its
     * {@link #setPteProbeLoads} in locals (see the accounting contract): counts only what goes beyond them (arm64: an
     * unfold). The arch's fold check after the store, if it has one and the entry passes its inline filter, is left to
     * the caller: the return value is the bit {@code 1 << (idx / 16)} of the entry's 16-entry block when
     * {@link #foldDeferred} must run for it once the caller is done with the table, else 0. Generic: one store, nothing
     * to count, 0 (a constant the loops fold away).
     * Precondition: as {@link #setPtes} with nr = 1; the table has at most 512 entries (one bit per block).
     */
    public int setPteNoAcct(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        storeRaw(t, base, idx, pte);
        return 0;
    }

    /**
     * The fold checks {@link #setPteNoAcct} left to its caller, for the blocks whose bits are set in {@code blocks}:
     * each runs as it would have right after that block's last store, on the entry now at the block's last slot.
     * Deferring it to the end of the table changes nothing: the check reads only its own block, which the loop does not
     * write again, and its folio's size. Counts what the checks count. Generic: nothing to do.
     * Precondition: every entry stored through {@link #setPteNoAcct} since is still as stored.
     */
    public void foldDeferred(final Events ev, final MemorySegment t, final long base, final int blocks)
    {
    }

    /**
     * The plain loads {@code set_ptes(nr = 1)} issues before its store on every call, which {@link #setPteNoAcct}
     * leaves to its caller: a constant per arch (generic 0; arm64 1, the unfold probe), so a loop multiplies its
     * count of calls once per table instead of adding to a shared counter per entry.
     */
    public int setPteProbeLoads()
    {
        return 0;
    }

    /**
     * {@code wrprotect_ptes(nr = 1)} (= {@code ptep_set_wrprotect}) for hot loops that count the entry's atomic in a
     * local: counts only what goes beyond it (arm64: an unfold, a failed cmpxchg). Generic: one read-modify-write
     * whose read is {@code pte}: x86's {@code ptep_set_wrprotect} reads the entry and cmpxchgs in
     * {@code pte_wrprotect} of it, and under the PTL that read returns what the caller's {@code ptep_get} (a plain
     * load here) just returned, so the value is not loaded twice.
     * Precondition: as {@link #wrprotectPtes} with nr = 1; {@code pte} is what {@link #ptepGetNoAcct} returned for
     * this entry, with no store to the entry since.
     */
    public void wrprotectPteNoAcct(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        storeRaw(t, base, idx, pteWrprotect(pte));
    }

    /**
     * {@code set_ptes_full(nr = 1)} (seed patch) for hot loops that count the entry's store in a local: counts
     * only what goes beyond it. Generic: {@link #setPteNoAcct}.
     * Precondition: as {@link #setPtesFull} with nr = 1.
     */
    public void setPteFullNoAcct(final Events ev, final MemorySegment t, final long base, final int idx, final long pte)
    {
        setPteNoAcct(ev, t, base, idx, pte);
    }

    /**
     * Whether {@link #setPteFullNoAcct} does exactly what {@link #setPteNoAcct} does, with the same events and a fold
     * result of 0 (generic: yes, the generic {@code set_ptes_full} is {@code set_ptes}); a copy loop may then run the
     * seed patch's single-entry copy as the plain one.
     */
    public boolean setPteFullIsSetPte()
    {
        return true;
    }

    /** {@code set_ptes_full} (seed patch): {@code set_ptes} that may skip fold checks during fork. */
    public void setPtesFull(final Events ev, final MemorySegment t, final long base, final int idx, final long pte, final int nr)
    {
        setPtes(ev, t, base, idx, pte, nr);
    }

    /** {@code wrprotect_ptes}: atomically write-protect {@code nr} present entries (no TLB flush). */
    public void wrprotectPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        Staging.wrprotectRaw(this, t, base, idx, nr);
        ev.pteAtomic += nr;
    }

    /**
     * The two table calls of a fork's {@code __copy_present_ptes} for one batch: if {@code wp},
     * {@code wrprotect_ptes} of the parent's {@code nr} entries in {@code st}, then {@code set_ptes} of the child's
     * {@code nr} entries in {@code dt} from {@code child}. forksim's one entry point for the pair, so that an arch may
     * run both in one pass where that leaves the same entries and counts the same events (arm64: whole contpte
     * blocks). Generic: the two calls ({@link #wrprotectThenSetPtes}).
     * Precondition: as {@link #wrprotectPtes} (if {@code wp}) and {@link #setPtes}; the child's slots are the parent's,
     * in a child table whose entries there are none.
     */
    public void wrprotectAndSetPtes(final Events ev, final MemorySegment st, final long sb, final MemorySegment dt,
        final long db, final int idx, final int nr, final boolean wp, final long child)
    {
        wrprotectThenSetPtes(ev, st, sb, dt, db, idx, nr, wp, child);
    }

    /** {@link #wrprotectAndSetPtes} as two calls: {@link #wrprotectPtes} if {@code wp}, then {@link #setPtes}. */
    protected final void wrprotectThenSetPtes(final Events ev, final MemorySegment st, final long sb,
        final MemorySegment dt, final long db, final int idx, final int nr, final boolean wp, final long child)
    {
        if (wp)
        {
            wrprotectPtes(ev, st, sb, idx, nr);
        }
        setPtes(ev, dt, db, idx, child, nr);
    }

    /** {@code ptep_set_wrprotects} (seed patch): generic loop of {@code ptep_set_wrprotect}. */
    public void ptepSetWrprotects(final Events ev, final MemorySegment t, final long base, final int idx, final int nr, final boolean full)
    {
        wrprotectPtes(ev, t, base, idx, nr);
    }

    /** {@code clear_full_ptes}: clear {@code nr} present entries of one folio (A/D not needed). */
    public void clearFullPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        Staging.clearRaw(t, base, idx, nr);
        ev.pteAtomic += nr;
    }

    /** {@code get_and_clear_full_ptes}: clear {@code nr} entries; returns the first with young/dirty ORed over all. */
    public long getAndClearFullPtes(final Events ev, final MemorySegment t, final long base, final int idx, final int nr)
    {
        ev.pteAtomic += nr;
        return Staging.getAndClearRaw(this, t, base, idx, nr);
    }

    /** {@code ptep_get_and_clear}: atomically clear one entry, returning the old value. */
    public long ptepGetAndClear(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long old = loadRaw(t, base, idx);
        storeRaw(t, base, idx, 0L);
        ev.pteAtomic++;
        return old;
    }

    /**
     * {@code ptep_get_and_clear} (= {@code clear_full_ptes} / {@code get_and_clear_full_ptes} with nr = 1) for hot
     * loops that count the entry's atomic in a local: returns the old entry; counts only what goes beyond the
     * atomic (arm64: the probe load, an unfold). Generic: one exchange, nothing to count.
     */
    public long ptepGetAndClearNoAcct(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long old = loadRaw(t, base, idx);
        storeRaw(t, base, idx, 0L);
        return old;
    }

    /** {@code ptep_clear_flush}: clear one entry and flush that page from the TLB. */
    public long ptepClearFlush(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long old = ptepGetAndClear(ev, t, base, idx);
        if (ptePresent(old))
        {
            flushTlbPage(ev);
        }
        return old;
    }

    /** {@code ptep_test_and_clear_young}. */
    public boolean ptepTestAndClearYoung(final Events ev, final MemorySegment t, final long base, final int idx)
    {
        final long p = loadRaw(t, base, idx);
        ev.pteAtomic++;
        if (!pteYoung(p))
        {
            return false;
        }
        storeRaw(t, base, idx, pteMkold(p));
        return true;
    }

    /**
     * The MMU's own access-flag update on a user access that needs no fault: young, and on a {@code write} (to a
     * writable entry) dirty, set in the entry it walked; no flush. Here as {@code ptep_set_access_flags} of the
     * entry {@code pte} as read by {@code ptep_get}, when that lacks the bits (x86's A/D assists). arm64 overrides
     * it with FEAT_HAFDBS, which updates that one descriptor, also inside a contpte block.
     * Precondition: {@code pte} is the present entry at {@code idx} ({@code ptep_get}); a write needs it writable.
     */
    public void hwAccessFlags(final Events ev, final MemorySegment t, final long base, final int idx, final long pte,
        final boolean write)
    {
        if (!pteYoung(pte) || write && !pteDirty(pte))
        {
            final long e = pteMkyoung(pte);
            ptepSetAccessFlags(ev, t, base, idx, write ? pteMkdirty(e) : e, false);
        }
    }

    /**
     * {@code ptep_set_access_flags}: relax permissions/young/dirty of one present entry to {@code entry}
     * (same PFN). Returns whether the entry changed. x86 flushes nothing when relaxing.
     */
    public boolean ptepSetAccessFlags(final Events ev, final MemorySegment t, final long base, final int idx, final long entry, final boolean dirty)
    {
        final long old = loadRaw(t, base, idx);
        ev.pteLoad++;
        if (old == entry)
        {
            return false;
        }
        storeRaw(t, base, idx, entry);
        ev.pteStore++;
        return true;
    }

    /**
     * {@code modify_prot_start_ptes} + {@code modify_prot_commit_ptes} as mprotect uses them, for one
     * entry: replace a present entry's protection bits with {@code newProt}, keeping PFN, young, dirty,
     * soft-dirty and uffd-wp.
     */
    public void changePteProt(final Events ev, final MemorySegment t, final long base, final int idx, final long newPte)
    {
        loadRaw(t, base, idx);
        storeRaw(t, base, idx, newPte);
        ev.pteAtomic++;
        ev.pteStore++;
    }

    /** Store a non-present (swap/marker) entry; never contpte. */
    public void setNonPresent(final Events ev, final MemorySegment t, final long base, final int idx, final long swp)
    {
        storeRaw(t, base, idx, swp);
        ev.pteStore++;
    }

    // ---------------------------------------------------------------- TLB maintenance

    /** {@code flush_tlb_mm}: the whole address space (x86: full flush/IPI; arm64: TLBI ASIDE1IS + DSBs). */
    public void flushTlbMm(final Events ev)
    {
        ev.tlbiAsid++;
    }

    /** {@code flush_tlb_range} over {@code nrPages} pages (munmap/mprotect/zap gathers). */
    public void flushTlbRange(final Events ev, final long nrPages)
    {
        if (nrPages > 0)
        {
            ev.tlbiRange++;
        }
    }

    /** {@code flush_tlb_page}: one user page. */
    public void flushTlbPage(final Events ev)
    {
        ev.tlbiPage++;
    }
}
