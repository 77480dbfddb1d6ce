package io.forksim.mem;

import java.util.Locale;

/**
 * The host has not the memory an engine structure must commit ahead of use (e.g. the page tables a fork will write,
 * {@code TableStore#ensureCommitted}): thrown before anything is committed, so the simulated machine and its
 * processes are as they were.
 */
public final class HostMemoryException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final long neededBytes;
    private final long availableBytes;

    /**
     * @param neededBytes    bytes that would have to be committed
     * @param availableBytes the host's available memory ({@code MemAvailable})
     * @param what           what the memory is for, e.g. "page tables for 524288 more table pages"
     */
    public HostMemoryException(final long neededBytes, final long availableBytes, final String what)
    {
        super(String.format(Locale.ROOT, "host memory: %s need %.2f GiB committed, the host has %.2f GiB available",
            what, neededBytes / (double)(1L << 30), availableBytes / (double)(1L << 30)));
        this.neededBytes = neededBytes;
        this.availableBytes = availableBytes;
    }

    /** Bytes that would have had to be committed. */
    public long neededBytes()
    {
        return neededBytes;
    }

    /** The host's available memory when the commit was refused. */
    public long availableBytes()
    {
        return availableBytes;
    }
}
