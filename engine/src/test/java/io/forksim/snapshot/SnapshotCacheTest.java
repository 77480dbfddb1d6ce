package io.forksim.snapshot;

import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.ProcessCheckpoint;
import io.forksim.snapshot.SnapshotFormatException.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code fork --snapshot FILE}: reuse the populated parent when FILE holds it, else populate and save. */
class SnapshotCacheTest
{
    private static final long BASE = 1L << 40;
    private static final long SIZE = 32L << 20;

    @TempDir
    Path dir;

    private final List<String> status = new ArrayList<>();

    private SnapshotCache.Loaded get(final Path file, final Machine.Config cfg, final int order) throws Exception
    {
        return SnapshotCache.loadOrCreate(file, cfg, BASE, SIZE, order, status::add);
    }

    @Test
    void createsThenReusesAnIdenticalParent() throws Exception
    {
        final Path file = dir.resolve("parent.snap");
        final Machine.Config cfg = Machine.Config.of("arm64", 256L << 20);
        final List<String> created;
        try (SnapshotCache.Loaded a = get(file, cfg, 4))
        {
            assertThat(a.reused()).isFalse();
            assertThat(a.origin()).isEqualTo(ParentOrigin.CREATED);
            assertThat(a.reason()).isEqualTo("does not exist yet");
            assertThat(a.saveError()).isNull();
            assertThat(status.getLast()).contains("does not exist yet", "populating");
            assertThat(Files.exists(file)).isTrue();
            created = SnapshotFixtures.digest(a.machine());
        }
        try (SnapshotCache.Loaded b = get(file, cfg, 4))
        {
            assertThat(b.reused()).isTrue();
            assertThat(b.origin()).isEqualTo(ParentOrigin.REUSED);
            assertThat(b.reason()).isNull();
            assertThat(b.nanos()).isPositive();
            assertThat(status.getLast()).contains("reusing");
            assertThat(b.parent()).isSameAs(b.machine().processes().getFirst());
            assertThat(SnapshotFixtures.diff(created, SnapshotFixtures.digest(b.machine()))).isNull();
            // what ForkBench does with it
            try (ProcessCheckpoint cp = ProcessCheckpoint.capture(b.parent()))
            {
                final Mm child = Fork.fork(b.parent(), Strategy.FOLIO_BATCH);
                InvariantChecker.check(b.machine());
                child.exit();
                cp.restore();
                // the parent is as loaded (the allocator's free lists are not: the child's pages went back)
                assertThat(SnapshotFixtures.diff(processLines(created), processLines(SnapshotFixtures.digest(b.machine())))).isNull();
            }
        }
    }

    private static List<String> processLines(final List<String> digest)
    {
        final int from = digest.indexOf(digest.stream().filter(l -> l.startsWith("mm#")).findFirst().orElseThrow());
        return digest.subList(from, digest.size());
    }

    @Test
    void anotherSetupOrACorruptFileIsReplaced() throws Exception
    {
        final Path file = dir.resolve("p.snap");
        final Machine.Config cfg = Machine.Config.of("x86_64", 128L << 20);
        get(file, cfg, 0).close();
        try (SnapshotCache.Loaded l = get(file, cfg, 9))
        {
            assertThat(l.origin()).isEqualTo(ParentOrigin.RECREATED_STALE);
            assertThat(l.reason()).isEqualTo("holds another setup (fork.order=0, wanted 9)");
        }
        assertThat(status.getLast()).contains("holds another setup", "fork.order=0, wanted 9");
        try (SnapshotCache.Loaded l = get(file, cfg.withSwap(4L << 20), 9))
        {
            assertThat(l.origin()).isEqualTo(ParentOrigin.RECREATED_STALE);
            assertThat(l.reason()).startsWith("holds another machine");
        }
        assertThat(status.getLast()).contains("holds another machine");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw"))
        {
            f.setLength(f.length() / 2);
        }
        try (SnapshotCache.Loaded l = get(file, cfg.withSwap(4L << 20), 9))
        {
            assertThat(status.getLast()).contains("truncated", "populating");
            assertThat(l.reused()).isFalse();
            assertThat(l.origin()).isEqualTo(ParentOrigin.RECREATED_CORRUPT);
            assertThat(l.reason()).contains("truncated");
        }
        try (SnapshotCache.Loaded l = get(file, cfg.withSwap(4L << 20), 9))
        {
            assertThat(l.reused()).isTrue();
        }
    }

    @Test
    void aFileThatIsNotASnapshotIsNeverOverwritten() throws Exception
    {
        final Path file = dir.resolve("thesis.tex");
        Files.writeString(file, "\\documentclass{article} ... years of work ...");
        assertThatThrownBy(() -> get(file, Machine.Config.of("x86_64", 128L << 20), 0))
            .isInstanceOfSatisfying(SnapshotFormatException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_A_SNAPSHOT))
            .hasMessageContaining("not a forksim snapshot").hasMessageContaining("refusing to overwrite");
        assertThat(Files.readString(file)).startsWith("\\documentclass");
        assertThatThrownBy(() -> SnapshotCache.refuseForeignFile(file)).hasMessageContaining("refusing to overwrite");
        SnapshotCache.refuseForeignFile(dir.resolve("missing.snap"));
        final Path truncated = dir.resolve("t.snap");
        Files.write(truncated, new byte[] {'F', 'O', 'R', 'K', 'S', 'I', 'M', 0, 1});
        SnapshotCache.refuseForeignFile(truncated);   // a broken snapshot is replaced, not refused
    }

    @Test
    void oneFilePerConfiguration()
    {
        final Path f = dir.resolve("parent.snap");
        assertThat(SnapshotCache.fileFor(f, "x86_64", 1L << 30, 0, false, true)).isEqualTo(f);
        assertThat(SnapshotCache.fileFor(f, "arm64", 1L << 30, 9, false, false)).isEqualTo(dir.resolve("parent.arm64-o9.snap"));
        assertThat(SnapshotCache.fileFor(f, "arm64", 1L << 30, 4, true, false)).isEqualTo(dir.resolve("parent.arm64-basic-o4.snap"));
        assertThat(SnapshotCache.fileFor(dir.resolve("noext"), "x86_64", 1L << 30, 0, false, false)).isEqualTo(dir.resolve("noext.x86_64-o0"));
        assertThat(SnapshotCache.fileFor(dir, "x86_64", 64L << 30, 0, false, true)).isEqualTo(dir.resolve("forksim-x86_64-64G-o0.snap"));
    }
}
