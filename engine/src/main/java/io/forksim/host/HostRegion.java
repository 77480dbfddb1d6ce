package io.forksim.host;

import java.lang.foreign.MemorySegment;

/**
 * SIZE bytes of anonymous private memory at a 2 MiB-aligned address, with a PROT_NONE guard page on each side so
 * the region stays one VMA of its own (it never merges with a neighbour, and its smaps entry is exactly it):
 * <pre>
 *   | unmapped | guard (PROT_NONE, 4K) | region: SIZE, 2 MiB aligned | guard (PROT_NONE, 4K) | unmapped |
 * </pre>
 * Closing unmaps the region and both guards.
 */
public final class HostRegion implements AutoCloseable
{
    public static final long PAGE = 4096;
    public static final long PMD_SIZE = 2L << 20;

    private final long start;
    private final long len;
    private final MemorySegment segment;
    private boolean closed;

    /**
     * Maps the region.
     *
     * <p>Precondition: {@code len} is a positive multiple of 2 MiB.
     */
    public HostRegion(final long len)
    {
        if (len <= 0 || len % PMD_SIZE != 0)
        {
            throw new IllegalArgumentException("region size must be a positive multiple of 2 MiB: " + len);
        }
        final long total = len + PMD_SIZE + 2 * PAGE;
        final MemorySegment raw = LibC.mmapAnon(total);
        final long rawStart = raw.address();
        final long s = (rawStart + PAGE + PMD_SIZE - 1) & -PMD_SIZE;
        try
        {
            if (s - PAGE > rawStart)
            {
                LibC.munmap(rawStart, s - PAGE - rawStart);
            }
            final long tail = s + len + PAGE;
            if (rawStart + total > tail)
            {
                LibC.munmap(tail, rawStart + total - tail);
            }
            LibC.mprotect(s - PAGE, PAGE, LibC.PROT_NONE);
            LibC.mprotect(s + len, PAGE, LibC.PROT_NONE);
        }
        catch (final HostException e)
        {
            LibC.munmap(rawStart, total);
            throw e;
        }
        this.start = s;
        this.len = len;
        this.segment = MemorySegment.ofAddress(s).reinterpret(len);
    }

    public long start()
    {
        return start;
    }

    public long len()
    {
        return len;
    }

    public long pages()
    {
        return len / PAGE;
    }

    /** The region's memory, for touching. */
    public MemorySegment segment()
    {
        return segment;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            LibC.munmap(start - PAGE, len + 2 * PAGE);
        }
    }
}
