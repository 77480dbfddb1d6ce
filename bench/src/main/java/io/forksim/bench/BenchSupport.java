package io.forksim.bench;

import io.forksim.arch.ArchVariant;
import io.forksim.fork.StrategyChoice;
import io.forksim.harness.FloorPlacement;
import io.forksim.harness.PopulatedParent;
import io.forksim.mm.Machine;

import java.lang.foreign.Arena;
import java.util.Locale;

/**
 * Shared pieces of the JMH states: parameter parsing, machine sizing and the benchmark address layout.
 *
 * <p>The {@code config} parameter of the fork benchmarks names an (arch, strategy) pair such as
 * {@code x86_64:folio-batch}. JMH has no way to exclude combinations from a parameter matrix, and
 * {@code contpte-basic} exists only on arm64; one parameter listing only the valid pairs means an invalid
 * combination is never scheduled (no forked JVM, no exception in a {@code @Setup}). An invalid pair given
 * with {@code -p config=...} still fails fast in the trial setup with a message naming it.
 */
public final class BenchSupport
{
    /** Every valid (arch, strategy) pair, in the order the thread's tables list them. */
    public static final String[] CONFIGS = {
        "x86_64:legacy", "x86_64:arch-batch", "x86_64:folio-batch",
        "arm64:legacy", "arm64:arch-batch", "arm64:folio-batch", "arm64:contpte-basic",
    };

    /** Start of the benchmark VMA: the {@link PopulatedParent} region (1 TiB, aligned to every table level). */
    public static final long VA = PopulatedParent.BASE_VA;

    private BenchSupport()
    {
    }

    /** An (arch, strategy) pair parsed from {@code arch:strategy}. */
    public record ArchStrategy(String arch, StrategyChoice strategy)
    {
        public static ArchStrategy parse(final String config)
        {
            final int colon = config.indexOf(':');
            if (colon < 0)
            {
                throw new IllegalArgumentException("config must be arch:strategy (e.g. x86_64:folio-batch), not " + config);
            }
            final String arch = config.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            final StrategyChoice strategy = StrategyChoice.parse(config.substring(colon + 1));
            if (!arch.equals("x86_64") && !arch.equals("arm64"))
            {
                throw new IllegalArgumentException("unknown arch in config " + config + " (expected x86_64 or arm64)");
            }
            if (strategy == StrategyChoice.CONTPTE_BASIC && !arch.equals("arm64"))
            {
                throw new IllegalArgumentException("config " + config + " is not a valid combination: contpte-basic exists only on arm64");
            }
            return new ArchStrategy(arch, strategy);
        }

        /** The machine for this pair: contpte-basic needs the functional-only contpte backend, the others the batched one. */
        public Machine.Config machineConfig(final long ramBytes)
        {
            return BenchSupport.machineConfig(arch, strategy.contpteBasic(), ramBytes);
        }
    }

    public static Machine.Config machineConfig(final String arch, final boolean contpteBasic, final long ramBytes)
    {
        return Machine.Config.of(ArchVariant.of(arch, contpteBasic), ramBytes);
    }

    /**
     * Parses a size with an optional binary suffix: {@code 4096}, {@code 64K}, {@code 16M}, {@code 1G},
     * {@code 2T}. The result must be a positive multiple of 2 MiB (whole PTE tables).
     */
    public static long parseSize(final String s)
    {
        final String t = s.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        if (t.isEmpty())
        {
            throw new IllegalArgumentException("empty size");
        }
        final char last = t.charAt(t.length() - 1);
        final int shift = switch (last)
        {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        final String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        final long v;
        try
        {
            v = Long.parseLong(digits);
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException("not a size: " + s + " (expected e.g. 64M, 1G)");
        }
        if (v <= 0 || v > (1L << (62 - shift)))
        {
            throw new IllegalArgumentException("size out of range: " + s);
        }
        final long bytes = v << shift;
        if (bytes % (2L << 20) != 0)
        {
            throw new IllegalArgumentException("size must be a multiple of 2 MiB (whole PTE tables): " + s);
        }
        return bytes;
    }

    /**
     * Simulated RAM for a benchmark mapping {@code mappedBytes}, with room for {@code extraCopies} further
     * copies of it (COW faults) plus page tables and buddy slack. Simulated RAM costs a memmap record per
     * page, not the bytes themselves.
     */
    public static long ramFor(final long mappedBytes, final int extraCopies)
    {
        final long ram = mappedBytes * (1 + extraCopies) + mappedBytes / 8 + (64L << 20);
        return (ram + (2L << 20) - 1) & -(2L << 20);
    }

    /** Pages of 4 KiB in {@code bytes}. */
    public static long pages(final long bytes)
    {
        return bytes >>> 12;
    }

    /**
     * Where a floor benchmark's {@code arena} parameter puts the floor's data: {@code engine} mapped as the engine's
     * memmap and tables (transparent huge pages), as {@code forksim fork}'s workers time it; {@code confined},
     * {@code shared} or {@code global} in that Java arena on 4 KiB pages (closed with the floor, but the global one).
     *
     * @throws IllegalArgumentException for any other name, naming it
     */
    public static FloorPlacement floorPlacement(final String arena)
    {
        return switch (arena)
        {
            case "engine" -> FloorPlacement.engine(true);
            case "confined" -> FloorPlacement.in(Arena.ofConfined(), true);
            case "shared" -> FloorPlacement.in(Arena.ofShared(), true);
            case "global" -> FloorPlacement.in(Arena.global(), false);
            default -> throw new IllegalArgumentException("arena must be engine, confined, shared or global, not " + arena);
        };
    }
}
