package io.forksim.mm;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A slab cache of freed Java objects of one kind ({@code struct kmem_cache}): {@link Machine} keeps one for
 * {@link Mm} ({@code mm_cachep}), {@link Vma} ({@code vm_area_cachep}) and {@link AnonVma} ({@code anon_vma_cachep}),
 * so that a fork whose child a previous child's {@link Mm#mmdrop()} made room for allocates nothing on the Java heap.
 *
 * <p>A LIFO free list in an array that grows by doubling up to {@code limit} objects and is kept; beyond the limit a
 * freed object is left to the garbage collector. Thread safety: on a concurrent machine every alloc and free takes
 * the cache's own lock (one list per cache, no per-CPU lists); on a single-threaded machine no lock is taken.
 *
 * @param <T> the kind of object cached
 */
final class KmemCache<T>
{
    private static final int INITIAL_SLOTS = 4;

    private final String name;
    private final int limit;
    /** The cache's lock on a concurrent machine, null when single-threaded. */
    private final ReentrantLock lock;
    private Object[] free = new Object[INITIAL_SLOTS];
    private int nrFree;

    /** Preconditions: {@code limit >= 1}. */
    KmemCache(final String name, final int limit, final boolean concurrent)
    {
        this.name = name;
        this.limit = limit;
        this.lock = concurrent ? new ReentrantLock() : null;
    }

    /** {@code kmem_cache_alloc}: the most recently freed object, or null when the cache is empty (the caller news one). */
    @SuppressWarnings("unchecked")
    T alloc()
    {
        if (lock != null)
        {
            lock.lock();
        }
        try
        {
            if (nrFree == 0)
            {
                return null;
            }
            final T obj = (T)free[--nrFree];
            free[nrFree] = null;
            return obj;
        }
        finally
        {
            if (lock != null)
            {
                lock.unlock();
            }
        }
    }

    /**
     * {@code kmem_cache_free}: keeps {@code obj} for the next {@link #alloc()} (unless {@code limit} objects are kept
     * already). Precondition: nothing uses {@code obj} any more and it is not in the cache.
     */
    void free(final T obj)
    {
        if (lock != null)
        {
            lock.lock();
        }
        try
        {
            if (nrFree == limit)
            {
                return;
            }
            if (nrFree == free.length)
            {
                free = Arrays.copyOf(free, Math.min(limit, nrFree * 2));
            }
            free[nrFree++] = obj;
        }
        finally
        {
            if (lock != null)
            {
                lock.unlock();
            }
        }
    }

    /** Objects in the cache now. */
    int freeCount()
    {
        return nrFree;
    }

    @Override
    public String toString()
    {
        return name + " (" + nrFree + " free)";
    }
}
