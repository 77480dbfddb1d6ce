package io.forksim.harness;

import java.lang.foreign.Arena;

/**
 * Where a floor loop's data ({@link FloorData}) is mapped: as the engine's memmap and page tables ({@link #engine}:
 * an {@code OffHeapArena}, transparent huge pages when {@code hugePages}; what {@code forksim fork}'s workers and the
 * bench module's floor benchmarks use by default), or in a Java {@link Arena} on 4 KiB pages ({@link #in}).
 *
 * @param arena     the Java arena, null for the engine's mapping
 * @param owns      whether the floor's {@code close} closes {@code arena} (false for the global arena or one the
 *                  caller closes); false for the engine's mapping, which the floor always unmaps
 * @param hugePages for the engine's mapping: with transparent huge pages (as {@code Machine.Config.hugePages})
 */
public record FloorPlacement(Arena arena, boolean owns, boolean hugePages)
{
    /** Mapped as the engine's memmap and tables, with transparent huge pages when {@code hugePages}. */
    public static FloorPlacement engine(final boolean hugePages)
    {
        return new FloorPlacement(null, false, hugePages);
    }

    /** In {@code arena} (4 KiB pages); the floor closes it when {@code owns}. Precondition: {@code arena} not null. */
    public static FloorPlacement in(final Arena arena, final boolean owns)
    {
        return new FloorPlacement(arena, owns, false);
    }
}
