package io.forksim.mem;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The last-level cache as sysfs describes it: the data or unified cache of the highest level. */
class LastLevelCacheTest
{
    private static void index(final Path dir, final int i, final int level, final String type, final String size)
        throws IOException
    {
        final Path idx = Files.createDirectories(dir.resolve("index" + i));
        Files.writeString(idx.resolve("level"), level + "\n");
        Files.writeString(idx.resolve("type"), type + "\n");
        Files.writeString(idx.resolve("size"), size + "\n");
    }

    @Test
    void anEpycWithA32MiBL3HasThatL3AsItsLastLevel(@TempDir final Path dir) throws IOException
    {
        index(dir, 0, 1, "Data", "32K");
        index(dir, 1, 1, "Instruction", "32K");
        index(dir, 2, 2, "Unified", "1024K");
        index(dir, 3, 3, "Unified", "32768K");

        assertThat(LastLevelCache.read(dir)).isEqualTo(new LastLevelCache.Cache(3, 32L << 20));
    }

    @Test
    void instructionCachesAreNeverTheLastLevel(@TempDir final Path dir) throws IOException
    {
        index(dir, 0, 1, "Data", "48K");
        index(dir, 1, 2, "Instruction", "64K");

        assertThat(LastLevelCache.read(dir)).isEqualTo(new LastLevelCache.Cache(1, 48L << 10));
    }

    @Test
    void aHostWithoutCacheDescriptionsHasNone(@TempDir final Path dir)
    {
        assertThat(LastLevelCache.read(dir)).isNull();
        assertThat(LastLevelCache.read(dir.resolve("missing"))).isNull();
    }

    @Test
    void sysfsSizesCarryAnOptionalUnit()
    {
        assertThat(LastLevelCache.parseSize("32768K")).isEqualTo(32L << 20);
        assertThat(LastLevelCache.parseSize("2M")).isEqualTo(2L << 20);
        assertThat(LastLevelCache.parseSize("1G")).isEqualTo(1L << 30);
        assertThat(LastLevelCache.parseSize("4096")).isEqualTo(4096);
        assertThat(LastLevelCache.parseSize("")).isEqualTo(-1);
        assertThat(LastLevelCache.parseSize("lots")).isEqualTo(-1);
    }
}
