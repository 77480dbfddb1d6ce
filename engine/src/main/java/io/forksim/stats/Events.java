package io.forksim.stats;

/**
 * Exact event counts of simulated operations: plain {@code long} fields, no atomics, no allocation.
 *
 * <p>Hot loops accumulate into locals and add them here once per page table; arch hooks add the
 * extra work they do (gathers, folds, unfolds, TLB maintenance) directly, since they run at most
 * once per batch. An {@code Events} instance belongs to one thread; concurrent simulations give each
 * thread its own and {@link #add(Events) add} them up at quiescence.
 *
 * <p>What each counter means (the unit is one simulated event, not time):
 * <ul>
 *   <li>{@code ptepGet}: calls of the core's {@code ptep_get()} (one per batch on batched paths).</li>
 *   <li>{@code pteLoad}: raw 64-bit PTE loads, including the extra entries an arm64 contpte gather reads
 *       and the re-reads of fold checks; the read half of an atomic is not counted here.</li>
 *   <li>{@code pteStore}: plain PTE stores ({@code set_ptes}, {@code __set_ptes} of a convert).</li>
 *   <li>{@code pteAtomic}: atomic read-modify-writes of a PTE (cmpxchg write-protect, xchg clear).</li>
 *   <li>{@code batches}: present-PTE copy/zap batches (one {@code copy_present_ptes} call = one batch).</li>
 *   <li>{@code refcountUpdate}: {@code folio_get}/{@code folio_ref_add}/{@code folio_put}-style updates.</li>
 *   <li>{@code rmapUpdate}: rmap updates (dup/add/remove of anon or file rmap, per call).</li>
 *   <li>{@code ptPagesAlloc}/{@code ptPagesFree}: page-table pages taken from / given back to the buddy.</li>
 *   <li>{@code tlbiPage}, {@code tlbiRange}, {@code tlbiAsid}, {@code dsb}: TLB maintenance. On x86
 *       a single-page flush counts as tlbiPage and flush_tlb_mm as tlbiAsid; x86 has no DSB.</li>
 *   <li>{@code fold}, {@code unfold}: arm64 contpte conversions (each a break-before-make).</li>
 *   <li>{@code gather}: arm64 contpte_ptep_get calls that had to gather young/dirty over a block.</li>
 *   <li>{@code pmdCopy}: PMD-mapped THPs shared with a child at PMD level ({@code copy_huge_pmd} returning 0).</li>
 *   <li>{@code pmdSplit}: PMD leaves split into 512 PTEs ({@code __split_huge_pmd_locked}, THP_SPLIT_PMD).</li>
 * </ul>
 */
public final class Events
{
    public long ptepGet;
    public long pteLoad;
    public long pteStore;
    public long pteAtomic;
    public long batches;
    public long refcountUpdate;
    public long rmapUpdate;
    public long ptPagesAlloc;
    public long ptPagesFree;
    public long tlbiPage;
    public long tlbiRange;
    public long tlbiAsid;
    public long dsb;
    public long fold;
    public long unfold;
    public long gather;
    // mm-level events (faults and the pages they move)
    public long faults;
    public long cowCopies;
    public long cowReuses;
    public long eagerCopies;
    public long swapOuts;
    public long swapIns;
    public long foliosAllocated;
    public long foliosFreed;
    // PMD-mapped THP
    public long pmdCopy;
    public long pmdSplit;

    /** Names of the counters, in the order of {@link #toArray()}; the JSON report and Agrona counters use them. */
    public static final String[] NAMES = {
        "ptep_get", "pte_load", "pte_store", "pte_atomic", "batches", "refcount_update", "rmap_update",
        "pt_pages_alloc", "pt_pages_free", "tlbi_page", "tlbi_range", "tlbi_asid", "dsb", "fold", "unfold",
        "gather", "faults", "cow_copies", "cow_reuses", "eager_copies", "swap_outs", "swap_ins",
        "folios_allocated", "folios_freed", "pmd_copy", "pmd_split"
    };

    /**
     * Writes the counters into {@code dst} in the order of {@link #NAMES} and returns it; allocates nothing (the
     * fork harness reads the events before and after every timed fork this way). Lists the same fields as
     * {@link #toArray} (EventsCopyIntoTest holds them equal).
     *
     * @param dst an array of exactly {@code NAMES.length} elements
     */
    public long[] copyInto(final long[] dst)
    {
        if (dst.length != NAMES.length)
        {
            throw new IllegalArgumentException("expected an array of " + NAMES.length + " counters, got " + dst.length);
        }
        dst[0] = ptepGet;
        dst[1] = pteLoad;
        dst[2] = pteStore;
        dst[3] = pteAtomic;
        dst[4] = batches;
        dst[5] = refcountUpdate;
        dst[6] = rmapUpdate;
        dst[7] = ptPagesAlloc;
        dst[8] = ptPagesFree;
        dst[9] = tlbiPage;
        dst[10] = tlbiRange;
        dst[11] = tlbiAsid;
        dst[12] = dsb;
        dst[13] = fold;
        dst[14] = unfold;
        dst[15] = gather;
        dst[16] = faults;
        dst[17] = cowCopies;
        dst[18] = cowReuses;
        dst[19] = eagerCopies;
        dst[20] = swapOuts;
        dst[21] = swapIns;
        dst[22] = foliosAllocated;
        dst[23] = foliosFreed;
        dst[24] = pmdCopy;
        dst[25] = pmdSplit;
        return dst;
    }

    /** The counters as a new array, in the order of {@link #NAMES}. */
    public long[] toArray()
    {
        return new long[] {
            ptepGet, pteLoad, pteStore, pteAtomic, batches, refcountUpdate, rmapUpdate,
            ptPagesAlloc, ptPagesFree, tlbiPage, tlbiRange, tlbiAsid, dsb, fold, unfold,
            gather, faults, cowCopies, cowReuses, eagerCopies, swapOuts, swapIns,
            foliosAllocated, foliosFreed, pmdCopy, pmdSplit
        };
    }

    public static Events fromArray(final long[] v)
    {
        if (v.length != NAMES.length)
        {
            throw new IllegalArgumentException("expected " + NAMES.length + " counters, got " + v.length);
        }
        final Events e = new Events();
        int i = 0;
        e.ptepGet = v[i++];
        e.pteLoad = v[i++];
        e.pteStore = v[i++];
        e.pteAtomic = v[i++];
        e.batches = v[i++];
        e.refcountUpdate = v[i++];
        e.rmapUpdate = v[i++];
        e.ptPagesAlloc = v[i++];
        e.ptPagesFree = v[i++];
        e.tlbiPage = v[i++];
        e.tlbiRange = v[i++];
        e.tlbiAsid = v[i++];
        e.dsb = v[i++];
        e.fold = v[i++];
        e.unfold = v[i++];
        e.gather = v[i++];
        e.faults = v[i++];
        e.cowCopies = v[i++];
        e.cowReuses = v[i++];
        e.eagerCopies = v[i++];
        e.swapOuts = v[i++];
        e.swapIns = v[i++];
        e.foliosAllocated = v[i++];
        e.foliosFreed = v[i++];
        e.pmdCopy = v[i++];
        e.pmdSplit = v[i];
        return e;
    }

    /** Adds {@code other} into this. */
    public Events add(final Events other)
    {
        final long[] a = toArray();
        final long[] b = other.toArray();
        for (int i = 0; i < a.length; i++)
        {
            a[i] += b[i];
        }
        copyFrom(a);
        return this;
    }

    /** this - other, as a new instance (the events of an operation = after.minus(before)). */
    public Events minus(final Events other)
    {
        final long[] a = toArray();
        final long[] b = other.toArray();
        for (int i = 0; i < a.length; i++)
        {
            a[i] -= b[i];
        }
        return fromArray(a);
    }

    public Events copy()
    {
        return fromArray(toArray());
    }

    public void reset()
    {
        copyFrom(new long[NAMES.length]);
    }

    private void copyFrom(final long[] v)
    {
        final Events t = fromArray(v);
        ptepGet = t.ptepGet;
        pteLoad = t.pteLoad;
        pteStore = t.pteStore;
        pteAtomic = t.pteAtomic;
        batches = t.batches;
        refcountUpdate = t.refcountUpdate;
        rmapUpdate = t.rmapUpdate;
        ptPagesAlloc = t.ptPagesAlloc;
        ptPagesFree = t.ptPagesFree;
        tlbiPage = t.tlbiPage;
        tlbiRange = t.tlbiRange;
        tlbiAsid = t.tlbiAsid;
        dsb = t.dsb;
        fold = t.fold;
        unfold = t.unfold;
        gather = t.gather;
        faults = t.faults;
        cowCopies = t.cowCopies;
        cowReuses = t.cowReuses;
        eagerCopies = t.eagerCopies;
        swapOuts = t.swapOuts;
        swapIns = t.swapIns;
        foliosAllocated = t.foliosAllocated;
        foliosFreed = t.foliosFreed;
        pmdCopy = t.pmdCopy;
        pmdSplit = t.pmdSplit;
    }

    public long get(final String name)
    {
        final long[] v = toArray();
        for (int i = 0; i < NAMES.length; i++)
        {
            if (NAMES[i].equals(name))
            {
                return v[i];
            }
        }
        throw new IllegalArgumentException("unknown event name: " + name);
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof Events e && java.util.Arrays.equals(toArray(), e.toArray());
    }

    @Override
    public int hashCode()
    {
        return java.util.Arrays.hashCode(toArray());
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("Events{");
        final long[] v = toArray();
        boolean first = true;
        for (int i = 0; i < v.length; i++)
        {
            if (v[i] != 0)
            {
                sb.append(first ? "" : ", ").append(NAMES[i]).append('=').append(v[i]);
                first = false;
            }
        }
        return sb.append('}').toString();
    }
}
