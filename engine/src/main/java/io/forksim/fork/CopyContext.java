package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SwapSpace;
import io.forksim.mm.VmFlags;
import io.forksim.mm.Vma;
import io.forksim.stats.Events;

import java.lang.foreign.MemorySegment;

/**
 * What {@code copy_pte_range} needs about one (src VMA, dst VMA) pair, resolved once per VMA so that the
 * per-PTE loops read only fields set before the loop and locals, plus the pieces shared by every strategy: the
 * single-PTE path, non-present entries and the eager copy of maybe-pinned pages.
 *
 * <p>Version notes. Counters follow forksim's memmap model for every strategy (refcount +1 per mapping;
 * order-0 mapcount; large folios: {@code large_mapcount} with MM-ID slots, CONFIG_NO_PAGE_MAPCOUNT as in
 * 6.15+), so the three strategies leave identical metadata even where 6.8 updated per-page
 * {@code _mapcount} instead.
 */
final class CopyContext
{
    static final int OK = 0;
    static final int ENOMEM = -12;

    Arch arch;
    MemMap memmap;
    PhysMem phys;
    SwapSpace swap;
    Events ev;
    Mm dstMm;
    int dstMmId;
    Vma srcVma;
    Vma dstVma;
    /** {@code is_cow_mapping(src_vma->vm_flags)}. */
    boolean isCow;
    /** {@code src_vma->vm_flags & VM_SHARED}. */
    boolean isShared;
    /** {@code userfaultfd_wp(dst_vma)}: keep uffd-wp bits in the child. */
    boolean dstUffdWp;
    /** {@code MMF_HAS_PINNED} on the source mm: only then can a folio be "maybe pinned" for fork. */
    boolean srcHasPinned;
    long dstPageProt;
    boolean dstVmWrite;
    /** Child RSS accumulated over the VMA ({@code add_mm_rss_vec} once per table in the kernel). */
    final long[] rss = new long[4];
    /** The raw-ramp pass of a large folio's batch, with the batch's constants ({@link FusedPteBatch}, {@link LargeAnonRun}). */
    final RampCopy ramp = new RampCopy();
    /**
     * The blocks of the current child table whose arm64 fold check {@link #copySinglePte} left for the end of the
     * table ({@code Arch.setPteNoAcct}); {@link #foldDeferred} runs them. 0 on x86_64.
     */
    int foldBlocks;
    long batches;
    long refcountUpdates;
    long rmapUpdates;
    long eagerCopies;

    /**
     * Resolves what the copy of {@code srcVma} into {@code dstVma} needs; a context is set up once per VMA and reused
     * for the next one (fork allocates none per VMA). Precondition: the previous VMA's copy was {@link #flush()}ed.
     */
    CopyContext init(final Machine machine, final Mm srcMm, final Vma srcVma, final Mm dstMm, final Vma dstVma)
    {
        this.arch = machine.arch();
        this.memmap = machine.memmap();
        this.phys = machine.phys();
        this.swap = machine.swap();
        this.ev = machine.events();
        this.dstMm = dstMm;
        this.dstMmId = dstMm.id();
        this.srcVma = srcVma;
        this.dstVma = dstVma;
        this.isCow = VmFlags.isCowMapping(srcVma.flags());
        this.isShared = (srcVma.flags() & VmFlags.VM_SHARED) != 0;
        this.dstUffdWp = (dstVma.flags() & VmFlags.VM_UFFD_WP) != 0;
        this.srcHasPinned = srcMm.hasPinned();
        this.dstPageProt = dstVma.pageProt();
        this.dstVmWrite = (dstVma.flags() & VmFlags.VM_WRITE) != 0;
        this.foldBlocks = 0;
        return this;
    }

    /** Drops the references {@link #init} took, so that a context kept for reuse holds no machine or mm. */
    void release()
    {
        arch = null;
        memmap = null;
        phys = null;
        swap = null;
        ev = null;
        dstMm = null;
        srcVma = null;
        dstVma = null;
    }

    /** Publishes the per-VMA accumulators (child RSS, loop-level events). */
    void flush()
    {
        Fork.HOOKS.addRss(dstMm, rss);
        java.util.Arrays.fill(rss, 0);
        ev.batches += batches;
        ev.refcountUpdate += refcountUpdates;
        ev.rmapUpdate += rmapUpdates;
        ev.eagerCopies += eagerCopies;
        batches = refcountUpdates = rmapUpdates = eagerCopies = 0;
    }

    /** RSS counter of a mapped, non-anon folio: shmem (swap-backed file) or file. */
    static int fileRssCounter(final int flags)
    {
        return (flags & PageDescriptor.PG_SWAPBACKED) != 0 ? Mm.MM_SHMEMPAGES : Mm.MM_FILEPAGES;
    }

    /**
     * {@code __copy_present_ptes}: write-protect the parent's {@code nr} entries for a COW mapping if the
     * (merged) PTE is writable, then set the child's entries: read-only for COW, clean for shared, always
     * old, uffd-wp dropped unless the child VMA is armed. The two table calls go through
     * {@code Arch.wrprotectAndSetPtes}, which an arch may run as one pass with the same result. Counts what the arch
     * calls count.
     * Precondition: the {@code nr} entries from {@code idx} are present and map consecutive pages of one folio.
     */
    void __copyPresentPtes(final MemorySegment st, final long sb, final MemorySegment dt, final long db, final int idx,
        final long pte, final int nr)
    {
        final boolean wp = isCow && arch.pteWrite(pte);
        arch.wrprotectAndSetPtes(ev, st, sb, dt, db, idx, nr, wp, finishChildPte(wp ? arch.pteWrprotect(pte) : pte));
    }

    /**
     * The seed patch's {@code __copy_present_ptes}: {@code ptep_set_wrprotects(full=1)} and {@code set_ptes_full}.
     * Precondition: as {@link #__copyPresentPtes}.
     */
    void __copyPresentPtesFull(final MemorySegment st, final long sb, final MemorySegment dt, final long db, final int idx,
        final long pte, final int nr)
    {
        long p = pte;
        if (isCow && arch.pteWrite(p))
        {
            arch.ptepSetWrprotects(ev, st, sb, idx, nr, true);
            p = arch.pteWrprotect(p);
        }
        p = finishChildPte(p);
        arch.setPtesFull(ev, dt, db, idx, p, nr);
    }

    /**
     * {@code __copy_present_ptes} of one entry as the hot loops count it (Linux 6.9+; 6.8's {@code copy_present_pte}
     * bits): write-protect the parent's entry ({@code wrprotect_ptes(nr = 1)}) if the mapping is COW and the entry
     * writable, then {@code set_ptes(nr = 1)} the child's. The caller counts the child's store and its
     * {@code arch.setPteProbeLoads()}, and calls {@link #foldDeferred} when it is done with the table (the fold check
     * of {@code set_ptes} runs there, out of the loop); returns the atomics to count (1 if the parent's entry was
     * write-protected, else 0).
     * Precondition: {@code pte} is the present entry at {@code idx}; {@code arch}, {@code ev} and {@code isCow} are
     * {@code c}'s.
     */
    static int copySinglePte(final CopyContext c, final Arch arch, final Events ev, final boolean isCow,
        final MemorySegment st, final long sb, final MemorySegment dt, final long db, final int idx, final long pte)
    {
        long child = pte;
        int atomics = 0;
        if (isCow && arch.pteWrite(pte))
        {
            arch.wrprotectPteNoAcct(ev, st, sb, idx, pte);
            atomics = 1;
            child = arch.pteWrprotect(pte);
        }
        final int fold = arch.setPteNoAcct(ev, dt, db, idx, c.finishChildPte(child));
        if (fold != 0)
        {
            // rare (one arm64 PTE in 16 at most; never on x86_64, where fold is the constant 0): no field store per PTE
            c.foldBlocks |= fold;
        }
        return atomics;
    }

    /**
     * Runs the fold checks {@link #copySinglePte} left for the end of the child table {@code dt}/{@code db} (arm64's
     * {@code contpte_try_fold} past its inline filter; see {@code Arch.foldDeferred}) and clears them. The copy loops
     * call it once per table, after their loop: a call inside the loop body, even on a rare path, makes C2 reload
     * every heap value the loop keeps and store the loop counter on the stack.
     */
    void foldDeferred(final MemorySegment dt, final long db)
    {
        if (foldBlocks != 0)
        {
            arch.foldDeferred(ev, dt, db, foldBlocks);
            foldBlocks = 0;
        }
    }

    /**
     * {@link #copySinglePte} in the seed patch's form: {@code ptep_set_wrprotects(nr = 1, full)} and
     * {@code set_ptes_full(nr = 1)}. Same counting and precondition.
     */
    static int copySinglePteFull(final CopyContext c, final Arch arch, final Events ev, final boolean isCow,
        final MemorySegment st, final long sb, final MemorySegment dt, final long db, final int idx, final long pte)
    {
        long child = pte;
        int atomics = 0;
        if (isCow && arch.pteWrite(pte))
        {
            arch.wrprotectPteNoAcct(ev, st, sb, idx, pte);
            atomics = 1;
            child = arch.pteWrprotect(pte);
        }
        arch.setPteFullNoAcct(ev, dt, db, idx, c.finishChildPte(child));
        return atomics;
    }

    /**
     * {@code folio_get} + {@code folio_try_dup_anon_rmap_pte} of an order-0 anon folio that cannot be pinned: refcount
     * + 1, PageAnonExclusive cleared, mapcount + 1. Counts nothing (the caller counts one refcount and one rmap update).
     *
     * <p>The kernel's order is refcount, PageAnonExclusive, mapcount. A concurrent machine ({@link MemMap#atomic()})
     * keeps it: another thread's GUP or COW fault may look at the page between the steps. A single-threaded machine
     * adds to refcount and mapcount in one 8-byte update ({@link MemMap#refAndMapcountAdd}) and clears the byte after:
     * the same three values at the end, and nothing runs in between that could see the order.
     * Precondition: {@code pfn} is an order-0 anon folio mapped by the parent (refcount &gt;= 1); its mm has no pins or
     * the folio is not maybe-pinned.
     */
    static void dupAnonPte0(final MemMap memmap, final long pfn)
    {
        if (memmap.atomic())
        {
            memmap.refAdd(pfn, 1);
            memmap.clearAnonExclusive(pfn);
            memmap.mapcountAdd(pfn, 1);
            return;
        }
        memmap.refAndMapcountAdd(pfn, 1);
        memmap.clearAnonExclusive(pfn);
    }

    /**
     * Copies the run of order-0 anon PTEs that starts at {@code idx}: entry after entry up to {@code to}, while each is
     * present and maps a normal page (not special, not the zero page) of an order-0 anon folio (and, if {@code full},
     * is a batch of one by {@code pte_batch_remaining}), each as the loops'
     * single path does ({@link #dupAnonPte0}, then {@link #copySinglePteFull} if {@code full}, else {@link #copySinglePte}).
     * The seed patch passes {@code full} only where {@code set_ptes_full} differs from {@code set_ptes}
     * ({@code Arch.setPteFullIsSetPte}), so on x86_64 all three strategies run one compiled loop.
     * Stops at the first entry that is not such a PTE (not copied: the caller's loop takes it) or at {@code to}.
     * Counts nothing: returns the entries copied in its low 32 bits and the atomics to count ({@code copySinglePte}'s
     * return values) in its high 32 bits; the caller counts per entry one {@code ptep_get} (it read the first one
     * itself), one child store, one batch, one refcount and one rmap update and one anon page, as for a single.
     *
     * <p>Why a method of its own, kept out of line ({@code CompileCommand=dontinline} in the parent POM): at order 0 this
     * loop is where every strategy spends its time, and the work per PTE is the same under all three (6.8's
     * {@code copy_present_pte}, 6.18's single half of {@code copy_present_ptes}, the seed patch with {@code nr = 1}).
     * Inlined into each strategy's loop it was compiled three times to the same instructions at different addresses
     * and with different register choices, and those copies differed by 1-3% in time (timing.md, "Order-0: the
     * strategies against each other"); one compiled body makes the strategies run the same machine code.
     *
     * <p>Precondition: {@code idx < to}, the entry at {@code idx} is such a PTE, {@code c.srcHasPinned} is false (no
     * folio of the mm may be pinned).
     */
    static long copyAnonRun0(final CopyContext c, final MemorySegment st, final long sb, final MemorySegment dt,
        final long db, final int idx, final int to, final boolean full)
    {
        final Arch arch = c.arch;
        final MemMap memmap = c.memmap;
        final Events ev = c.ev;
        final boolean isCow = c.isCow;
        long atomics = 0;
        int i = idx;
        for (; i < to; i++)
        {
            final long pte = arch.ptepGetNoAcct(ev, st, sb, i);
            // pte_none or not present (-1), or the zero page: PFN 0 (PhysMem.ZERO_PFN) is the lowest PFN
            final long pfn = arch.presentPfn(pte);
            if (pfn <= PhysMem.ZERO_PFN || arch.pteSpecial(pte)
                || (memmap.flags(pfn) & (PageDescriptor.PG_ANON | PageDescriptor.ORDER_MASK)) != PageDescriptor.PG_ANON)
            {
                break;
            }
            if (full && arch.pteBatchRemaining(pte, i, to) != 1)
            {
                break;   // the seed patch's pte_batch_remaining per PTE (arm64: its CONT test); never for order 0
            }
            dupAnonPte0(memmap, pfn);
            atomics += full ? copySinglePteFull(c, arch, ev, isCow, st, sb, dt, db, i, pte)
                : copySinglePte(c, arch, ev, isCow, st, sb, dt, db, i, pte);
        }
        return (i - idx) | atomics << 32;
    }

    /** The entries {@link #copyAnonRun0} copied, from its result {@code r}. */
    static int runCopied(final long r)
    {
        return (int)r;
    }

    /** The atomics to count of {@link #copyAnonRun0}'s result {@code r}. */
    static long runAtomics(final long r)
    {
        return r >>> 32;
    }

    /** The child's entry for a parent entry {@code pte}: clean if shared, old, uffd-wp only if armed, never CONT. */
    long finishChildPte(final long pte)
    {
        long p = pte;
        if (isShared)
        {
            p = arch.pteMkclean(p);
        }
        p = arch.pteMkold(p);
        if (!dstUffdWp)
        {
            p = arch.pteClearUffdWp(p);
        }
        return arch.pteMknoncont(p);
    }

    /** {@link #copyPresentSingle} mapped an anon page the common way: the caller counts one batch, one
     * refcount and one rmap update and one anon RSS page in its locals. */
    static final int SINGLE_ANON = 1;
    /** {@link #copyPresentSingle} handled the PTE and counted its own events (file page or eager copy). */
    static final int SINGLE_COUNTED = 0;

    /**
     * The single-PTE path of {@code copy_present_ptes} (and all of 6.8's {@code copy_present_pte}):
     * {@code folio_get}, dup the rmap for one page, copy the bits. A maybe-pinned AnonExclusive page is
     * copied eagerly for the child instead ({@code copy_present_page}) and the parent entry is left as it was.
     *
     * <p>Precondition: {@code pte} is present at {@code idx} and maps a normal page {@code pfn} whose memmap
     * flags are {@code pflags}.
     *
     * @return {@link #SINGLE_ANON} (the caller counts), {@link #SINGLE_COUNTED}, or {@link #ENOMEM} (an eager
     *         copy could not get a page: the fork fails).
     */
    int copyPresentSingle(final MemorySegment st, final long sb, final MemorySegment dt, final long db,
        final int idx, final long pte, final long pfn, final int pflags)
    {
        // The loops run the common case (an anon page of a never-pinned mm) themselves, through the force-inlined
        // dupAnonPte0 and copySinglePte; this handles what is left: pinned mms, file pages, large folios on the
        // single path.
        final int order = pflags & PageDescriptor.ORDER_MASK;
        final long head = pfn & -(1L << order);
        if ((pflags & PageDescriptor.PG_ANON) != 0)
        {
            if (srcHasPinned && memmap.testAnonExclusive(pfn) && memmap.folioMaybeDmaPinned(head))
            {
                // folio_try_dup_anon_rmap_pte failed: folio_get and folio_put, then the child gets its own copy.
                batches++;
                refcountUpdates += 2;
                final int r = copyPresentPage(dt, db, idx, pte, pfn);
                return r == OK ? SINGLE_COUNTED : r;
            }
            if (order == 0)
            {
                dupAnonPte0(memmap, pfn);
            }
            else
            {
                memmap.refAdd(head, 1);
                memmap.clearAnonExclusive(pfn);
                memmap.folioAddLargeMapcount(head, 1, dstMmId);
            }
            __copyPresentPtes(st, sb, dt, db, idx, pte, 1);
            return SINGLE_ANON;
        }
        memmap.refAdd(head, 1);
        if (order == 0)
        {
            memmap.mapcountAdd(pfn, 1);
        }
        else
        {
            memmap.folioAddLargeMapcount(head, 1, dstMmId);
        }
        batches++;
        refcountUpdates++;
        rmapUpdates++;
        rss[fileRssCounter(pflags)]++;
        __copyPresentPtes(st, sb, dt, db, idx, pte, 1);
        return SINGLE_COUNTED;
    }

    /**
     * The seed patch's anon dup for a batch of a folio that may be pinned (cold): {@code folio_ref_add(nr)},
     * then {@code page_try_dup_anon_rmap} page by page. A failure at page 0 gives the references back and
     * copies that page eagerly; a failure at page j > 0 trims the batch to j and gives the surplus back.
     * Counts its own events.
     *
     * @return the number of entries consumed (the trimmed batch, or 1 after an eager copy), or {@link #ENOMEM}
     */
    int archBatchPinnedAnon(final MemorySegment st, final long sb, final MemorySegment dt, final long db, final int idx,
        final long pte, final long pfn, final long head, final int order, final int nr)
    {
        memmap.refAdd(head, nr);
        refcountUpdates++;
        batches++;
        int done = nr;
        for (int j = 0; j < nr; j++)
        {
            if (memmap.testAnonExclusive(pfn + j))
            {
                memmap.refAdd(head, -(nr - j));
                refcountUpdates++;
                done = j;
                break;
            }
            memmap.clearAnonExclusive(pfn + j);
            if (order == 0)
            {
                memmap.mapcountAdd(pfn, 1);
            }
            else
            {
                memmap.folioAddLargeMapcount(head, 1, dstMmId);
            }
            rmapUpdates++;
        }
        if (done == 0)
        {
            final int r = copyPresentPage(dt, db, idx, pte, pfn);
            return r == OK ? 1 : r;
        }
        rss[Mm.MM_ANONPAGES] += done;
        __copyPresentPtesFull(st, sb, dt, db, idx, pte, done);
        return done;
    }

    /** Adds a loop's local counters (read once per table). */
    void publish(final long reads, final long nBatches, final long nRefs, final long nRmaps, final long nAnon)
    {
        publish(reads, 0, 0, nBatches, nRefs, nRmaps, nAnon);
    }

    /** Adds a loop's local counters, with the stores and atomics of its {@code ...NoAcct} calls. */
    void publish(final long reads, final long stores, final long atomics, final long nBatches, final long nRefs,
        final long nRmaps, final long nAnon)
    {
        ev.ptepGet += reads;
        ev.pteLoad += reads;
        ev.pteStore += stores;
        ev.pteAtomic += atomics;
        batches += nBatches;
        refcountUpdates += nRefs;
        rmapUpdates += nRmaps;
        rss[Mm.MM_ANONPAGES] += nAnon;
    }

    /**
     * {@code copy_present_page}: the source page may be pinned and is exclusive to the parent, so the child
     * gets a private copy now: a new order-0 anon folio, AnonExclusive, young, dirty, writable if VM_WRITE.
     * The parent's PTE, refcount and mapcount stay untouched.
     */
    int copyPresentPage(final MemorySegment dt, final long db, final int idx, final long srcPte, final long srcPfn)
    {
        final long pfn = phys.allocPages(0);
        if (pfn < 0)
        {
            return ENOMEM;
        }
        memmap.prepFolio(pfn, 0, PageDescriptor.PG_ANON | PageDescriptor.PG_SWAPBACKED);
        memmap.setToken(pfn, memmap.token(srcPfn));
        memmap.setMapcount(pfn, 1);
        memmap.setAnonExclusive(pfn);
        ev.foliosAllocated++;
        eagerCopies++;
        rss[Mm.MM_ANONPAGES]++;
        long p = arch.pteMkdirty(arch.pfnPte(pfn, dstPageProt));
        if (dstVmWrite)
        {
            p = arch.pteMkwrite(p);
        }
        if (dstUffdWp && arch.pteUffdWp(srcPte))
        {
            p = arch.pteMkuffdWp(p);
        }
        arch.setPtes(ev, dt, db, idx, p, 1);
        return OK;
    }

    /** Bits-only copy of a PTE without a normal page (zero page, special/PFN-map entries). */
    void copySpecial(final MemorySegment st, final long sb, final MemorySegment dt, final long db, final int idx, final long pte)
    {
        batches++;
        __copyPresentPtes(st, sb, dt, db, idx, pte, 1);
    }

    /**
     * {@code copy_nonpresent_pte} for a swap entry (forksim creates no migration, device or marker
     * entries): swap count + 1, SWP_EXCLUSIVE cleared in the parent, uffd-wp dropped unless armed.
     */
    void copyNonPresent(final MemorySegment st, final long sb, final MemorySegment dt, final long db, final int idx, final long pte)
    {
        long p = pte;
        swap.dup(arch.pteSwpOffset(p));
        if (arch.pteSwpExclusive(p))
        {
            p = arch.pteSwpClearExclusive(p);
            arch.setNonPresent(ev, st, sb, idx, p);
        }
        if (!dstUffdWp)
        {
            p = arch.pteSwpClearUffdWp(p);
        }
        rss[Mm.MM_SWAPENTS]++;
        arch.setNonPresent(ev, dt, db, idx, p);
    }
}
