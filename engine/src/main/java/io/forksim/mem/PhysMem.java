package io.forksim.mem;

import static io.forksim.mem.PageDescriptor.MAX_ORDER;
import static io.forksim.mem.PageDescriptor.NIL;
import static io.forksim.mem.PageDescriptor.PG_BUDDY;
import static io.forksim.mem.PageDescriptor.PG_RESERVED;
import static io.forksim.mem.PageDescriptor.PG_ZERO;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Buddy allocator of the simulated machine's page frames, orders 0..{@value PageDescriptor#MAX_ORDER}
 * (the kernel's MAX_PAGE_ORDER), after mm/page_alloc.c ({@code __rmqueue_smallest}, {@code expand},
 * {@code __free_one_page}).
 *
 * <p>PFN {@value #ZERO_PFN} is the shared zero page (PG_ZERO | PG_RESERVED, refcount 1) and is never
 * allocated or freed. PFNs 1..nrPages-1 start free, as the largest naturally aligned blocks that
 * fit, so any machine size works.
 *
 * <p>The free lists live in the memmap itself: a free block's first page has flags
 * {@code PG_BUDDY | order}, its refcount slot links to the next free block of that order and its
 * mapcount slot to the previous one ({@link PageDescriptor#NIL} = none); the other pages of a free
 * block have zeroed records. Only the 11 list heads and counts are Java arrays, so a 1 TiB machine
 * (2^28 pages) costs no Java object per page. Removing a buddy while coalescing is O(1).
 *
 * <p><b>Deferred records</b> (the kernel's deferred struct page init, {@code deferred_grow_zone} in
 * mm/mm_init.c, taken to the end): the max-order blocks a new machine starts with,
 * PFNs {@code [MAX_ORDER_NR_PAGES, }{@link #deferredEndPfn}{@code )}, are free but not linked: their records
 * stay zero (so the host never commits them) and {@link #deferredBlocks} counts them. The max-order free list is
 * its linked part (head {@code freeHead[MAX_ORDER]}) followed by the deferred blocks, highest PFN first, which
 * is the order in which a list built block by block would hand them out; an allocation that finds the linked
 * part empty takes the highest deferred block, whose records are already clean. A max-order block is only ever
 * taken from the list's head (coalescing stops below MAX_ORDER), so the deferred blocks always stay the
 * contiguous low range. Whoever reads free blocks from the memmap (the invariant checker, machine images,
 * snapshots) asks {@link #isDeferred} / {@link #deferredEndPfn} for that range.
 *
 * <p>Locking: the only mutators are {@link #allocPages} and {@link #freePages} (plus the private list
 * helpers they call). Over an {@link MemMap#atomic() atomic} memmap (a concurrent machine) both run under
 * one lock, the kernel's {@code zone->lock}; it is a leaf lock (nothing else is taken while holding it), so
 * callers may hold page-table or folio locks. Over a plain memmap there is no lock at all. The statistics
 * read the counters without the lock (a racy but untorn snapshot while other threads allocate).
 */
public final class PhysMem
{

    /** PFN of the shared zero page. */
    public static final long ZERO_PFN = 0;
    /** Returned by {@link #allocPages} when no block is free. */
    public static final long NO_PFN = -1;
    /** The largest order: the kernel's MAX_PAGE_ORDER. */
    public static final int MAX_ORDER = PageDescriptor.MAX_ORDER;
    /** Pages in a max-order block: the kernel's MAX_ORDER_NR_PAGES; also the PFN of the first deferred block. */
    public static final long MAX_ORDER_NR_PAGES = 1L << MAX_ORDER;

    private final MemMap memmap;
    private final long nrPages;
    private final int[] freeHead = new int[MAX_ORDER + 1];
    private final long[] freeBlocks = new long[MAX_ORDER + 1];
    private long freePages;
    /** Free max-order blocks at PFNs {@code [MAX_ORDER_NR_PAGES, deferredEndPfn())} whose records are not linked. */
    private long deferredBlocks;
    /** {@code zone->lock}: null unless the memmap is atomic (a concurrent machine). */
    private final ReentrantLock zoneLock;

    /**
     * Takes over a freshly allocated (all-zero) memmap: reserves the zero page and frees every
     * other PFN, linking the blocks below the maximum order and deferring the max-order ones (their records
     * are not written). Precondition: every record of {@code memmap} is zero (only PFN 0's is checked).
     *
     * @throws IllegalStateException if PFN 0 of {@code memmap} is already in use (the memmap is
     *         managed by another PhysMem)
     */
    public PhysMem(final MemMap memmap)
    {
        this.memmap = memmap;
        this.nrPages = memmap.nrPages();
        this.zoneLock = memmap.atomic() ? new ReentrantLock() : null;
        if (memmap.flags(ZERO_PFN) != 0 || memmap.rawRefcount(ZERO_PFN) != 0)
        {
            throw new IllegalStateException("pfn 0 of " + memmap + " is already in use (flags 0x"
                    + Integer.toHexString(memmap.flags(ZERO_PFN)) + "): the memmap is not fresh");
        }
        Arrays.fill(freeHead, NIL);
        memmap.setFlags(ZERO_PFN, PG_ZERO | PG_RESERVED);
        memmap.setRefcount(ZERO_PFN, 1);
        long pfn = ZERO_PFN + 1;
        while (pfn < nrPages)
        {
            int order = Math.min(MAX_ORDER, Long.numberOfTrailingZeros(pfn));
            while (pfn + (1L << order) > nrPages)
            {
                order--;
            }
            if (order == MAX_ORDER)
            {
                deferredBlocks++; // pfn = MAX_ORDER_NR_PAGES * deferredBlocks: contiguous from the first one
                freeBlocks[MAX_ORDER]++;
            }
            else
            {
                listAdd(pfn, order);
            }
            freePages += 1L << order;
            pfn += 1L << order;
        }
    }

    /** Free max-order blocks whose records are deferred (not linked, still zero); see the class comment. */
    public long deferredBlocks()
    {
        return deferredBlocks;
    }

    /**
     * End (exclusive) of the deferred range: PFNs {@code [MAX_ORDER_NR_PAGES, deferredEndPfn())} are free
     * max-order blocks with zeroed records; equal to {@link #MAX_ORDER_NR_PAGES} when none is deferred.
     */
    public long deferredEndPfn()
    {
        return MAX_ORDER_NR_PAGES * (deferredBlocks + 1);
    }

    /** Whether {@code pfn} lies in a deferred free block (free, its records still zero). */
    public boolean isDeferred(final long pfn)
    {
        return pfn >= MAX_ORDER_NR_PAGES && pfn < deferredEndPfn();
    }

    /**
     * Snapshot hook ({@code io.forksim.snapshot}): the allocator state that lives outside the memmap.
     *
     * @param freeHead   per order 0..10, the PFN of the first free block ({@link PageDescriptor#NIL} = none)
     * @param freeBlocks per order 0..10, the number of free blocks
     * @param freePages  free pages in all orders
     * @param deferredBlocks free max-order blocks at PFNs {@code [MAX_ORDER_NR_PAGES, MAX_ORDER_NR_PAGES *
     *                   (deferredBlocks + 1))} whose records are deferred (counted in {@code freeBlocks[MAX_ORDER]},
     *                   not linked from {@code freeHead})
     */
    public record State(int[] freeHead, long[] freeBlocks, long freePages, long deferredBlocks)
    {
        public State
        {
            freeHead = freeHead.clone();
            freeBlocks = freeBlocks.clone();
        }

        /** A state without deferred blocks (every free block linked in the memmap). */
        public State(final int[] freeHead, final long[] freeBlocks, final long freePages)
        {
            this(freeHead, freeBlocks, freePages, 0);
        }

        @Override
        public int[] freeHead()
        {
            return freeHead.clone();
        }

        @Override
        public long[] freeBlocks()
        {
            return freeBlocks.clone();
        }
    }

    /** Snapshot hook: a copy of the list heads and counts (the lists themselves are in the memmap). */
    public State exportState()
    {
        return new State(freeHead, freeBlocks, freePages, deferredBlocks);
    }

    /**
     * Snapshot hook: an allocator over a memmap whose records (free-list links included) were restored
     * from a snapshot, with the list heads and counts of {@code state}. Unlike the constructor it does not
     * touch the memmap. The caller has checked that the free lists in the memmap match {@code state}.
     *
     * @throws IllegalArgumentException naming the value if {@code state} is malformed: not 11 orders, a
     *         head out of range, counts that do not add up to {@code freePages}, or deferred blocks that do not fit
     */
    public static PhysMem restore(final MemMap memmap, final State state)
    {
        return new PhysMem(memmap, state);
    }

    private PhysMem(final MemMap memmap, final State state)
    {
        this.memmap = memmap;
        this.nrPages = memmap.nrPages();
        this.zoneLock = memmap.atomic() ? new ReentrantLock() : null;
        final int[] heads = state.freeHead;
        final long[] blocks = state.freeBlocks;
        if (heads.length != MAX_ORDER + 1 || blocks.length != MAX_ORDER + 1)
        {
            throw new IllegalArgumentException("allocator state has " + heads.length + " list heads and "
                    + blocks.length + " counts, expected " + (MAX_ORDER + 1));
        }
        final long deferred = state.deferredBlocks;
        if (deferred < 0 || deferred > blocks[MAX_ORDER] || MAX_ORDER_NR_PAGES * (deferred + 1) > nrPages)
        {
            throw new IllegalArgumentException("allocator state has " + deferred + " deferred max-order blocks, of "
                    + blocks[MAX_ORDER] + " free max-order blocks, on " + nrPages + " pages");
        }
        long pages = 0;
        for (int o = 0; o <= MAX_ORDER; o++)
        {
            if (heads[o] != NIL && (heads[o] <= ZERO_PFN || heads[o] >= nrPages))
            {
                throw new IllegalArgumentException("free list head of order " + o + " is pfn " + heads[o]
                        + ", out of range 1.." + (nrPages - 1));
            }
            final long linked = o == MAX_ORDER ? blocks[o] - deferred : blocks[o];
            if (linked < 0 || (linked == 0) != (heads[o] == NIL))
            {
                throw new IllegalArgumentException("free list of order " + o + " has " + blocks[o]
                        + " blocks but head " + heads[o]);
            }
            pages += blocks[o] << o;
        }
        if (pages != state.freePages || pages >= nrPages)
        {
            throw new IllegalArgumentException("free block counts add up to " + pages + " pages, but freePages is "
                    + state.freePages + " (of " + nrPages + ")");
        }
        System.arraycopy(heads, 0, freeHead, 0, heads.length);
        System.arraycopy(blocks, 0, freeBlocks, 0, blocks.length);
        this.freePages = state.freePages;
        this.deferredBlocks = deferred;
    }

    /** The memmap this allocator manages. */
    public MemMap memmap()
    {
        return memmap;
    }

    /**
     * Allocates a naturally aligned block of {@code 2^order} pages and returns its first PFN, or
     * {@link #NO_PFN} if no block of that order or above is free (nothing is changed then). A larger
     * block is split, its unused halves going back to the lower free lists. The block's records are
     * clean (flags 0, counts 0, PageAnonExclusive bytes 0); the caller then calls {@link MemMap#prepFolio}.
     *
     * @throws IllegalArgumentException if {@code order} is not 0..10, naming it
     */
    public long allocPages(final int order)
    {
        final ReentrantLock lock = zoneLock;
        if (lock == null)
        {
            return allocPagesLocked(order);
        }
        lock.lock();
        try
        {
            return allocPagesLocked(order);
        }
        finally
        {
            lock.unlock();
        }
    }

    /** {@link #allocPages} with the zone lock held (or no lock needed). */
    private long allocPagesLocked(final int order)
    {
        PageDescriptor.checkOrder(order);
        if (failAfter >= 0 && failAfter-- == 0)
        {
            failAfter = 0; // keep failing until clearFailureInjection()
            return NO_PFN;
        }
        int o = order;
        while (o < MAX_ORDER && freeHead[o] == NIL)
        {
            o++;
        }
        final long pfn;
        if (freeHead[o] != NIL)
        {
            pfn = freeHead[o];
            listRemove(pfn, o);
        }
        else if (o == MAX_ORDER && deferredBlocks > 0)
        {
            // deferred_grow_zone: the highest deferred block, whose records are still zero (clean)
            pfn = MAX_ORDER_NR_PAGES * deferredBlocks--;
            freeBlocks[MAX_ORDER]--;
        }
        else
        {
            return NO_PFN;
        }
        // expand(): hand the upper halves back, largest first.
        while (o > order)
        {
            o--;
            listAdd(pfn + (1L << o), o);
        }
        freePages -= 1L << order;
        return pfn;
    }

    /**
     * Like {@link #allocPages} but throws when nothing is free.
     *
     * @throws OutOfSimulatedMemoryException naming the order and the free page count
     */
    public long allocPagesOrThrow(final int order)
    {
        final long pfn = allocPages(order);
        if (pfn == NO_PFN)
        {
            throw new OutOfSimulatedMemoryException(order, freePages);
        }
        return pfn;
    }

    /**
     * Frees the block of {@code 2^order} pages at {@code pfn}: zeroes its records and PageAnonExclusive bytes, then
     * merges it with free buddies up to order 10 ({@code __free_one_page}).
     *
     * @throws IllegalArgumentException naming the value if {@code order} is not 0..10, {@code pfn} is
     *         the zero page, out of range or not aligned to {@code order}, or any page of the block
     *         is already free; nothing is changed then
     */
    public void freePages(final long pfn, final int order)
    {
        final ReentrantLock lock = zoneLock;
        if (lock == null)
        {
            freePagesLocked(pfn, order);
            return;
        }
        lock.lock();
        try
        {
            freePagesLocked(pfn, order);
        }
        finally
        {
            lock.unlock();
        }
    }

    /** {@link #freePages} with the zone lock held (or no lock needed). */
    private void freePagesLocked(final long pfn, final int order)
    {
        checkFree(pfn, order);
        memmap.clearBlock(pfn, order);
        long p = pfn;
        int o = order;
        while (o < MAX_ORDER)
        {
            final long buddy = p ^ (1L << o);
            if (buddy >= nrPages || memmap.flags(buddy) != (PG_BUDDY | o))
            {
                break;
            }
            listRemove(buddy, o);
            p = Math.min(p, buddy);
            o++;
        }
        listAdd(p, o);
        freePages += 1L << order;
    }

    private void checkFree(final long pfn, final int order)
    {
        PageDescriptor.checkOrder(order);
        if (pfn == ZERO_PFN)
        {
            throw new IllegalArgumentException("pfn " + pfn + " is the shared zero page and cannot be freed");
        }
        if (pfn < 0 || pfn >= nrPages)
        {
            throw new IllegalArgumentException("pfn " + pfn + " is out of range 1.." + (nrPages - 1));
        }
        if ((pfn & ((1L << order) - 1)) != 0)
        {
            throw new IllegalArgumentException("pfn " + pfn + " is not aligned to order " + order);
        }
        final long nr = 1L << order;
        if (pfn + nr > nrPages)
        {
            throw new IllegalArgumentException("block of order " + order + " at pfn " + pfn
                    + " runs past the last pfn " + (nrPages - 1));
        }
        if (isDeferred(pfn))
        {
            throw alreadyFree(pfn, order, pfn & -MAX_ORDER_NR_PAGES, MAX_ORDER);
        }
        // A free block containing the range: its head is pfn rounded down to its own order.
        for (int o = order; o <= MAX_ORDER; o++)
        {
            final long h = pfn & -(1L << o);
            final int f = memmap.flags(h);
            if ((f & PG_BUDDY) != 0 && PageDescriptor.orderOf(f) >= o)
            {
                throw alreadyFree(pfn, order, h, PageDescriptor.orderOf(f));
            }
        }
        // A free block inside the range.
        for (long q = pfn; q < pfn + nr; q++)
        {
            final int f = memmap.flags(q);
            if ((f & PG_BUDDY) != 0)
            {
                throw alreadyFree(pfn, order, q, PageDescriptor.orderOf(f));
            }
        }
    }

    private static IllegalArgumentException alreadyFree(final long pfn, final int order, final long head,
                                                        final int headOrder)
    {
        return new IllegalArgumentException("pfn " + pfn + " (order " + order + ") is already free: it overlaps"
                + " the free block of order " + headOrder + " at pfn " + head);
    }

    // ---- free lists (mutators; the only code that touches the links) -----------------------------

    private void listAdd(final long pfn, final int order)
    {
        final int next = freeHead[order];
        memmap.setFlags(pfn, PG_BUDDY | order);
        memmap.setRefcount(pfn, next);
        memmap.setMapcount(pfn, NIL);
        memmap.setAux(pfn, 0);
        if (next != NIL)
        {
            memmap.setMapcount(next, (int) pfn);
        }
        freeHead[order] = (int) pfn;
        freeBlocks[order]++;
    }

    private void listRemove(final long pfn, final int order)
    {
        final int next = memmap.rawRefcount(pfn);
        final int prev = memmap.rawMapcount(pfn);
        if (prev != NIL)
        {
            memmap.setRefcount(prev, next);
        }
        else
        {
            freeHead[order] = next;
        }
        if (next != NIL)
        {
            memmap.setMapcount(next, prev);
        }
        memmap.setFlags(pfn, 0);
        memmap.setRefcount(pfn, 0);
        memmap.setMapcount(pfn, 0);
        freeBlocks[order]--;
    }

    // ---- failure injection (test hook) ------------------------------------------------------------

    /** Allocations still allowed before {@link #allocPages} starts failing; -1 = off (the normal state). */
    private long failAfter = -1;

    /**
     * Test hook: the next {@code n} calls of {@link #allocPages} behave normally, every later one returns
     * {@link #NO_PFN} (nothing changed) as if simulated RAM were exhausted, until
     * {@link #clearFailureInjection()}. {@code n = 0} fails the very next allocation. Used to drive every
     * allocation of an operation (populate, a fault, fork's table and eager-copy allocations) into
     * exhaustion. Costs one well-predicted branch per allocation while off.
     *
     * @throws IllegalArgumentException if {@code n} is negative, naming it
     */
    public void failAllocationsAfter(final long n)
    {
        if (n < 0)
        {
            throw new IllegalArgumentException("failAllocationsAfter: n = " + n + " is negative");
        }
        failAfter = n;
    }

    /** Test hook: turns {@link #failAllocationsAfter} off again. */
    public void clearFailureInjection()
    {
        failAfter = -1;
    }

    /** Test hook: allocations left before injected failures start, or -1 when injection is off. */
    public long allocationsBeforeInjectedFailure()
    {
        return failAfter;
    }

    // ---- statistics -----------------------------------------------------------------------------

    /** Free pages in all orders. */
    public long freePageCount()
    {
        return freePages;
    }

    /**
     * Free blocks of exactly {@code order}.
     *
     * @throws IllegalArgumentException if {@code order} is not 0..10, naming it
     */
    public long freeBlockCount(final int order)
    {
        return freeBlocks[PageDescriptor.checkOrder(order)];
    }

    /** The largest order with a free block, or -1 if nothing is free. */
    public int largestFreeOrder()
    {
        for (int o = MAX_ORDER; o >= 0; o--)
        {
            if (freeBlocks[o] != 0)
            {
                return o;
            }
        }
        return -1;
    }

    /** All PFNs of the machine, including the zero page. */
    public long totalPages()
    {
        return nrPages;
    }

    /** Pages the allocator manages: all but the zero page. */
    public long usablePages()
    {
        return nrPages - 1;
    }

    /**
     * Free blocks per order like {@code /proc/buddyinfo}:
     * {@code "Node 0, zone   Normal      1      0 ..."} (11 columns, orders 0..10).
     */
    public String describe()
    {
        final StringBuilder sb = new StringBuilder("Node 0, zone   Normal");
        for (int o = 0; o <= MAX_ORDER; o++)
        {
            sb.append(String.format(" %6d", freeBlocks[o]));
        }
        return sb.toString();
    }

    @Override
    public String toString()
    {
        return "PhysMem[" + freePages + "/" + usablePages() + " pages free]";
    }
}
