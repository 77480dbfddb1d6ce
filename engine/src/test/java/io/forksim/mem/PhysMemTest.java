package io.forksim.mem;

import static io.forksim.mem.PageDescriptor.PG_ANON;
import static io.forksim.mem.PageDescriptor.PG_BUDDY;
import static io.forksim.mem.PageDescriptor.PG_HEAD;
import static io.forksim.mem.PageDescriptor.PG_RESERVED;
import static io.forksim.mem.PageDescriptor.PG_ZERO;
import static io.forksim.mem.PhysMem.NO_PFN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import java.util.stream.LongStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The buddy allocator. Machines are small so that every free-list count can be stated exactly.
 * PFN 0 is the zero page, so a fresh machine of 2^k pages holds one free block of each order 0..9
 * (at PFNs 1, 2, 4, ..., 512) and (2^k - 1024) / 1024 blocks of order 10.
 */
class PhysMemTest
{

    /** Free blocks per order, orders 0..10. */
    private static long[] counts(final PhysMem phys)
    {
        final long[] c = new long[PhysMem.MAX_ORDER + 1];
        for (int o = 0; o <= PhysMem.MAX_ORDER; o++)
        {
            c[o] = phys.freeBlockCount(o);
        }
        return c;
    }

    @Test
    void freshMachineReservesTheZeroPageAndFreesTheRestAsLargestAlignedBlocks()
    {
        try (MemMap mm = new MemMap(4096))
        {
            final PhysMem phys = new PhysMem(mm);
            assertThat(mm.flags(PhysMem.ZERO_PFN)).isEqualTo(PG_ZERO | PG_RESERVED);
            assertThat(mm.rawRefcount(PhysMem.ZERO_PFN)).isEqualTo(1);
            assertThat(phys.totalPages()).isEqualTo(4096);
            assertThat(phys.usablePages()).isEqualTo(4095);
            assertThat(phys.freePageCount()).isEqualTo(4095);
            assertThat(counts(phys)).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3);
            assertThat(phys.describe()).isEqualTo(
                    "Node 0, zone   Normal      1      1      1      1      1      1      1      1      1      1      3");
            // free block heads below order 10 carry PG_BUDDY | order; their other pages are zero
            assertThat(mm.flags(1)).isEqualTo(PG_BUDDY);
            assertThat(mm.flags(512)).isEqualTo(PG_BUDDY | 9);
            assertThat(mm.flags(513)).isZero();
            // the three max-order blocks 1024, 2048, 3072 are deferred: free, their records not even written
            assertThat(phys.deferredBlocks()).isEqualTo(3);
            assertThat(phys.deferredEndPfn()).isEqualTo(4096);
            assertThat(mm.flags(2048)).isZero();
            assertThat(phys.isDeferred(1024)).isTrue();
            assertThat(phys.isDeferred(1023)).isFalse();
            assertThat(phys.largestFreeOrder()).isEqualTo(10);
        }
    }

    @Test
    void fourGiBMachineIsBuiltWellUnderASecond()
    {
        final long t0 = System.nanoTime();
        try (MemMap mm = new MemMap(1L << 20))
        {
            final PhysMem phys = new PhysMem(mm);
            final long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(counts(phys)).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1023);
            assertThat(phys.freePageCount()).isEqualTo((1L << 20) - 1);
            assertThat(ms).as("construction of 2^20 pages, ms").isLessThan(1000);
        }
    }

    @Test
    void orderZeroFromAFreshMachineTakesTheOrderZeroBlockWithoutSplitting()
    {
        try (MemMap mm = new MemMap(4096))
        {
            final PhysMem phys = new PhysMem(mm);
            assertThat(phys.allocPages(0)).isEqualTo(1);
            assertThat(counts(phys)).containsExactly(0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3);
            // the next one splits the order-1 block at 2: 2 is returned, 3 goes to order 0
            assertThat(phys.allocPages(0)).isEqualTo(2);
            assertThat(counts(phys)).containsExactly(1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 3);
            assertThat(mm.flags(3)).isEqualTo(PG_BUDDY);
            assertThat(phys.freePageCount()).isEqualTo(4093);
        }
    }

    @Test
    void orderZeroSplitsOneMaxBlockIntoOneBlockOfEveryLowerOrder()
    {
        try (MemMap mm = new MemMap(4096))
        {
            final PhysMem phys = new PhysMem(mm);
            for (int o = 0; o <= 9; o++)
            {
                assertThat(phys.allocPages(o)).isEqualTo(1L << o);      // 1, 2, 4, ..., 512
            }
            assertThat(counts(phys)).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3);

            final long pfn = phys.allocPages(0);
            // order-10 lists are LIFO: the block added last (3072) is split
            assertThat(pfn).isEqualTo(3072);
            assertThat(counts(phys)).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2);
            for (int o = 0; o <= 9; o++)
            {
                assertThat(mm.flags(3072 + (1L << o))).as("half of order %d", o).isEqualTo(PG_BUDDY | o);
            }
            assertThat(phys.freePageCount()).isEqualTo(4095 - 1023 - 1);

            // freeing it coalesces the ten halves back into the order-10 block
            phys.freePages(pfn, 0);
            assertThat(counts(phys)).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3);
            assertThat(mm.flags(3072)).isEqualTo(PG_BUDDY | 10);
            for (long p = 3073; p < 4096; p++)
            {
                assertThat(mm.flags(p)).isZero();
            }
        }
    }

    @Test
    void returnedBlocksAreNaturallyAlignedAndClean()
    {
        try (MemMap mm = new MemMap(4096))
        {
            final PhysMem phys = new PhysMem(mm);
            final long pfn = phys.allocPagesOrThrow(9);
            assertThat(pfn & 511).isZero();
            mm.prepFolio(pfn, 9, PG_ANON);
            mm.setAnonExclusiveRange(pfn, 512);
            mm.folioAddLargeMapcount(pfn, 512, 7);
            mm.setPincount(pfn, 3);
            phys.freePages(pfn, 9);

            final long again = phys.allocPages(9);
            assertThat(again).isEqualTo(pfn);
            for (long p = again; p < again + 512; p++)
            {
                assertThat(mm.flags(p) | mm.rawRefcount(p) | mm.rawMapcount(p) | mm.aux(p)).isZero();
            }
            assertThat(mm.anyAnonExclusive(again, 512)).isFalse();
            mm.prepFolio(again, 9, PG_ANON);
            assertThat(mm.flags(again)).isEqualTo(PG_HEAD | 9 | PG_ANON);
        }
    }

    @Test
    void freeingEverythingRestoresTheInitialCounts()
    {
        try (MemMap mm = new MemMap(8192))
        {
            final PhysMem phys = new PhysMem(mm);
            final long[] initial = counts(phys);
            final String initialDescription = phys.describe();
            final Random rnd = new Random(42);
            final List<long[]> blocks = new ArrayList<>();
            while (true)
            {
                int order = rnd.nextInt(11);
                long pfn = phys.allocPages(order);
                if (pfn == NO_PFN)
                {
                    order = 0;
                    pfn = phys.allocPages(0);
                    if (pfn == NO_PFN)
                    {
                        break;
                    }
                }
                blocks.add(new long[] {pfn, order});
            }
            assertThat(phys.freePageCount()).isZero();
            Collections.shuffle(blocks, rnd);
            for (final long[] b : blocks)
            {
                phys.freePages(b[0], (int) b[1]);
            }
            assertThat(counts(phys)).containsExactly(initial);
            assertThat(phys.describe()).isEqualTo(initialDescription);
            assertThat(phys.freePageCount()).isEqualTo(8191);
        }
    }

    @Test
    void exhaustionReturnsNoPfnOrThrowsAndChangesNothing()
    {
        try (MemMap mm = new MemMap(2048))
        {
            final PhysMem phys = new PhysMem(mm);
            assertThat(phys.allocPages(10)).isEqualTo(1024);
            assertThat(counts(phys)).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);

            assertThat(phys.allocPages(10)).isEqualTo(NO_PFN);
            assertThatThrownBy(() -> phys.allocPagesOrThrow(10))
                    .isInstanceOf(OutOfSimulatedMemoryException.class)
                    .hasMessageContaining("order 10")
                    .hasMessageContaining("1023 free pages")
                    .satisfies(e ->
                    {
                        assertThat(((OutOfSimulatedMemoryException) e).order()).isEqualTo(10);
                        assertThat(((OutOfSimulatedMemoryException) e).freePages()).isEqualTo(1023);
                    });
            assertThat(counts(phys)).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
            assertThat(phys.freePageCount()).isEqualTo(1023);

            // order 9 still works: exactly one block of 512 was left
            assertThat(phys.allocPages(9)).isEqualTo(512);
            int n = 0;
            while (phys.allocPages(0) != NO_PFN)
            {
                n++;
            }
            assertThat(n).isEqualTo(511);
            assertThat(phys.freePageCount()).isZero();
            assertThat(phys.largestFreeOrder()).isEqualTo(-1);
            assertThatThrownBy(() -> phys.allocPagesOrThrow(0))
                    .isInstanceOf(OutOfSimulatedMemoryException.class)
                    .hasMessageContaining("order 0").hasMessageContaining("0 free pages");
        }
    }

    @Test
    void everyOtherPageFreeLeavesHalfTheMemoryButNoOrder1Block()
    {
        try (MemMap mm = new MemMap(2048))
        {
            final PhysMem phys = new PhysMem(mm);
            final long[] initial = counts(phys);
            for (int i = 0; i < 2047; i++)
            {
                assertThat(phys.allocPages(0)).isNotEqualTo(NO_PFN);
            }
            assertThat(phys.freePageCount()).isZero();

            for (long pfn = 2; pfn < 2048; pfn += 2)
            {
                phys.freePages(pfn, 0);
            }
            assertThat(phys.freePageCount()).isEqualTo(1023);
            assertThat(counts(phys)).containsExactly(1023, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            assertThat(phys.allocPages(1)).isEqualTo(NO_PFN);
            assertThat(phys.freePageCount()).isEqualTo(1023);

            for (long pfn = 1; pfn < 2048; pfn += 2)
            {
                phys.freePages(pfn, 0);
            }
            assertThat(counts(phys)).containsExactly(initial);
            assertThat(phys.freePageCount()).isEqualTo(2047);
        }
    }

    @Test
    void sizesThatAreNotMultiplesOf1024()
    {
        try (MemMap mm = new MemMap(1000))
        {
            final PhysMem phys = new PhysMem(mm);
            // 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64-127, 128-255, 256-511, 512-767, 768-895, 896-959,
            // 960-991, 992-999
            assertThat(counts(phys)).containsExactly(1, 1, 1, 2, 1, 2, 2, 2, 2, 0, 0);
            assertThat(phys.freePageCount()).isEqualTo(999);
            assertThat(mm.flags(992)).isEqualTo(PG_BUDDY | 3);
            assertThat(phys.allocPages(9)).isEqualTo(NO_PFN);

            // fill and empty it: the tail blocks must not merge with buddies past the end
            final long[] initial = counts(phys);
            final List<Long> pages = new ArrayList<>();
            for (long p; (p = phys.allocPages(0)) != NO_PFN; )
            {
                pages.add(p);
            }
            assertThat(pages).hasSize(999);
            Collections.shuffle(pages, new Random(7));
            for (final long p : pages)
            {
                phys.freePages(p, 0);
            }
            assertThat(counts(phys)).containsExactly(initial);
        }
        try (MemMap mm = new MemMap(1025))
        {
            final PhysMem phys = new PhysMem(mm);
            assertThat(counts(phys)).containsExactly(2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
            assertThat(phys.freePageCount()).isEqualTo(1024);
        }
        try (MemMap mm = new MemMap(1))
        {
            final PhysMem phys = new PhysMem(mm);
            assertThat(phys.usablePages()).isZero();
            assertThat(phys.freePageCount()).isZero();
            assertThat(phys.allocPages(0)).isEqualTo(NO_PFN);
            assertThat(counts(phys)).containsOnly(0);
        }
    }

    @Test
    void badOrdersAreRejectedNamingTheOrder()
    {
        try (MemMap mm = new MemMap(4096))
        {
            final PhysMem phys = new PhysMem(mm);
            final String before = phys.describe();
            assertThatThrownBy(() -> phys.allocPages(-1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("order -1");
            assertThatThrownBy(() -> phys.allocPages(11))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("order 11");
            assertThatThrownBy(() -> phys.allocPagesOrThrow(Integer.MAX_VALUE))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("order 2147483647");
            assertThatThrownBy(() -> phys.freePages(1024, 11))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("order 11");
            assertThatThrownBy(() -> phys.freeBlockCount(-2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("order -2");
            assertThat(phys.describe()).isEqualTo(before);
        }
    }

    @Test
    void badFreesAreRejectedNamingTheValueAndChangeNothing()
    {
        try (MemMap mm = new MemMap(4096))
        {
            final PhysMem phys = new PhysMem(mm);
            final long pfn = phys.allocPages(1);             // 2..3
            assertThat(pfn).isEqualTo(2);
            mm.prepFolio(pfn, 1, PG_ANON);
            final String before = phys.describe();
            final long freeBefore = phys.freePageCount();

            assertThatThrownBy(() -> phys.freePages(3, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 3")
                    .hasMessageContaining("not aligned to order 1");
            assertThatThrownBy(() -> phys.freePages(0, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 0")
                    .hasMessageContaining("zero page");
            assertThatThrownBy(() -> phys.freePages(4096, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 4096");
            assertThatThrownBy(() -> phys.freePages(-8, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn -8");
            assertThatThrownBy(() -> phys.freePages(Long.MAX_VALUE, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn " + Long.MAX_VALUE);
            // 2048 is free as part of an order-10 block
            assertThatThrownBy(() -> phys.freePages(2048, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 2048")
                    .hasMessageContaining("already free");
            // an order-2 block at 0 would include the zero page; one at 4 overlaps the free block at 4
            assertThatThrownBy(() -> phys.freePages(4, 3))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 4 is not aligned");
            assertThatThrownBy(() -> phys.freePages(8, 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already free");
            // a block that contains a free block: 0..1023 at order 10 would also cover the zero page,
            // so take 512..1023 at order 9 while 512 is free
            assertThatThrownBy(() -> phys.freePages(512, 9))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already free");

            assertThat(phys.describe()).isEqualTo(before);
            assertThat(phys.freePageCount()).isEqualTo(freeBefore);
            assertThat(mm.flags(2)).isEqualTo(PG_HEAD | 1 | PG_ANON);
            assertThat(mm.rawRefcount(2)).isEqualTo(1);
        }
    }

    @Test
    void doubleFreeIsRejectedWhetherOrNotTheBlockCoalesced()
    {
        try (MemMap mm = new MemMap(4096))
        {
            final PhysMem phys = new PhysMem(mm);
            final long a = phys.allocPages(0);               // 1: stays an order-0 block when freed
            final long b = phys.allocPages(0);               // 2: split from 2..3, coalesces when freed
            phys.freePages(a, 0);
            phys.freePages(b, 0);
            final String before = phys.describe();
            assertThatThrownBy(() -> phys.freePages(a, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 1 ")
                    .hasMessageContaining("already free");
            assertThatThrownBy(() -> phys.freePages(b, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 2 ")
                    .hasMessageContaining("order 1 at pfn 2");
            assertThat(phys.describe()).isEqualTo(before);
        }
    }

    @Test
    void blockRunningPastTheEndIsRejected()
    {
        try (MemMap mm = new MemMap(1000))
        {
            final PhysMem phys = new PhysMem(mm);
            final String before = phys.describe();
            assertThatThrownBy(() -> phys.freePages(512, 9))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 512")
                    .hasMessageContaining("runs past");
            assertThat(phys.describe()).isEqualTo(before);
        }
    }

    @Test
    void aMemmapCanHaveOnlyOneAllocator()
    {
        try (MemMap mm = new MemMap(64))
        {
            new PhysMem(mm);
            assertThatThrownBy(() -> new PhysMem(mm)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pfn 0");
        }
    }

    /** Edge sizes plus 60 seeded random sizes up to 6000 pages, each with its own seed. */
    static Stream<Arguments> machines()
    {
        final Random rnd = new Random(20260101);
        return Stream.concat(
                LongStream.of(1, 2, 3, 1023, 1024, 1025, 2047, 2048, 3000).mapToObj(n -> Arguments.of(n, (int) n)),
                Stream.generate(() -> Arguments.of(1 + (long) rnd.nextInt(6000), rnd.nextInt())).limit(60));
    }

    @ParameterizedTest(name = "{0} pages, seed {1}")
    @MethodSource("machines")
    void anyAllocFreeSequenceKeepsCountsConsistentAndFreeingAllRestoresThem(final long nrPages, final int seed)
    {
        try (MemMap mm = new MemMap(nrPages))
        {
            final PhysMem phys = new PhysMem(mm);
            final long[] initial = counts(phys);
            final Random rnd = new Random(seed);
            final List<long[]> live = new ArrayList<>();
            for (int step = 0; step < 400; step++)
            {
                if (live.isEmpty() || rnd.nextInt(3) != 0)
                {
                    final int order = rnd.nextInt(11);
                    final long pfn = phys.allocPages(order);
                    if (pfn != NO_PFN)
                    {
                        assertThat(pfn & ((1L << order) - 1)).isZero();
                        assertThat(pfn).isBetween(1L, nrPages - (1L << order));
                        live.add(new long[] {pfn, order});
                    }
                }
                else
                {
                    final long[] b = live.remove(rnd.nextInt(live.size()));
                    phys.freePages(b[0], (int) b[1]);
                }
                long free = 0;
                for (int o = 0; o <= 10; o++)
                {
                    free += phys.freeBlockCount(o) << o;
                }
                long used = 0;
                for (final long[] b : live)
                {
                    used += 1L << b[1];
                }
                assertThat(phys.freePageCount()).isEqualTo(free).isEqualTo(nrPages - 1 - used);
            }
            for (final long[] b : live)
            {
                phys.freePages(b[0], (int) b[1]);
            }
            assertThat(counts(phys)).containsExactly(initial);
        }
    }

    /** 1 TiB of simulated RAM: 2^28 pages, 4 GiB of records. Run with -Pscale. */
    @Test
    @Tag("scale")
    void oneTebibyteMachine()
    {
        final long t0 = System.nanoTime();
        try (MemMap mm = new MemMap(1L << 28))
        {
            final PhysMem phys = new PhysMem(mm);
            assertThat(mm.offHeapBytes()).isEqualTo((4L << 30) + (2L << 30) + (32L << 20));
            assertThat(counts(phys)).containsExactly(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, (1L << 18) - 1);
            final long pfn = phys.allocPagesOrThrow(9);
            mm.prepFolio(pfn, 9, PG_ANON);
            mm.folioAddLargeMapcount(pfn, 512, 1);
            phys.freePages(pfn, 9);
            assertThat(phys.freePageCount()).isEqualTo((1L << 28) - 1);
            System.out.printf("1 TiB machine built and used in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
    }
}
