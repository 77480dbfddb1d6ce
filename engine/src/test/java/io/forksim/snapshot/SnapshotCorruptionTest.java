package io.forksim.snapshot;

import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import io.forksim.mm.Machine;
import io.forksim.snapshot.SnapshotFormatException.Kind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every way a snapshot file can be bad gives one {@link SnapshotFormatException} naming the file and the problem, and
 * neither builds a machine nor leaves the file mapped.
 */
class SnapshotCorruptionTest
{
    @TempDir
    static Path shared;
    private static Path good;
    private static Snapshot.Info goodInfo;

    @TempDir
    Path dir;

    @BeforeEach
    void saveOnce() throws IOException
    {
        if (good == null)
        {
            good = shared.resolve("good.snap");
            try (Machine m = SnapshotFixtures.busy(SnapshotFixtures.config("x86_64", false)))
            {
                goodInfo = Snapshot.save(m, good);
            }
        }
    }

    private Path copy(final String name) throws IOException
    {
        final Path p = dir.resolve(name);
        Files.copy(good, p, StandardCopyOption.REPLACE_EXISTING);
        return p;
    }

    private static SnapshotFormatException loadFails(final Path file, final Kind kind, final String... words)
    {
        final long mapsBefore = mappingsOf(file);
        final SnapshotFormatException e = (SnapshotFormatException)org.assertj.core.api.Assertions.catchThrowable(() -> Snapshot.load(file));
        assertThat(e).as("load of " + file).isNotNull();
        assertThat(e.kind()).as(e.getMessage()).isEqualTo(kind);
        assertThat(e.getMessage()).startsWith("snapshot " + file + ": ").doesNotContain("\n");
        for (final String w : words)
        {
            assertThat(e.getMessage()).contains(w);
        }
        assertThat(mappingsOf(file)).as("the file is unmapped again").isEqualTo(mapsBefore).isZero();
        // info with full verification says the same
        assertThatThrownBy(() -> Snapshot.info(file, true)).isInstanceOf(SnapshotFormatException.class).hasMessage(e.getMessage());
        return e;
    }

    /** Lines of /proc/self/maps naming {@code file} (0 on systems without it). */
    private static long mappingsOf(final Path file)
    {
        try
        {
            final Path maps = Path.of("/proc/self/maps");
            if (!Files.exists(maps))
            {
                return 0;
            }
            try (var lines = Files.lines(maps))
            {
                return lines.filter(l -> l.endsWith(" " + file.toAbsolutePath())).count();
            }
        }
        catch (final IOException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static void patch(final Path file, final long at, final byte[] bytes) throws IOException
    {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw"))
        {
            f.seek(at);
            f.write(bytes);
        }
    }

    private static void patchLong(final Path file, final long at, final long v) throws IOException
    {
        patch(file, at, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    private static void patchInt(final Path file, final long at, final int v) throws IOException
    {
        patch(file, at, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    /** Recomputes every section's CRC32C and the header's, as a careful forger would. */
    private static void reseal(final Path file) throws IOException
    {
        final byte[] all = Files.readAllBytes(file);
        final ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        final int n = b.getInt(56);
        for (int i = 0; i < n; i++)
        {
            final int e = 64 + 32 * i;
            final CRC32C c = new CRC32C();
            c.update(all, (int)b.getLong(e + 8), (int)b.getLong(e + 16));
            b.putInt(e + 4, (int)c.getValue());
        }
        final CRC32C h = new CRC32C();
        h.update(all, 0, Snapshot.HEADER_BYTES - 4);
        b.putInt(Snapshot.HEADER_BYTES - 4, (int)h.getValue());
        Files.write(file, all);
    }

    private static long sectionStart(final String name)
    {
        return goodInfo.section(name).offset();
    }

    @Test
    void theGoodFileLoads() throws IOException
    {
        Snapshot.load(copy("ok.snap")).close();
        assertThat(mappingsOf(dir.resolve("ok.snap"))).isZero();
    }

    @Test
    void truncatedFiles() throws IOException
    {
        final Path p = copy("cut.snap");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw"))
        {
            f.setLength(goodInfo.fileBytes() - 100);
        }
        loadFails(p, Kind.TRUNCATED, "truncated", (goodInfo.fileBytes() - 100) + " bytes", "header says " + goodInfo.fileBytes());
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw"))
        {
            f.setLength(1000);
        }
        loadFails(p, Kind.TRUNCATED, "1000 bytes, shorter than the 4096-byte header");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw"))
        {
            f.setLength(5);
        }
        loadFails(p, Kind.NOT_A_SNAPSHOT, "5 bytes");
        Files.write(p, new byte[0]);
        loadFails(p, Kind.NOT_A_SNAPSHOT, "0 bytes");
    }

    @Test
    void trailingBytes() throws IOException
    {
        final Path p = copy("long.snap");
        Files.write(p, new byte[16], java.nio.file.StandardOpenOption.APPEND);
        loadFails(p, Kind.TRUNCATED, "trailing bytes");
    }

    @Test
    void wrongMagic() throws IOException
    {
        final Path p = copy("magic.snap");
        patch(p, 0, "NOTFORKS".getBytes());
        loadFails(p, Kind.NOT_A_SNAPSHOT, "not a forksim snapshot", "\"NOTFORKS\"");
        final Path text = dir.resolve("notes.txt");
        Files.writeString(text, "just some text that is longer than a header would be? no, but longer than 8 bytes");
        loadFails(text, Kind.NOT_A_SNAPSHOT, "not a forksim snapshot");
    }

    @Test
    void wrongVersion() throws IOException
    {
        // versions 1 (PageAnonExclusive as a bitmap section) and 2 (as a bit of the flags word, no section), refused
        // before their sections are read
        for (final int old : new int[] {1, 2, 3})
        {
            final Path p = copy("v" + old + ".snap");
            patchInt(p, 8, old);
            reseal(p);
            loadFails(p, Kind.VERSION, "format version " + old, "reads version 4 (save the snapshot again)");
        }
        final Path q = copy("v5.snap");
        patchInt(q, 8, 5);
        reseal(q);
        loadFails(q, Kind.VERSION, "format version 5", "reads version 4");
        patchInt(q, 8, 5);   // even without a valid checksum the version is what is reported
        loadFails(q, Kind.VERSION, "format version 5");
    }

    @Test
    void corruptHeader() throws IOException
    {
        final Path p = copy("hdr.snap");
        patchLong(p, 32, 128L << 20);   // RAM size
        loadFails(p, Kind.CHECKSUM, "corrupt header");
    }

    @Test
    void corruptSectionsNameTheSection() throws IOException
    {
        for (final String s : new String[] {"meta", "machine", "processes", "memmap-records", "memmap-tokens", "memmap-anon-exclusive",
            "page-tables", "swap-counts"})
        {
            final Path p = copy(s + ".snap");
            final Snapshot.Section sec = goodInfo.section(s);
            final long at = sec.offset() + sec.length() / 2;
            final byte[] one = Files.readAllBytes(p);
            patch(p, at, new byte[] {(byte)(one[(int)at] ^ 0x10)});
            loadFails(p, Kind.CHECKSUM, "corrupt section " + s);
        }
    }

    @Test
    void inconsistentButWellSealedFiles() throws IOException
    {
        // the allocator's free page count disagrees with its lists
        final Path free = copy("free.snap");
        final long machine = sectionStart("machine");
        final long freePagesAt = machine + 8 + 8 + 4 + 4 + 8 + 4 + 4 + 11 * 4 + 4 + 11 * 8;
        final long freePages = ByteBuffer.wrap(Files.readAllBytes(free)).order(ByteOrder.LITTLE_ENDIAN).getLong((int)freePagesAt);
        assertThat(freePages).isEqualTo(goodInfo.freePages());
        patchLong(free, freePagesAt, freePages + 1);
        reseal(free);
        loadFails(free, Kind.INCONSISTENT, "free lists hold " + freePages + " pages");

        // a process's pgd is not a page-table page
        final Path pgd = copy("pgd.snap");
        patchLong(pgd, sectionStart("processes") + 8 + 8, 0);
        reseal(pgd);
        loadFails(pgd, Kind.INCONSISTENT, "mm#1", "pfn 0 is not a page-table page");

        // a memmap record of a free block head loses its buddy flag
        final Path rec = copy("rec.snap");
        try (Machine m = Snapshot.load(good))
        {
            final int[] heads = m.phys().exportState().freeHead();
            int o = PhysMem.MAX_ORDER;
            while (heads[o] == PageDescriptor.NIL)
            {
                o--;
            }
            final long head = heads[o];
            try (Machine scratch = Snapshot.load(good))
            {
                scratch.memmap().setFlags(head, 0);
                Snapshot.save(scratch, rec);
            }
            loadFails(rec, Kind.INCONSISTENT, "free list of order " + o, "pfn " + head);

            // a deferred free block (records not yet initialised) has a record
            final Path deferred = copy("deferred.snap");
            assertThat(m.phys().deferredBlocks()).as("deferred blocks in the fixture").isPositive();
            final long block = PhysMem.MAX_ORDER_NR_PAGES;
            try (Machine scratch = Snapshot.load(good))
            {
                scratch.memmap().setFlags(block, PageDescriptor.PG_ANON);
                Snapshot.save(scratch, deferred);
            }
            loadFails(deferred, Kind.INCONSISTENT, "deferred free block pfn " + block + " has a record (flags 0x"
                + Integer.toHexString(PageDescriptor.PG_ANON) + ")");
        }

        // a section with a bad structure
        final Path runs = copy("runs.snap");
        patchLong(runs, sectionStart("memmap-records"), PageDescriptor.recordsLength(1));
        reseal(runs);
        loadFails(runs, Kind.INCONSISTENT, "section memmap-records", "segment length");

        // the PageAnonExclusive section with 8-byte elements (as version 1's bitmap had): the byte map has 1-byte ones
        final Path pae = copy("pae.snap");
        patchInt(pae, sectionStart("memmap-anon-exclusive") + 8, 8);
        reseal(pae);
        loadFails(pae, Kind.INCONSISTENT, "section memmap-anon-exclusive", "element/block size 8/65536, expected 1/65536");
    }

    @Test
    void aFieldBeyondTheEndOfItsSectionIsNamed() throws IOException
    {
        // the meta section (no entries: 8 bytes) claims one entry, whose key would follow the section's end
        final Path p = copy("meta-count.snap");
        final long meta = sectionStart("meta");
        assertThat(goodInfo.section("meta").length()).isEqualTo(8);
        patchInt(p, meta, 1);
        reseal(p);
        loadFails(p, Kind.INCONSISTENT, "section meta: key length runs past the end of the section (4 bytes needed at offset "
            + (meta + 8) + ", 0 left)");

        // the processes section with 8 bytes more than its processes use
        final Path q = copy("procs-tail.snap");
        final long procs = sectionStart("processes");
        final int n = ByteBuffer.wrap(Files.readAllBytes(q)).order(ByteOrder.LITTLE_ENDIAN).getInt((int)procs);
        patchInt(q, procs, n - 1);
        reseal(q);
        loadFails(q, Kind.INCONSISTENT, "section processes:", "unexpected bytes at the end of the section");
    }

    @Test
    void missingFileIsAnIoErrorNamingIt()
    {
        final Path p = dir.resolve("nope.snap");
        assertThatThrownBy(() -> Snapshot.load(p)).isInstanceOf(NoSuchFileException.class).hasMessageContaining(p.toString());
    }

    @Test
    void aFailedSaveLeavesTheOldFileAlone() throws IOException
    {
        final Path p = copy("keep.snap");
        final byte[] before = Files.readAllBytes(p);
        try (Machine m = new Machine(Machine.Config.of("x86_64", 64L << 20)))
        {
            assertThatThrownBy(() -> Snapshot.save(m, dir.resolve("no-such-dir").resolve("x.snap")))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("no-such-dir");
        }
        assertThat(Files.readAllBytes(p)).isEqualTo(before);
        assertThat(MemorySegment.ofArray(before).byteSize()).isEqualTo(goodInfo.fileBytes());
    }
}
