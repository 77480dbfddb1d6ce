package io.forksim.mem;

/**
 * The simulated machine has no free block of the requested order or above
 * ({@link PhysMem#allocPagesOrThrow}). The allocator is unchanged when this is thrown.
 */
public final class OutOfSimulatedMemoryException extends RuntimeException
{

    private static final long serialVersionUID = 1L;

    private final int order;
    private final long freePages;

    public OutOfSimulatedMemoryException(final int order, final long freePages)
    {
        super("out of simulated memory: no free block of order " + order + " or above ("
                + freePages + " free pages)");
        this.order = order;
        this.freePages = freePages;
    }

    /**
     * For a failure outside the buddy allocator's own API (e.g. a multi-step operation that ran
     * out); {@link #order()} and {@link #freePages()} are -1.
     */
    public OutOfSimulatedMemoryException(final String message)
    {
        super(message);
        this.order = -1;
        this.freePages = -1;
    }

    /** The order that was requested, or -1 if not known. */
    public int order()
    {
        return order;
    }

    /** Free pages (in smaller blocks) when the allocation failed, or -1 if not known. */
    public long freePages()
    {
        return freePages;
    }
}
