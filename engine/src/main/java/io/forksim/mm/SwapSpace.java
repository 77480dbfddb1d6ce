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
 *   counts : int  per slot   swap_map[offset]: references from swap PTEs (+ 0 for the swap cache)
 *   tokens : long per slot   content token of the swapped page
 *   cache  : long per slot   PFN + 1 of the swap-cache page, 0 if none
 * </pre>
 * Slot 0 is never used (the kernel reserves the header page). Allocation is next-fit over the counts.
 *
 * <p>Locking: a device built {@link #SwapSpace(long, boolean) concurrent} runs every mutator
 * ({@link #alloc}, {@link #dup}, {@link #put}, {@link #setToken}, {@link #setCachePfn}) and the reverse-index
 * reads under one leaf lock (the kernel's {@code si->lock} / cluster locks); each call is atomic, a sequence
 * of calls is not (the kernel's swap-in also holds the folio lock and re-checks the swap PTE; forksim's
 * concurrent workload does not swap).
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

    /** {@code swap_duplicate}: one more swap PTE references the slot. */
    public void dup(final long offset)
    {
        lock();
        try
        {
            checkInUse(offset);
            counts.setAtIndex(INT, offset, count(offset) + 1);
        }
        finally
        {
            unlock();
        }
    }

    /**
     * {@code swap_free}: one reference less. When the count reaches zero the slot is freed; a swap-cache
     * folio still attached is returned so that the caller drops the cache's reference (PFN, or -1).
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
        if (c == 0)
        {
            used--;
            final long pfn = cachePfn(offset);
            if (pfn >= 0)
            {
                cache.setAtIndex(LONG, offset, 0L);
                cacheSlotOf.remove(pfn);
            }
            return pfn;
        }
        return -1;
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
    public void setCachePfn(final long offset, final long pfn)
    {
        lock();
        try
        {
            setCachePfnLocked(offset, pfn);
        }
        finally
        {
            unlock();
        }
    }

    private void setCachePfnLocked(final long offset, final long pfn)
    {
        final long old = cachePfn(offset);
        if (old >= 0)
        {
            cacheSlotOf.remove(old);
        }
        cache.setAtIndex(LONG, offset, pfn + 1);
        if (pfn >= 0)
        {
            cacheSlotOf.put(pfn, offset);
        }
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
