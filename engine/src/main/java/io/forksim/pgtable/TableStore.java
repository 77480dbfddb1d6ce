package io.forksim.pgtable;

import io.forksim.mem.ClearPage;
import io.forksim.mem.HostMemoryException;
import io.forksim.mem.OffHeapArena;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Backing storage of page-table pages.
 *
 * <p>Simulated RAM is not backed by real bytes (a page carries only a content token), but page-table
 * pages are: each holds 512 eight-byte entries that the simulator reads and writes. A table page is
 * an ordinary PFN taken from the buddy allocator (so it is counted and can run out, as in the kernel);
 * its 4 KiB of entries live in a <em>slot</em> of this store, and the PFN's memmap record remembers
 * the slot (see {@code PageDescriptor}: the mapcount field of a {@code PG_TABLE} page, forksim's
 * {@code ptdesc}).
 *
 * <pre>
 *   slot s  ->  chunk  s >>> CHUNK_SHIFT     (one off-heap segment of 4096 tables = 16 MiB)
 *               offset (s &amp; CHUNK_MASK) * 4096
 * </pre>
 *
 * Chunks are mapped on demand from this store's {@link OffHeapArena} (lazily committed; 2 MiB-aligned and backed
 * by transparent huge pages where the host has them, unless built without huge pages) and never returned to the OS
 * before {@link #close()}; freed slots are
 * reused (LIFO) and handed out zeroed, as {@code pte_alloc} hands out zeroed pages. A slot that is all
 * zero when it is freed (the usual case: the zap cleared every entry before {@code free_pgtables}) is not
 * cleared again when handed out, as a kernel booted with {@code init_on_free} skips the clear of a
 * {@code __GFP_ZERO} allocation: the compare runs on lines the zap has just written, while a clear at
 * allocation would write cold lines in the middle of a fork.
 *
 * <p><b>Commit ahead of use.</b> A fresh slot's first write costs a host page fault (a 2 MiB one with huge pages).
 * {@link #ensureCommitted(int)} moves that cost out of a timed operation: it commits enough fresh slots beyond the
 * high-water mark that the next {@code n} allocations (free slots first, which are committed already) touch only
 * committed memory, and fails with a {@link HostMemoryException} before anything is touched when the host has not
 * that much memory available. It also sorts the free stack, lowest slot on top, so that the tables a fork
 * allocates in address order lie in ascending slots.
 *
 * <pre>
 *   slots  0 .. highWater-1           handed out once (in use, or on the free stack: committed)
 *          highWater .. committedTo-1  fresh, committed by ensureCommitted
 *          committedTo ..              fresh, not committed (chunks mapped on demand)
 * </pre>
 *
 * <p>Locking: a store built {@link #TableStore(boolean) concurrent} serialises {@link #allocSlot} and
 * {@link #freeSlot} under one leaf lock. {@link #chunk} takes no lock: the chunk array only grows, and it is
 * republished through a volatile field after the new chunk is in it, so a reader sees every chunk of a slot
 * it was handed (a slot reaches another thread only through a PTE-table PFN, after its allocation).
 */
public final class TableStore implements AutoCloseable
{
    public static final int TABLE_BYTES = 4096;
    public static final int ENTRIES = 512;
    public static final int CHUNK_SHIFT = 12;
    public static final int TABLES_PER_CHUNK = 1 << CHUNK_SHIFT;
    public static final int CHUNK_MASK = TABLES_PER_CHUNK - 1;
    public static final long CHUNK_BYTES = (long)TABLES_PER_CHUNK * TABLE_BYTES;

    private final OffHeapArena arena;
    private final List<MemorySegment> chunkList = new ArrayList<>();
    /** Volatile: grown copy-then-publish, read without a lock by {@link #chunk}. */
    private volatile MemorySegment[] chunks = new MemorySegment[16];
    /** Null unless concurrent. */
    private final ReentrantLock lock;
    private int nextFresh;
    /** Fresh slots below this are committed (see {@link #ensureCommitted}); never below {@link #nextFresh}'s chunk use. */
    private int committedTo;
    private int[] freeSlots = new int[1024];
    /** {@code freeZero[i]}: {@code freeSlots[i]} was all zero when freed (and nothing writes a free slot). */
    private boolean[] freeZero = new boolean[1024];
    private int freeTop;
    private int inUse;

    /** A single-threaded store (no lock) on huge pages where the host has them. */
    public TableStore()
    {
        this(false);
    }

    /** @param concurrent serialise slot allocation and freeing under a lock (a concurrent machine); huge pages on */
    public TableStore(final boolean concurrent)
    {
        this(concurrent, true);
    }

    /**
     * @param concurrent serialise slot allocation and freeing under a lock (a concurrent machine)
     * @param hugePages  map the chunks asking for transparent huge pages (see {@link OffHeapArena})
     */
    public TableStore(final boolean concurrent, final boolean hugePages)
    {
        this.lock = concurrent ? new ReentrantLock() : null;
        this.arena = new OffHeapArena(hugePages);
    }

    /** Whether the chunks are mapped asking for transparent huge pages. */
    public boolean hugePages()
    {
        return arena.hugePages();
    }

    /** @return a zeroed slot. */
    public int allocSlot()
    {
        final ReentrantLock l = lock;
        if (l == null)
        {
            return allocSlotLocked();
        }
        l.lock();
        try
        {
            return allocSlotLocked();
        }
        finally
        {
            l.unlock();
        }
    }

    private int allocSlotLocked()
    {
        final int slot;
        if (freeTop > 0)
        {
            slot = freeSlots[--freeTop];
            if (!freeZero[freeTop])
            {
                ClearPage.clear(chunk(slot), offset(slot), TABLE_BYTES);
            }
        }
        else
        {
            slot = nextFresh;
            final int c = slot >>> CHUNK_SHIFT;
            if (c == chunkList.size())
            {
                mapChunk();
            }
            nextFresh++;
        }
        inUse++;
        return slot;
    }

    /** Maps the next chunk and publishes it. Caller holds the lock (concurrent store). */
    private void mapChunk()
    {
        final int c = chunkList.size();
        final MemorySegment seg = arena.allocateZeroed(CHUNK_BYTES, "a page-table chunk");
        chunkList.add(seg);
        MemorySegment[] cs = chunks;
        if (c == cs.length)
        {
            cs = Arrays.copyOf(cs, c * 2);
        }
        cs[c] = seg;
        chunks = cs; // publish (volatile) after the chunk is in the array
    }

    /**
     * Commits table memory ahead of use, so that the next {@code slots} allocations write only committed memory: free
     * slots count as committed; beyond them, fresh slots above the high-water mark are committed (chunks mapped as
     * needed). Call outside a timed region, e.g. before a fork with the number of table pages the child will need.
     *
     * <p>It also orders the free stack so that the next allocations take the free slots lowest first: a child's
     * tables, allocated in address order, then lie in ascending slots, as a fresh store hands them out (a zap frees
     * tables in address order, so the plain LIFO stack would hand them back in descending slots).
     *
     * <p>Free slots count as committed: they were written when in use. (In a store rebuilt by {@link #restoreState},
     * free slots below the high-water mark were never written and are committed by their first use.)
     *
     * @param slots allocations to prepare for, &gt;= 0
     * @return host bytes newly committed (0 if enough was committed already)
     * @throws IllegalArgumentException if {@code slots} is negative
     * @throws HostMemoryException naming the bytes if the host's available memory is smaller than what must be
     *         committed; nothing is committed then
     */
    public long ensureCommitted(final int slots)
    {
        if (slots < 0)
        {
            throw new IllegalArgumentException("table slots to commit: " + slots);
        }
        final ReentrantLock l = lock;
        if (l != null)
        {
            l.lock();
        }
        try
        {
            orderFreeSlots();
            final long ready = (long)freeTop + Math.max(0, committedTo - nextFresh);
            if (ready >= slots)
            {
                return 0;
            }
            final long from = Math.max(committedTo, nextFresh);
            final long to = from + (slots - ready);
            if (to > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("table slots to commit: " + slots + " would pass slot 2^31-1");
            }
            final long bytes = (to - from) * TABLE_BYTES;
            final long available = OffHeapArena.hostMemAvailable();
            if (available >= 0 && bytes > available)
            {
                throw new HostMemoryException(bytes, available, "page tables for " + (to - from) + " more table pages");
            }
            for (long s = from; s < to; )
            {
                final int c = (int)(s >>> CHUNK_SHIFT);
                while (c >= chunkList.size())
                {
                    mapChunk();
                }
                final long end = Math.min(to, ((long)c + 1) << CHUNK_SHIFT);
                OffHeapArena.commit(chunkList.get(c), offset((int)s), (end - s) * TABLE_BYTES);
                s = end;
            }
            committedTo = (int)to;
            return bytes;
        }
        finally
        {
            if (l != null)
            {
                l.unlock();
            }
        }
    }

    /**
     * Orders the free stack so that the next allocations pop the free slots in ascending order (lowest on top), each
     * keeping its all-zero mark. Caller holds the lock (concurrent store).
     */
    private void orderFreeSlots()
    {
        final long[] keys = new long[freeTop];
        for (int i = 0; i < freeTop; i++)
        {
            keys[i] = ((long)freeSlots[i] << 1) | (freeZero[i] ? 1 : 0);
        }
        Arrays.sort(keys);
        for (int i = 0; i < freeTop; i++)
        {
            final long k = keys[freeTop - 1 - i];
            freeSlots[i] = (int)(k >>> 1);
            freeZero[i] = (k & 1) != 0;
        }
    }

    /** Slots the next allocations can take without touching uncommitted memory (free slots and committed fresh ones). */
    public long committedAhead()
    {
        return (long)freeTop + Math.max(0, committedTo - nextFresh);
    }

    public void freeSlot(final int slot)
    {
        final ReentrantLock l = lock;
        if (l == null)
        {
            freeSlotLocked(slot);
            return;
        }
        l.lock();
        try
        {
            freeSlotLocked(slot);
        }
        finally
        {
            l.unlock();
        }
    }

    private void freeSlotLocked(final int slot)
    {
        if (slot < 0 || slot >= nextFresh)
        {
            throw new IllegalArgumentException("table slot out of range: slot=" + slot);
        }
        if (freeTop == freeSlots.length)
        {
            freeSlots = Arrays.copyOf(freeSlots, freeTop * 2);
            freeZero = Arrays.copyOf(freeZero, freeTop * 2);
        }
        freeZero[freeTop] = ClearPage.isZero(chunk(slot), offset(slot), TABLE_BYTES);
        freeSlots[freeTop++] = slot;
        inUse--;
    }

    /** The segment holding {@code slot}; entries are at {@link #offset(int)} + 8 * index. */
    public MemorySegment chunk(final int slot)
    {
        return chunks[slot >>> CHUNK_SHIFT];
    }

    public static long offset(final int slot)
    {
        return (long)(slot & CHUNK_MASK) * TABLE_BYTES;
    }

    public int slotsInUse()
    {
        return inUse;
    }

    /** Off-heap bytes reserved for table storage. */
    public long reservedBytes()
    {
        return chunkList.size() * CHUNK_BYTES;
    }

    /** Slots ever handed out (the high-water mark); used by snapshots. */
    public int highWater()
    {
        return nextFresh;
    }

    /** Snapshot hook: the free-slot stack, bottom first (a copy; the next {@link #allocSlot} pops the last). */
    public int[] freeSlotStack()
    {
        return Arrays.copyOf(freeSlots, freeTop);
    }

    /**
     * Snapshot hook: turns this fresh store into one with {@code highWater} slots handed out, of which
     * {@code freeSlotStack} (bottom first) are free again. Chunks are allocated for every slot below the
     * high-water mark; the caller then copies the used slots' bytes in (through {@link #chunk}).
     *
     * @throws IllegalStateException if this store has handed out a slot already
     * @throws IllegalArgumentException naming the value if a free slot is out of range or listed twice
     */
    public void restoreState(final int highWater, final int[] freeSlotStack)
    {
        if (nextFresh != 0 || !chunkList.isEmpty())
        {
            throw new IllegalStateException("table store is not fresh: " + nextFresh + " slots handed out");
        }
        if (highWater < 0 || freeSlotStack.length > highWater)
        {
            throw new IllegalArgumentException("table store high-water mark " + highWater + " with "
                + freeSlotStack.length + " free slots");
        }
        final java.util.BitSet seen = new java.util.BitSet(highWater);
        for (final int s : freeSlotStack)
        {
            if (s < 0 || s >= highWater || seen.get(s))
            {
                throw new IllegalArgumentException("free table slot " + s + " is out of range 0.." + (highWater - 1)
                    + " or listed twice");
            }
            seen.set(s);
        }
        final int nChunks = (int)(((long)highWater + TABLES_PER_CHUNK - 1) >>> CHUNK_SHIFT);
        chunks = new MemorySegment[Math.max(16, Integer.highestOneBit(Math.max(1, nChunks)) * 2)];
        for (int c = 0; c < nChunks; c++)
        {
            final MemorySegment seg = arena.allocateZeroed(CHUNK_BYTES, "a page-table chunk");
            chunkList.add(seg);
            chunks[c] = seg;
        }
        nextFresh = highWater;
        freeSlots = Arrays.copyOf(freeSlotStack, Math.max(1024, freeSlotStack.length));
        freeZero = new boolean[freeSlots.length];   // not known: cleared when handed out
        freeTop = freeSlotStack.length;
        inUse = highWater - freeSlotStack.length;
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
