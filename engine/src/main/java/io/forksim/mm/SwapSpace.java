package io.forksim.mm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One simulated swap device (swap type 0): per slot a swap count ({@code swap_map}), the content token
 * written out, and the swap-cache folio (PFN + 1, 0 = none) that still holds the data after swap-in.
 *
 * <pre>
 *   counts : int  per slot   swap_map[offset] without SWAP_HAS_CACHE: references from swap PTEs
 *   tokens : long per slot   content token of the swapped page
 *   cache  : long per slot   PFN + 1 of the swap-cache page, 0 if none (the kernel's SWAP_HAS_CACHE bit)
 * </pre>
 * Slot 0 is never used (the kernel reserves the header page). A slot is in use ({@link #used}, the kernel's
 * {@code si->inuse_pages}) while its count is above 0 <em>or</em> it has a swap-cache folio: a slot whose count
 * dropped to 0 but whose folio is still in the swap cache is the kernel's {@code swap_map[offset] ==
 * SWAP_HAS_CACHE} ({@code swap_only_has_cache}); it stays allocated until the folio leaves the swap cache
 * ({@link #cacheDel}, {@code put_swap_folio}). Allocation is next-fit over the free slots.
 *
 * <p>This class keeps the counts; the rules for when a folio leaves the swap cache are {@link SwapCache}'s.
 *
 * <p>Locking: a device built {@link #SwapSpace(long, boolean) concurrent} runs every mutator
 * ({@link #alloc}, {@link #dup}, {@link #put}, {@link #setToken}, {@link #cacheAdd}, {@link #cacheDel}) and the
 * reverse-index reads under one leaf lock (the kernel's {@code si->lock} / cluster locks); each call is atomic,
 * a sequence of calls is not (the kernel's swap-in also holds the folio lock and re-checks the swap PTE;
 * forksim's concurrent workload does not swap).
 */
public final class SwapSpace implements AutoCloseable
{
    public static final int SWAP_TYPE = 0;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    private final Arena arena = Arena.ofShared();
    private final long slots;
    private final MemorySegment counts;
    private final MemorySegment tokens;
    private final MemorySegment cache;
    private long cursor = 1;
    private long used;
    /** Reverse index of the swap cache: PFN -> slot (the kernel's {@code folio->swap}); the cache is small. */
    private final java.util.HashMap<Long, Long> cacheSlotOf = new java.util.HashMap<>();
    /** Null unless concurrent. */
    private final ReentrantLock lock;

    public SwapSpace(final long slots)
    {
        this(slots, false);
    }

    /** @param concurrent serialise every update under a lock (a concurrent machine) */
    public SwapSpace(final long slots, final boolean concurrent)
    {
        this.lock = concurrent ? new ReentrantLock() : null;
        if (slots < 2 || slots > (1L << 40))
        {
            throw new IllegalArgumentException("swap slots out of range: slots=" + slots);
        }
        this.slots = slots;
        counts = arena.allocate(slots * 4, 8);
        tokens = arena.allocate(slots * 8, 8);
        cache = arena.allocate(slots * 8, 8);
    }

    public long slots() { return slots; }
    public long used() { return used; }
    public long free() { return slots - 1 - used; }

    /** Allocates {@code nr} consecutive free slots (count 1 each). @return first offset, or -1. */
    public long alloc(final int nr)
    {
        if (nr < 1)
        {
            throw new IllegalArgumentException("swap slot count must be positive: nr=" + nr);
        }
        lock();
        try
        {
            return allocLocked(nr);
        }
        finally
        {
            unlock();
        }
    }

    private void lock()
    {
        if (lock != null)
        {
            lock.lock();
        }
    }

    private void unlock()
    {
        if (lock != null)
        {
            lock.unlock();
        }
    }

    private long allocLocked(final int nr)
    {
        long scanned = 0;
        long c = cursor;
        while (scanned < slots)
        {
            if (c + nr > slots)
            {
                scanned += slots - c;
                c = 1;
                continue;
            }
            int run = 0;
            while (run < nr && count(c + run) == 0 && cachePfn(c + run) < 0)
            {
                run++;
            }
            if (run == nr)
            {
                for (int i = 0; i < nr; i++)
                {
                    counts.setAtIndex(INT, c + i, 1);
                }
                used += nr;
                cursor = c + nr;
                return c;
            }
            c += run + 1;
            scanned += run + 1;
        }
        return -1;
    }

    public int count(final long offset) { return counts.getAtIndex(INT, offset); }

    /**
     * {@code swap_duplicate}: one more swap PTE references the slot.
     *
     * <p>Precondition: the slot is in use: a swap PTE references it, or (reclaim of a swap-cache folio whose
     * count dropped to 0, {@code SWAP_HAS_CACHE} only) it has a swap-cache folio.
     */
    public void dup(final long offset)
    {
        lock();
        try
        {
            if (offset <= 0 || offset >= slots || (count(offset) <= 0 && cachePfn(offset) < 0))
            {
                throw new IllegalStateException("swap slot not in use: offset=" + offset);
            }
            counts.setAtIndex(INT, offset, count(offset) + 1);
        }
        finally
        {
            unlock();
        }
    }

    /**
     * {@code swap_entries_put_map_nr} for one slot: one swap-PTE reference less. When the count reaches 0 and the
     * slot has no swap-cache folio, the slot is free; when it has one, the slot keeps it and stays in use
     * ({@code SWAP_HAS_CACHE} only): whether the folio leaves the swap cache is the caller's decision
     * ({@link SwapCache#freeSwapAndCache}).
     *
     * <p>Precondition: a swap PTE references the slot (count above 0).
     *
     * @return the PFN of the swap-cache folio if the slot is now left with only the swap cache, else -1
     */
    public long put(final long offset)
    {
        lock();
        try
        {
            return putLocked(offset);
        }
        finally
        {
            unlock();
        }
    }

    private long putLocked(final long offset)
    {
        checkInUse(offset);
        final int c = count(offset) - 1;
        counts.setAtIndex(INT, offset, c);
        if (c != 0)
        {
            return -1;
        }
        final long pfn = cachePfn(offset);
        if (pfn < 0)
        {
            used--;
        }
        return pfn;
    }

    public long token(final long offset) { return tokens.getAtIndex(LONG, offset); }
    public void setToken(final long offset, final long token)
    {
        lock();
        try
        {
            tokens.setAtIndex(LONG, offset, token);
        }
        finally
        {
            unlock();
        }
    }

    /** PFN of the swap-cache page for the slot, or -1. */
    public long cachePfn(final long offset) { return cache.getAtIndex(LONG, offset) - 1; }

    /**
     * Adds the order-0 folio {@code pfn} to the swap cache of the slot ({@code swap_cache_add_folio}).
     *
     * <p>Precondition: a swap PTE references the slot and it has no swap-cache folio yet.
     */
    public void cacheAdd(final long offset, final long pfn)
    {
        lock();
        try
        {
            checkInUse(offset);
            if (cachePfn(offset) >= 0 || pfn <= 0)
            {
                throw new IllegalStateException("swap slot " + offset + " already caches pfn " + cachePfn(offset)
                    + " (adding pfn " + pfn + ")");
            }
            cache.setAtIndex(LONG, offset, pfn + 1);
            cacheSlotOf.put(pfn, offset);
        }
        finally
        {
            unlock();
        }
    }

    /**
     * Removes the slot's swap-cache folio ({@code swap_cache_del_folio}'s {@code put_swap_folio}): the
     * {@code SWAP_HAS_CACHE} bit goes, and a slot whose count is 0 is free. The folio's flag and reference are
     * the caller's ({@link SwapCache#swapCacheDelFolio}).
     *
     * <p>Precondition: the slot has a swap-cache folio.
     */
    public void cacheDel(final long offset)
    {
        lock();
        try
        {
            final long old = offset > 0 && offset < slots ? cachePfn(offset) : -1;
            if (old < 0)
            {
                throw new IllegalStateException("swap slot has no swap-cache folio: offset=" + offset);
            }
            cacheSlotOf.remove(old);
            cache.setAtIndex(LONG, offset, 0L);
            if (count(offset) == 0)
            {
                used--;
            }
        }
        finally
        {
            unlock();
        }
    }

    /**
     * {@code vm_swap_full}: fewer than half of the usable slots are free ({@code nr_swap_pages * 2 <
     * total_swap_pages}; a slot holding only a swap-cache folio is not free). forksim has no memory cgroups, so
     * this is also {@code mem_cgroup_swap_full}.
     */
    public boolean vmSwapFull()
    {
        return free() * 2 < slots - 1;
    }

    /** The slot whose swap-cache page is {@code pfn} ({@code folio->swap}), or -1. */
    public long cacheSlotOf(final long pfn)
    {
        lock();
        try
        {
            final Long s = cacheSlotOf.get(pfn);
            return s == null ? -1 : s;
        }
        finally
        {
            unlock();
        }
    }

    /** Number of slots that have a swap-cache page. */
    public int cachedPages()
    {
        lock();
        try
        {
            return cacheSlotOf.size();
        }
        finally
        {
            unlock();
        }
    }

    private void checkInUse(final long offset)
    {
        if (offset <= 0 || offset >= slots || count(offset) <= 0)
        {
            throw new IllegalStateException("swap slot not in use: offset=" + offset);
        }
    }

    // ---- snapshot hooks (io.forksim.snapshot) ----------------------------------------------------

    /** Snapshot hook: the live {@code counts} segment (int per slot). */
    public MemorySegment countsSegment() { return counts; }

    /** Snapshot hook: the live {@code tokens} segment (long per slot). */
    public MemorySegment tokensSegment() { return tokens; }

    /** Snapshot hook: the live {@code cache} segment (long per slot: PFN + 1, 0 = none). */
    public MemorySegment cacheSegment() { return cache; }

    /** Snapshot hook: where the next-fit allocation scan starts. */
    public long cursor() { return cursor; }

    /**
     * Snapshot hook: after the three segments of this fresh device were filled from a snapshot, sets the
     * allocation cursor and the used-slot count and rebuilds the swap cache's reverse index from
     * {@code cache}.
     *
     * @throws IllegalArgumentException naming the value if the cursor or count is out of range
     */
    public void restoreState(final long cursor, final long used)
    {
        if (cursor < 1 || cursor > slots || used < 0 || used > slots - 1)
        {
            throw new IllegalArgumentException("swap cursor " + cursor + " / used " + used + " out of range for "
                + slots + " slots");
        }
        this.cursor = cursor;
        this.used = used;
        cacheSlotOf.clear();
        final long bytes = slots * 8;
        long off = 0;
        while (off < bytes)
        {
            final long len = Math.min(ZEROS.byteSize(), bytes - off);
            final long m = MemorySegment.mismatch(cache, off, off + len, ZEROS, 0, len);
            if (m < 0)
            {
                off += len;
                continue;
            }
            final long at = off + (m & ~7L);
            final long slot = at >>> 3;
            cacheSlotOf.put(cache.getAtIndex(LONG, slot) - 1, slot);
            off = at + 8;
        }
    }

    private static final MemorySegment ZEROS = MemorySegment.ofArray(new long[8192]);

    /** Bytes of off-heap state. */
    public long offHeapBytes() { return slots * 20; }

    @Override
    public void close()
    {
        arena.close();
    }
}
