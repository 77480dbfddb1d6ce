package io.forksim.mem;

import static io.forksim.mem.PageDescriptor.PG_ANON;
import static io.forksim.mem.PageDescriptor.PG_BUDDY;
import static io.forksim.mem.PhysMem.MAX_ORDER;
import static io.forksim.mem.PhysMem.MAX_ORDER_NR_PAGES;
import static io.forksim.mem.PhysMem.NO_PFN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The buddy allocator's deferred records (the kernel's deferred struct page init): the max-order blocks a new machine
 * starts with are free without a record written, and the allocator hands out exactly the blocks a buddy with every free
 * block linked in the memmap would, in the same order.
 */
class PhysMemDeferredTest
{
    /**
     * The buddy as it was with every free block linked: one LIFO list per order (pushed and popped at the head, a
     * coalesced buddy removed from anywhere), a new machine's blocks pushed in ascending PFN order.
     */
    private static final class LinkedBuddy
    {
        private final List<Deque<Long>> lists = new ArrayList<>();
        private final long nrPages;

        LinkedBuddy(final long nrPages)
        {
            this.nrPages = nrPages;
            for (int o = 0; o <= MAX_ORDER; o++)
            {
                lists.add(new ArrayDeque<>());
            }
            long pfn = 1;
            while (pfn < nrPages)
            {
                int order = Math.min(MAX_ORDER, Long.numberOfTrailingZeros(pfn));
                while (pfn + (1L << order) > nrPages)
                {
                    order--;
                }
                lists.get(order).push(pfn);
                pfn += 1L << order;
            }
        }

        long alloc(final int order)
        {
            int o = order;
            while (o <= MAX_ORDER && lists.get(o).isEmpty())
            {
                o++;
            }
            if (o > MAX_ORDER)
            {
                return NO_PFN;
            }
            final long pfn = lists.get(o).pop();
            while (o > order)
            {
                o--;
                lists.get(o).push(pfn + (1L << o));
            }
            return pfn;
        }

        void free(final long pfn, final int order)
        {
            long p = pfn;
            int o = order;
            while (o < MAX_ORDER)
            {
                final long buddy = p ^ (1L << o);
                if (buddy >= nrPages || !lists.get(o).remove(buddy))
                {
                    break;
                }
                p = Math.min(p, buddy);
                o++;
            }
            lists.get(o).push(p);
        }

        long blocks(final int order)
        {
            return lists.get(order).size();
        }
    }

    @Test
    void aNewMachineWritesNoRecordForItsMaxOrderBlocks()
    {
        try (MemMap mm = new MemMap(16 * MAX_ORDER_NR_PAGES))
        {
            final PhysMem phys = new PhysMem(mm);
            assertThat(phys.deferredBlocks()).isEqualTo(15);
            assertThat(phys.freeBlockCount(MAX_ORDER)).isEqualTo(15);
            assertThat(phys.deferredEndPfn()).isEqualTo(16 * MAX_ORDER_NR_PAGES);
            for (long pfn = MAX_ORDER_NR_PAGES; pfn < mm.nrPages(); pfn++)
            {
                assertThat(mm.flags(pfn) | mm.rawRefcount(pfn) | mm.rawMapcount(pfn) | mm.aux(pfn)).as("pfn %d", pfn).isZero();
            }
            // the blocks below the first max-order one are linked as before
            assertThat(mm.flags(512)).isEqualTo(PG_BUDDY | 9);
        }
    }

    @Test
    void maxOrderBlocksComeHighestFirstAndAFreedOneComesBackFirst()
    {
        try (MemMap mm = new MemMap(4 * MAX_ORDER_NR_PAGES))
        {
            final PhysMem phys = new PhysMem(mm);
            assertThat(phys.allocPages(MAX_ORDER)).isEqualTo(3072);
            assertThat(phys.deferredBlocks()).isEqualTo(2);
            phys.freePages(3072, MAX_ORDER);
            // linked now, on top of the two deferred blocks
            assertThat(mm.flags(3072)).isEqualTo(PG_BUDDY | MAX_ORDER);
            assertThat(phys.freeBlockCount(MAX_ORDER)).isEqualTo(3);
            assertThat(phys.allocPages(MAX_ORDER)).isEqualTo(3072);
            assertThat(phys.allocPages(MAX_ORDER)).isEqualTo(2048);
            assertThat(phys.allocPages(MAX_ORDER)).isEqualTo(1024);
            assertThat(phys.deferredBlocks()).isZero();
            assertThat(phys.largestFreeOrder()).isEqualTo(9);
        }
    }

    @Test
    void aPageOfADeferredBlockIsAlreadyFree()
    {
        try (MemMap mm = new MemMap(4 * MAX_ORDER_NR_PAGES))
        {
            final PhysMem phys = new PhysMem(mm);
            assertThatThrownBy(() -> phys.freePages(2048 + 6, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pfn 2054 (order 1) is already free: it overlaps the free block of order 10 at pfn 2048");
            assertThat(phys.deferredBlocks()).isEqualTo(3);
            assertThat(phys.freePageCount()).isEqualTo(4 * MAX_ORDER_NR_PAGES - 1);
        }
    }

    @Test
    void aRestoredStateKeepsItsDeferredBlocksAndMalformedOnesAreRefused()
    {
        try (MemMap mm = new MemMap(4 * MAX_ORDER_NR_PAGES); MemMap copy = new MemMap(4 * MAX_ORDER_NR_PAGES))
        {
            final PhysMem phys = new PhysMem(mm);
            final long pfn = phys.allocPages(MAX_ORDER);
            copy.records().copyFrom(mm.records());
            final PhysMem.State s = phys.exportState();
            assertThat(s.deferredBlocks()).isEqualTo(2);
            final PhysMem restored = PhysMem.restore(copy, s);
            assertThat(restored.deferredBlocks()).isEqualTo(2);
            assertThat(restored.allocPages(MAX_ORDER)).isEqualTo(2048);
            assertThat(pfn).isEqualTo(3072);

            final long[] blocks = s.freeBlocks();
            assertThatThrownBy(() -> PhysMem.restore(copy, new PhysMem.State(s.freeHead(), blocks, s.freePages(), 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allocator state has 3 deferred max-order blocks, of 2 free max-order blocks, on 4096 pages");
            assertThatThrownBy(() -> PhysMem.restore(copy, new PhysMem.State(s.freeHead(), blocks, s.freePages(), -1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1 deferred");
        }
    }

    /** The machines of the allocator's model run: edge sizes and 40 seeded random sizes up to 9000 pages. */
    static Stream<Arguments> machines()
    {
        final Random rnd = new Random(20261204);
        return Stream.concat(
            LongStream.of(1, 2, 1024, 1025, 2047, 2048, 2049, 5000, 8192).mapToObj(n -> Arguments.of(n, (int)n)),
            Stream.generate(() -> Arguments.of(1 + (long)rnd.nextInt(9000), rnd.nextInt())).limit(40));
    }

    @ParameterizedTest(name = "{0} pages, seed {1}")
    @MethodSource("machines")
    void everyAllocationReturnsThePfnTheLinkedBuddyReturns(final long nrPages, final int seed)
    {
        try (MemMap mm = new MemMap(nrPages))
        {
            final PhysMem phys = new PhysMem(mm);
            final LinkedBuddy model = new LinkedBuddy(nrPages);
            final Random rnd = new Random(seed);
            final List<long[]> live = new ArrayList<>();
            for (int step = 0; step < 600; step++)
            {
                if (live.isEmpty() || rnd.nextInt(5) < 3)
                {
                    // orders skewed high so that the deferred blocks run out and come back
                    final int order = rnd.nextInt(4) == 0 ? MAX_ORDER : rnd.nextInt(MAX_ORDER + 1);
                    final long pfn = phys.allocPages(order);
                    assertThat(pfn).as("step %d, order %d", step, order).isEqualTo(model.alloc(order));
                    if (pfn != NO_PFN)
                    {
                        mm.prepFolio(pfn, order, PG_ANON);
                        live.add(new long[] {pfn, order});
                    }
                }
                else
                {
                    final long[] b = live.remove(rnd.nextInt(live.size()));
                    phys.freePages(b[0], (int)b[1]);
                    model.free(b[0], (int)b[1]);
                }
                for (int o = 0; o <= MAX_ORDER; o++)
                {
                    assertThat(phys.freeBlockCount(o)).as("step %d, order %d", step, o).isEqualTo(model.blocks(o));
                }
            }
        }
    }

    @Test
    void freeMemoryCommitsNoRecords()
    {
        final long nrPages = 1L << 24;   // 64 GiB of simulated RAM: 256 MiB of records
        try (MemMap mm = new MemMap(nrPages))
        {
            final long before = OffHeapArena.residentBytes(mm.records());
            Assumptions.assumeTrue(before >= 0, "no /proc/self/smaps on this host");
            final PhysMem phys = new PhysMem(mm);
            phys.allocPages(0);
            final long after = OffHeapArena.residentBytes(mm.records());
            // linked, one record per 4 MiB block would commit a 4 KiB page per block: 16,383 pages, 64 MiB; deferred, the
            // zero page's record and the one split block's: at most two 2 MiB huge pages
            assertThat(after - before).as("records committed by a new allocator and one allocation").isLessThanOrEqualTo(4L << 20);
        }
    }
}
