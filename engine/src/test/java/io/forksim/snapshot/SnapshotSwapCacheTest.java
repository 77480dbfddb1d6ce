package io.forksim.snapshot;

import io.forksim.check.InvariantChecker;
import io.forksim.fork.Fork;
import io.forksim.mm.Advice;
import io.forksim.mm.FaultResult;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.forksim.snapshot.SnapshotFixtures.A;
import static io.forksim.snapshot.SnapshotFixtures.PAGE;
import static io.forksim.snapshot.SnapshotFixtures.RW;
import static io.forksim.snapshot.SnapshotFixtures.batched;
import static io.forksim.snapshot.SnapshotFixtures.digest;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A swap slot that holds only its swap-cache folio (count 0, {@code SWAP_HAS_CACHE}) is in use: a snapshot
 * carries it in the same format (the slot's count 0, its cache entry, the device's used count) and loads valid.
 */
class SnapshotSwapCacheTest
{
    @TempDir
    Path dir;

    @Test
    void aSlotHoldingOnlyItsSwapCacheFolioSavesLoadsAndIsFreedWithItsLastMapping() throws Exception
    {
        final Path file = dir.resolve("cache-only.snap");
        try (Machine orig = new Machine(SnapshotFixtures.config("x86_64", false)))
        {
            final Mm parent = orig.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            parent.madvise(A, PAGE, Advice.PAGEOUT);
            final Mm child = Fork.fork(parent, batched(orig));
            final long off = orig.arch().pteSwpOffset(parent.peekPte(A));
            assertThat(parent.fault(A, false)).isEqualTo(FaultResult.SWAPPED_IN);
            child.exit();
            final long pfn = orig.swap().cachePfn(off);
            assertThat(orig.swap().count(off)).isZero();
            assertThat(pfn).isPositive();
            assertThat(orig.swap().used()).isEqualTo(1);
            final List<String> before = digest(orig);
            Snapshot.save(orig, file);

            try (Machine loaded = Snapshot.load(file))
            {
                assertThat(SnapshotFixtures.diff(before, digest(loaded))).isNull();
                assertThat(loaded.swap().used()).isEqualTo(1);
                assertThat(loaded.swap().count(off)).isZero();
                assertThat(loaded.swap().cachePfn(off)).isEqualTo(pfn);
                assertThat(loaded.swap().cacheSlotOf(pfn)).isEqualTo(off);
                InvariantChecker.check(loaded);
                loaded.processes().get(0).exit();
                assertThat(loaded.swap().used()).as("the last mapping's zap frees the swap cache").isZero();
                assertThat(loaded.swap().cachedPages()).isZero();
                InvariantChecker.check(loaded);
            }
        }
    }
}
