package io.forksim.harness;

import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.mem.PhysMem;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The memmap of a concurrent machine under contention: refcount and mapcount adds, PageAnonExclusive bytes of
 * neighbouring PFNs (one 8-byte word of the byte map, the unit its range methods test), flag bits, and the
 * large-mapcount MM-ID update, each hammered by several threads, end exact. (With a plain memmap the counters and
 * flag bits lose updates.)
 */
class AtomicMemMapTest
{
    static final int THREADS = 4;
    static final int ITER = 200_000;

    interface Body
    {
        void run(int thread) throws Exception;
    }

    static void race(final Body body) throws Exception
    {
        final CyclicBarrier start = new CyclicBarrier(THREADS);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < THREADS; t++)
        {
            final int id = t;
            final Thread th = new Thread(() ->
            {
                try
                {
                    start.await();
                    body.run(id);
                }
                catch (final Throwable e)
                {
                    failure.compareAndSet(null, e);
                }
            });
            ts.add(th);
            th.start();
        }
        for (final Thread th : ts)
        {
            th.join();
        }
        assertThat(failure.get()).isNull();
    }

    @Test
    void countersAndBitsAreExactUnderContention() throws Exception
    {
        try (MemMap mm = new MemMap(4096, true))
        {
            assertThat(mm.atomic()).isTrue();
            final long pfn = 100;
            race(t ->
            {
                for (int i = 0; i < ITER; i++)
                {
                    mm.refAdd(pfn, 1);
                    mm.mapcountAdd(pfn, 2);
                    // each thread owns PFNs 64 + 2t and 65 + 2t: bytes of the one word 64..71 of the byte map,
                    // flipped through every setter
                    final long own = 64 + 2 * t;
                    mm.setAnonExclusive(own);
                    mm.clearAnonExclusive(own);
                    mm.setAnonExclusiveRange(own, 2);
                    mm.clearAnonExclusiveRange(own, 1);
                    mm.setFlagBits(pfn + 1 + t, PageDescriptor.PG_DIRTY);
                    mm.clearFlagBits(pfn + 1 + t, PageDescriptor.PG_DIRTY);
                }
                mm.setFlagBits(pfn, 1 << (20 + t)); // distinct bits of one flags word
            });
            assertThat(mm.rawRefcount(pfn)).isEqualTo(THREADS * ITER);
            assertThat(mm.rawMapcount(pfn)).isEqualTo(2 * THREADS * ITER);
            for (int t = 0; t < THREADS; t++)
            {
                assertThat(mm.testAnonExclusive(64 + 2 * t)).isFalse();
                assertThat(mm.testAnonExclusive(65 + 2 * t)).isTrue();
                assertThat(mm.flags(pfn + 1 + t)).isZero();
            }
            assertThat(mm.flags(pfn)).isEqualTo(((1 << THREADS) - 1) << 20);
            assertThat(mm.anonExclusive().get(MemMap.LONG, 64)).isEqualTo(0x0100_0100_0100_0100L);   // 65, 67, 69, 71
        }
    }

    @Test
    void largeMapcountWithMmIdsIsExactUnderContention() throws Exception
    {
        try (MemMap mm = new MemMap(4096, true))
        {
            final PhysMem phys = new PhysMem(mm);
            final long head = phys.allocPages(9);
            mm.prepFolio(head, 9, PageDescriptor.PG_ANON | PageDescriptor.PG_SWAPBACKED);
            mm.folioSetLargeMapcount(head, 512, 1);   // the parent, MM id 1
            race(t ->
            {
                final int id = 2 + t;                 // each thread: one child mapping and unmapping the folio
                for (int i = 0; i < ITER / 4; i++)
                {
                    mm.folioAddLargeMapcount(head, 512, id);
                    mm.folioSubLargeMapcount(head, 1, id);
                    mm.folioSubLargeMapcount(head, 511, id);
                }
            });
            assertThat(mm.largeMapcount(head)).isEqualTo(512);
            assertThat(mm.folioMmIdMapcount(head, 1)).isEqualTo(512);
            assertThat(mm.folioMmIdsShared(head)).as("one MM owns every mapping again").isFalse();
            assertThat(mm.aux(head + 1)).as("slot 1 free again").isEqualTo(PageDescriptor.packMmIds(1, 0));
        }
    }

    @Test
    void concurrentAllocatorLosesNoPage() throws Exception
    {
        try (MemMap mm = new MemMap(1 << 16, true))
        {
            final PhysMem phys = new PhysMem(mm);
            final long free = phys.freePageCount();
            race(t ->
            {
                final long[] held = new long[64];
                for (int i = 0; i < 2000; i++)
                {
                    final int order = (i + t) % 4;
                    for (int k = 0; k < held.length; k++)
                    {
                        held[k] = phys.allocPagesOrThrow(order);
                    }
                    for (final long p : held)
                    {
                        phys.freePages(p, order);
                    }
                }
            });
            assertThat(phys.freePageCount()).isEqualTo(free);
            assertThat(phys.largestFreeOrder()).isEqualTo(PhysMem.MAX_ORDER);
        }
    }
}
