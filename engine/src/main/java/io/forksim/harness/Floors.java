package io.forksim.harness;

/**
 * The floor loops one worker times for one (arch, order), at the floor's position of every round ({@link ForkRun}):
 * {@link FloorLoop} always (per-PTE for order 0, batched otherwise), then, on arm64 at the PTE-mapped orders, the
 * {@link Arm64FloorLoop} of the same order (per-PTE for order 0, batched otherwise). Position k = 0 is the floor the
 * "x floor" ratios are against, k = 1 the arm64 floor of "x arm64 floor".
 */
final class Floors implements AutoCloseable
{
    /** Position of {@link FloorLoop}. */
    static final int FLOOR = 0;
    /** Position of {@link Arm64FloorLoop}, when {@link #count()} is 2. */
    static final int ARCH_FLOOR = 1;

    private final FloorLoop floor;
    /** Null unless {@link #hasArchFloor}. */
    private final Arm64FloorLoop archFloor;
    private final int order;

    private Floors(final FloorLoop floor, final Arm64FloorLoop archFloor, final int order)
    {
        this.floor = floor;
        this.archFloor = archFloor;
        this.order = order;
    }

    /**
     * The floors of {@code arch} at {@code order} (a {@link FolioOrder} value, 9pmd included) over {@code pages} pages
     * mapped as the engine's memory ({@code hugePages} as the machines').
     *
     * @param pages at least 1
     */
    static Floors of(final String arch, final int order, final long pages, final boolean hugePages)
    {
        final FloorPlacement where = FloorPlacement.engine(hugePages);
        final FloorLoop floor = FloorLoop.allocate(where, pages);
        try
        {
            return new Floors(floor, hasArchFloor(arch, order, pages)
                ? Arm64FloorLoop.allocate(where, pages, FolioOrder.order(order)) : null, order);
        }
        catch (final RuntimeException | Error e)
        {
            floor.close();
            throw e;
        }
    }

    /**
     * Whether {@code arch} at {@code order} (a {@link FolioOrder} value) over {@code pages} pages has an arch floor:
     * arm64 at a PTE-mapped order (not 9pmd, whose {@code copy_huge_pmd} has no contpte work) over whole folios.
     */
    static boolean hasArchFloor(final String arch, final int order, final long pages)
    {
        return arch.equals("arm64") && order != FolioOrder.PMD_9 && pages % (1L << FolioOrder.order(order)) == 0;
    }

    /** How many floor loops run at the floor's position: 1, or 2 with the arm64 floor. */
    int count()
    {
        return archFloor == null ? 1 : 2;
    }

    /**
     * Restores floor {@code k}'s parent entries (untimed) and times one pass of it, in ns. Allocates nothing.
     * Precondition: {@code 0 <= k < count()}.
     */
    long timedPass(final int k)
    {
        if (k == FLOOR)
        {
            floor.restoreWritable();
            final long t0 = System.nanoTime();
            floor.pass(FolioOrder.order(order));   // 9pmd: the PTE-level floor of order 9, which copy_huge_pmd undercuts
            return System.nanoTime() - t0;
        }
        archFloor.restoreWritable();
        final long t0 = System.nanoTime();
        archFloor.pass();
        return System.nanoTime() - t0;
    }

    @Override
    public void close()
    {
        try
        {
            floor.close();
        }
        finally
        {
            if (archFloor != null)
            {
                archFloor.close();
            }
        }
    }
}
