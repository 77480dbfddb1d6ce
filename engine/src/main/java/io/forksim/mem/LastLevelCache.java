package io.forksim.mem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The host's last-level cache (on the scale run's host, a 32 MiB L3), as Linux describes it under
 * {@code /sys/devices/system/cpu/cpu0/cache/index*}: the unified or data cache of the highest {@code level}.
 *
 * <p>Why the scale run prints it: a fork whose working set (the bytes it touches, {@link CopyBandwidth#bytesPerPage})
 * fits in this cache runs from it, one that does not runs from DRAM, and the engine's fork costs more per page from
 * DRAM (scale.md, "What grows with size"). A baseline that fits compares a cache-resident fork with a DRAM one.
 */
public final class LastLevelCache
{
    /** A cache: its level (1..) and size in bytes. */
    public record Cache(int level, long bytes)
    {
    }

    private static final Path CPU0_CACHE = Path.of("/sys/devices/system/cpu/cpu0/cache");

    private LastLevelCache()
    {
    }

    /** The last-level cache of this host's CPU 0, or null where Linux does not describe it. */
    public static Cache host()
    {
        return read(CPU0_CACHE);
    }

    /**
     * The last-level cache described under {@code dir} (a {@code .../cpuN/cache} directory: {@code index0..} each with
     * {@code level}, {@code type} and {@code size}), or null if none is readable. Instruction caches are skipped.
     */
    static Cache read(final Path dir)
    {
        Cache best = null;
        for (int i = 0; i < 16; i++)
        {
            final Path idx = dir.resolve("index" + i);
            if (!Files.isDirectory(idx))
            {
                continue;
            }
            try
            {
                final String type = Files.readString(idx.resolve("type")).trim();
                if (type.equals("Instruction"))
                {
                    continue;
                }
                final int level = Integer.parseInt(Files.readString(idx.resolve("level")).trim());
                final long bytes = parseSize(Files.readString(idx.resolve("size")).trim());
                if (bytes > 0 && (best == null || level > best.level()))
                {
                    best = new Cache(level, bytes);
                }
            }
            catch (final IOException | RuntimeException e)
            {
                // an unreadable index: skipped
            }
        }
        return best;
    }

    /**
     * A sysfs cache size: a number of bytes with an optional K, M or G suffix ({@code 32768K}); -1 if it is none.
     */
    static long parseSize(final String s)
    {
        if (s.isEmpty())
        {
            return -1;
        }
        final char unit = Character.toUpperCase(s.charAt(s.length() - 1));
        final int shift = switch (unit)
        {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            default -> 0;
        };
        final String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        try
        {
            return Long.parseLong(digits.toLowerCase(Locale.ROOT)) << shift;
        }
        catch (final NumberFormatException e)
        {
            return -1;
        }
    }
}
