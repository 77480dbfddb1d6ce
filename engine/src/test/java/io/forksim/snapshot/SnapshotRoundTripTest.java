package io.forksim.snapshot;

import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.mm.Advice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.forksim.snapshot.SnapshotFixtures.A;
import static io.forksim.snapshot.SnapshotFixtures.B;
import static io.forksim.snapshot.SnapshotFixtures.C;
import static io.forksim.snapshot.SnapshotFixtures.MIB;
import static io.forksim.snapshot.SnapshotFixtures.PAGE;
import static io.forksim.snapshot.SnapshotFixtures.batched;
import static io.forksim.snapshot.SnapshotFixtures.digest;
import static io.forksim.snapshot.SnapshotFixtures.legacy;
import static org.assertj.core.api.Assertions.assertThat;

/** Save, load, compare every bit of state, then keep both machines working and compare again. */
class SnapshotRoundTripTest
{
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} contpteBasic={1} concurrent={2}")
    @CsvSource({"x86_64,false,false", "arm64,false,false", "arm64,true,false", "x86_64,false,true"})
    void aBusyMachineLoadsIdenticalAndKeepsWorkingIdentically(final String arch, final boolean basic, final boolean concurrent)
        throws Exception
    {
        final Path file = dir.resolve("busy.snap");
        try (Machine orig = SnapshotFixtures.busy(SnapshotFixtures.config(arch, basic).withConcurrent(concurrent)))
        {
            InvariantChecker.check(orig);
            assertThat(orig.processes()).hasSize(3);
            assertThat(orig.swap().used()).isPositive();
            assertThat(orig.swap().cachedPages()).isPositive();
            assertThat(orig.tableStore().freeSlotStack()).isNotEmpty();
            if (arch.equals("arm64"))
            {
                assertThat(orig.processes().stream().anyMatch(p -> hasCont(p, A + 2 * MIB, A + 4 * MIB))).as("a CONT block").isTrue();
            }
            final List<String> before = digest(orig);
            final Snapshot.Info saved = Snapshot.save(orig, file, Map.of("test", "busy"));
            assertThat(digest(orig)).as("saving changes nothing").isEqualTo(before);
            assertThat(Files.size(file)).isEqualTo(saved.fileBytes());

            try (Machine loaded = Snapshot.load(file))
            {
                assertThat(loaded.config()).isEqualTo(orig.config());
                assertThat(loaded.concurrent()).isEqualTo(concurrent);
                assertThat(loaded.memmap().atomic()).isEqualTo(concurrent);
                assertThat(SnapshotFixtures.diff(before, digest(loaded))).isNull();
                sameBytes(orig.memmap().records(), loaded.memmap().records());
                sameBytes(orig.memmap().tokens(), loaded.memmap().tokens());
                sameBytes(orig.memmap().anonExclusive(), loaded.memmap().anonExclusive());
                sameBytes(orig.swap().countsSegment(), loaded.swap().countsSegment());
                sameBytes(orig.swap().tokensSegment(), loaded.swap().tokensSegment());
                sameBytes(orig.swap().cacheSegment(), loaded.swap().cacheSegment());
                for (int i = 0; i <= 10; i++)
                {
                    assertThat(loaded.phys().freeBlockCount(i)).isEqualTo(orig.phys().freeBlockCount(i));
                }
                InvariantChecker.check(loaded);

                // Both machines now do the same things; they must stay identical, events included.
                final Events e1 = orig.events().copy();
                final Events e2 = loaded.events().copy();
                work(orig);
                work(loaded);
                assertThat(SnapshotFixtures.diff(digest(orig), digest(loaded))).isNull();
                assertThat(orig.events().minus(e1).toArray()).isEqualTo(loaded.events().minus(e2).toArray());
                InvariantChecker.check(loaded);

                // And everything exits cleanly: nothing leaks in the loaded machine.
                final long free0 = freeAfterTeardown(orig);
                assertThat(freeAfterTeardown(loaded)).isEqualTo(free0);
            }
        }
    }

    /** Forks of every process (both strategies), COW writes, swap-out, swap-in, an unpin, exits. */
    private static void work(final Machine m)
    {
        final List<Mm> ps = m.processes();
        final Mm p = ps.get(0);
        final Mm c2 = ps.get(2);
        final Mm f1 = Fork.fork(p, batched(m));
        final Mm f2 = Fork.fork(c2, legacy(m));
        f1.write(A + 20 * PAGE, 0xabcdefL);
        f1.write(A + 2 * MIB + 17 * PAGE, 0xabcdeeL);
        f2.write(B + 5 * PAGE, m.newToken());
        p.write(B + 6 * PAGE, m.newToken());
        f2.read(A + 102 * PAGE);
        p.madvise(A + 300 * PAGE, 8 * PAGE, Advice.PAGEOUT);
        p.unpin(A + 5 * PAGE);
        f2.write(C + 4 * PAGE, m.newToken());
        f1.exit();
        final Mm f3 = Fork.fork(f2, batched(m));
        f3.write(A + 30 * PAGE, m.newToken());
        InvariantChecker.check(m);
    }

    private static long freeAfterTeardown(final Machine m)
    {
        for (final Mm p : List.copyOf(m.processes()))
        {
            p.exit();
        }
        for (final var f : m.files())
        {
            m.dropFile(f);
        }
        InvariantChecker.check(m);
        return m.phys().freePageCount();
    }

    private static boolean hasCont(final Mm p, final long from, final long to)
    {
        for (long va = from; va < to; va += PAGE)
        {
            if (p.machine().arch().pteCont(p.peekPte(va)))
            {
                return true;
            }
        }
        return false;
    }

    private static void sameBytes(final MemorySegment a, final MemorySegment b)
    {
        assertThat(b.byteSize()).isEqualTo(a.byteSize());
        assertThat(MemorySegment.mismatch(a, 0, a.byteSize(), b, 0, b.byteSize())).as("first differing byte").isEqualTo(-1L);
    }

    @Test
    void aFreshMachineRoundTripsAndTheIdleMemmapIsNotStored() throws Exception
    {
        final Path file = dir.resolve("fresh.snap");
        try (Machine orig = new Machine(Machine.Config.of("x86_64", 1L << 30)))
        {
            final Snapshot.Info saved = Snapshot.save(orig, file);
            // 1 GiB of RAM = 4 MiB of records, but an idle memmap holds only free-list heads: sparse runs.
            assertThat(saved.section("memmap-records").length()).isLessThan(64 << 10);
            assertThat(saved.section("memmap-tokens").length()).isLessThan(1024);
            try (Machine loaded = Snapshot.load(file))
            {
                assertThat(SnapshotFixtures.diff(digest(orig), digest(loaded))).isNull();
                final Mm p = loaded.newProcess();
                p.mmap(A, 64 * MIB, SnapshotFixtures.RW, false, null, 0);
                p.populate(A, 64 * MIB, 9);
                InvariantChecker.check(loaded);
            }
        }
    }

    @Test
    void infoDescribesTheFileAndSaveReplacesAnExistingSnapshot() throws Exception
    {
        final Path file = dir.resolve("info.snap");
        try (Machine m = SnapshotFixtures.busy(SnapshotFixtures.config("arm64", false)))
        {
            Files.writeString(file, "an older snapshot would be here");
            final Snapshot.Info saved = Snapshot.save(m, file, Map.of("k", "v"));
            final Snapshot.Info quick = Snapshot.info(file, false);
            final Snapshot.Info full = Snapshot.info(file, true);
            for (final Snapshot.Info i : List.of(quick, full))
            {
                assertThat(i.config()).isEqualTo(m.config());
                assertThat(i.formatVersion()).isEqualTo(Snapshot.FORMAT_VERSION);
                assertThat(i.fileBytes()).isEqualTo(saved.fileBytes());
                assertThat(i.meta()).containsEntry("k", "v");
                assertThat(i.sections()).isEqualTo(saved.sections());
                assertThat(i.processes()).extracting(Snapshot.ProcessInfo::id).containsExactlyElementsOf(
                    m.processes().stream().map(Mm::id).toList());
                assertThat(i.freePages()).isEqualTo(m.phys().freePageCount());
                assertThat(i.tableSlotsInUse()).isEqualTo(m.tableStore().slotsInUse());
                assertThat(i.swapUsed()).isEqualTo(m.swap().used());
            }
            assertThat(quick.checksumsVerified()).isFalse();
            assertThat(full.checksumsVerified()).isTrue();
            try (var files = Files.list(dir))
            {
                assertThat(files.map(p -> p.getFileName().toString()).toList()).as("no temporary file left").containsExactly("info.snap");
            }
        }
    }
}
