package io.forksim.snapshot;

import io.forksim.mm.Machine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The bytes on disk are the ones {@link SnapshotFormat}'s rulers describe, and a file of this format version loads. */
class SnapshotFormatTest
{
    /**
     * A snapshot of {@code SnapshotFixtures.busy(config("x86_64", false))} with the metadata {@code test=busy}, in
     * format version 4. When the format version changes, this file must be replaced by one of the new version.
     */
    private static final String BUSY_V4 = "busy-x86_64-v4.snap.gz";

    @TempDir
    Path dir;

    private Path resource(final String name) throws IOException
    {
        final Path p = dir.resolve(name.replace(".gz", ""));
        try (InputStream in = new GZIPInputStream(SnapshotFormatTest.class.getResourceAsStream(name)))
        {
            Files.copy(in, p);
        }
        return p;
    }

    private static ByteBuffer le(final byte[] bytes)
    {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void theHeaderHoldsEachFieldWhereTheRulerPutsIt() throws IOException
    {
        final Path file = dir.resolve("h.snap");
        final Machine.Config cfg = Machine.Config.of("arm64", 64L << 20).withSwap(16L << 20).withTlbiRange(true).withConcurrent(true);
        final Snapshot.Info info;
        final long deferred;
        try (Machine m = new Machine(cfg))
        {
            info = Snapshot.save(m, file, Map.of("k", "v"));
            deferred = m.phys().deferredBlocks();
        }
        final byte[] all = Files.readAllBytes(file);
        final ByteBuffer b = le(all);
        assertThat(new String(all, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("FORKSIM\0");
        assertThat(b.getInt(8)).isEqualTo(4);
        assertThat(b.getInt(12)).isEqualTo(4096);
        assertThat(b.getLong(16)).isEqualTo(all.length).isEqualTo(info.fileBytes());
        assertThat(b.getInt(24)).as("arch arm64").isEqualTo(2);
        assertThat(b.getInt(28)).as("flags T (tlbiRange) and C (concurrent)").isEqualTo(0b101);
        assertThat(b.getLong(32)).isEqualTo(64L << 20);
        assertThat(b.getLong(40)).isEqualTo(16L << 20);
        assertThat(b.getLong(48)).isEqualTo(info.createdMillis());
        assertThat(b.getInt(56)).isEqualTo(11);
        assertThat(b.getInt(60)).isZero();
        final List<String> names = List.of("meta", "machine", "files", "processes", "memmap-records", "memmap-tokens",
            "memmap-anon-exclusive", "page-tables", "swap-counts", "swap-tokens", "swap-cache");
        long end = 4096;
        for (int i = 0; i < 11; i++)
        {
            final int e = 64 + 32 * i;
            final Snapshot.Section s = info.sections().get(i);
            assertThat(s.name()).isEqualTo(names.get(i));
            assertThat(b.getInt(e)).as("id of " + s.name()).isEqualTo(i + 1);
            assertThat(b.getLong(e + 8)).as("offset of " + s.name()).isEqualTo(s.offset()).isEqualTo(end);
            assertThat(b.getLong(e + 16)).as("length of " + s.name()).isEqualTo(s.length());
            assertThat(b.getLong(e + 24)).isZero();
            final CRC32C c = new CRC32C();
            c.update(all, (int)s.offset(), (int)s.length());
            assertThat(b.getInt(e + 4)).as("CRC32C of " + s.name()).isEqualTo((int)c.getValue()).isEqualTo(s.crc32c());
            end += s.length();
        }
        assertThat(Arrays.copyOfRange(all, 416, 4092)).containsOnly(0);
        final CRC32C h = new CRC32C();
        h.update(all, 0, 4092);
        assertThat(b.getInt(4092)).isEqualTo((int)h.getValue());
        assertThat(all.length).isEqualTo((end + 4095) / 4096 * 4096);
        assertThat(Arrays.copyOfRange(all, (int)end, all.length)).containsOnly(0);

        // machine: the deferred max-order blocks at +84 (16,384 pages: blocks 1024..15360 of the 16 max-order ones)
        assertThat(deferred).isEqualTo(15);
        assertThat(b.getInt((int)info.section("machine").offset() + 84)).isEqualTo(15);

        // meta: u32 n, u32 0, then key "k" and value "v", each u32 length, the byte, zero padding to 8
        final int meta = (int)info.section("meta").offset();
        assertThat(info.section("meta").length()).isEqualTo(8 + 8 + 8);
        assertThat(b.getInt(meta)).isEqualTo(1);
        assertThat(Arrays.copyOfRange(all, meta + 8, meta + 24)).containsExactly(1, 0, 0, 0, 'k', 0, 0, 0, 1, 0, 0, 0, 'v', 0, 0, 0);
    }

    @Test
    void aFormat4FileLoadsAndSavesAgainToTheSameBytes() throws IOException
    {
        final Path old = resource(BUSY_V4);
        final Snapshot.Info info = Snapshot.info(old, true);
        assertThat(info.formatVersion()).isEqualTo(4);
        assertThat(info.config()).isEqualTo(SnapshotFixtures.config("x86_64", false));
        assertThat(info.meta()).isEqualTo(Map.of("test", "busy"));
        assertThat(info.processes()).hasSize(3);
        final Path again = dir.resolve("again.snap");
        try (Machine m = Snapshot.load(old))
        {
            Snapshot.save(m, again, info.meta());
        }
        final byte[] a = Files.readAllBytes(old);
        final byte[] b = Files.readAllBytes(again);
        assertThat(b).hasSameSizeAs(a);
        // all but the creation time (48..55) and, with it, the header's CRC32C (4092..4095)
        Arrays.fill(a, 48, 56, (byte)0);
        Arrays.fill(b, 48, 56, (byte)0);
        Arrays.fill(a, 4092, 4096, (byte)0);
        Arrays.fill(b, 4092, 4096, (byte)0);
        assertThat(Arrays.mismatch(a, b)).as("first differing byte").isEqualTo(-1);
    }
}
