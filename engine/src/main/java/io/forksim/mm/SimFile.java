package io.forksim.mm;

import java.util.TreeMap;

/**
 * A file with a simulated page cache: page index -> PFN of an order-0 page-cache folio
 * ({@code PG_FILE}). The page cache holds one reference on each of its folios, as the kernel's does.
 * A page never written has the content token {@link #initialToken(long)}.
 *
 * <p>Two kinds exist: regular files ({@link Machine#createFile}) and the shmem files behind shared
 * anonymous mappings ({@link #isShmem()}: folios are {@code PG_FILE | PG_SWAPBACKED}, pages start zeroed,
 * and the file disappears with its last mapping). Neither has a {@code page_mkwrite} handler, so shared
 * writable mappings of either map pages writable on read faults, as tmpfs does.
 */
public final class SimFile
{
    private final String name;
    private final int id;
    private final long sizePages;
    private final boolean shmem;
    final TreeMap<Long, Long> pageCache = new TreeMap<>();

    SimFile(final String name, final int id, final long sizePages, final boolean shmem)
    {
        this.name = name;
        this.id = id;
        this.sizePages = sizePages;
        this.shmem = shmem;
    }

    /** A shmem file backing a shared anonymous mapping (swap-backed, zero-filled). */
    public boolean isShmem() { return shmem; }

    public String name() { return name; }
    public int id() { return id; }
    public long sizePages() { return sizePages; }

    /** The token of page {@code index} as stored on "disk": unique per file and index. */
    public long initialToken(final long index)
    {
        if (shmem)
        {
            return 0;
        }
        return ((long)(id + 1) << 40) ^ (index + 1) ^ 0x5A5A_0000_0000_0000L;
    }

    /** PFN caching page {@code index}, or -1. */
    public long cachedPfn(final long index)
    {
        final Long pfn = pageCache.get(index);
        return pfn == null ? -1 : pfn;
    }

    public int cachedPages()
    {
        return pageCache.size();
    }

    public java.util.Map<Long, Long> pageCacheView()
    {
        return java.util.Collections.unmodifiableMap(pageCache);
    }
}
