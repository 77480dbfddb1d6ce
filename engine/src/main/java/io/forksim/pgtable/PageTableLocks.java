package io.forksim.pgtable;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Split page-table locks of a concurrent machine: the kernel's PTL ({@code ptlock_ptr(ptdesc)}, taken by
 * {@code pte_offset_map_lock}), as a striped array of locks keyed by the PTE table's PFN.
 *
 * <p>Who takes them: {@code copy_pte_range} (fork) takes the child's (dst) table lock, then the parent's
 * (src) one nested ({@link #lockNested}); page faults, zap (munmap, MADV_DONTNEED, exit), mprotect's
 * {@code change_pte_range} and mremap's {@code move_ptes} take the lock of each table they change. A PTL is
 * held across the folio updates of that table (refcount, mapcount, PageAnonExclusive, the large-mapcount
 * folio lock) and across allocations (the allocator's lock is a leaf); it is never taken while a folio,
 * allocator, swap, table-store or page-cache lock is held.
 *
 * <p>Striping: 1024 {@link ReentrantLock}s, table PFN hashed to a stripe. Unrelated tables can share a
 * stripe, which only costs contention, except for nesting: two forks could each hold one stripe and want the
 * other's. {@link #lockNested} therefore takes the two stripes in stripe order (the kernel's dst-then-src order
 * with lockdep's {@code SINGLE_DEPTH_NESTING} is deadlock-free only because the dst table is new; stripes
 * are not), and takes one stripe only once when both tables hash to it. Reentrant, so a fault that calls
 * {@code do_wp_page} after {@code do_swap_page} on the same table is fine.
 *
 * <p>Single-threaded machines have no instance ({@link PageTables#ptl()} is null) and take no lock.
 */
public final class PageTableLocks
{
    /** log2 of the number of stripes. */
    public static final int STRIPE_BITS = 10;
    public static final int STRIPES = 1 << STRIPE_BITS;

    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

    public PageTableLocks()
    {
        for (int i = 0; i < STRIPES; i++)
        {
            locks[i] = new ReentrantLock();
        }
    }

    /** The stripe of table {@code tablePfn}. */
    public static int stripe(final long tablePfn)
    {
        return (int)((tablePfn * 0x9E37_79B9_7F4A_7C15L) >>> (64 - STRIPE_BITS));
    }

    /** {@code spin_lock(ptl)} of table {@code tablePfn}. */
    public void lock(final long tablePfn)
    {
        locks[stripe(tablePfn)].lock();
    }

    public void unlock(final long tablePfn)
    {
        locks[stripe(tablePfn)].unlock();
    }

    /**
     * copy_pte_range's pair: the dst table's lock and the src table's lock nested, taken in stripe order (one
     * stripe once if both tables share it), so that two forks never wait on each other.
     */
    public void lockNested(final long dstTable, final long srcTable)
    {
        final int d = stripe(dstTable);
        final int s = stripe(srcTable);
        if (d == s)
        {
            locks[d].lock();
        }
        else if (d < s)
        {
            locks[d].lock();
            locks[s].lock();
        }
        else
        {
            locks[s].lock();
            locks[d].lock();
        }
    }

    /** Releases what {@link #lockNested} took. */
    public void unlockNested(final long dstTable, final long srcTable)
    {
        final int d = stripe(dstTable);
        final int s = stripe(srcTable);
        locks[d].unlock();
        if (d != s)
        {
            locks[s].unlock();
        }
    }

    /** Whether the calling thread holds the lock of {@code tablePfn}'s stripe (assertions, tests). */
    public boolean heldByCurrentThread(final long tablePfn)
    {
        return locks[stripe(tablePfn)].isHeldByCurrentThread();
    }
}
