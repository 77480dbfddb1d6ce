package io.forksim.mem;

import static io.forksim.mem.PageDescriptor.PG_ANON;
import static io.forksim.mem.PageDescriptor.PG_DIRTY;
import static io.forksim.mem.PageDescriptor.PG_HEAD;
import static io.forksim.mem.PageDescriptor.PG_MM_IDS_SHARED;
import static io.forksim.mem.PageDescriptor.PG_SWAPBACKED;
import static io.forksim.mem.PageDescriptor.PG_TAIL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

class MemMapTest
{

    /** 4096 pages: PFNs 0..4095. */
    private MemMap mm;

    @BeforeEach
    void setUp()
    {
        mm = new MemMap(4096);
    }

    @AfterEach
    void tearDown()
    {
        mm.close();
    }

    @Nested
    class Construction
    {

        @Test
        void segmentsAreSizedPerPageAndZeroed()
        {
            assertThat(mm.nrPages()).isEqualTo(4096);
            assertThat(mm.records().byteSize()).isEqualTo(4096L * 16);
            assertThat(mm.tokens().byteSize()).isEqualTo(4096L * 8);
            assertThat(mm.anonExclusive().byteSize()).isEqualTo(4096L);
            assertThat(mm.offHeapBytes()).isEqualTo(4096L * 16 + 4096L * 8 + 4096L);
            for (long pfn = 0; pfn < 4096; pfn++)
            {
                assertThat(mm.flags(pfn)).isZero();
                assertThat(mm.rawRefcount(pfn)).isZero();
                assertThat(mm.rawMapcount(pfn)).isZero();
                assertThat(mm.aux(pfn)).isZero();
                assertThat(mm.token(pfn)).isZero();
                assertThat(mm.testAnonExclusive(pfn)).isFalse();
            }
        }

        @Test
        void aOnePageMapHasOneAnonExclusiveByte()
        {
            try (MemMap one = new MemMap(1))
            {
                assertThat(one.anonExclusive().byteSize()).isEqualTo(1);
                assertThat(one.offHeapBytes()).isEqualTo(25);
                one.setAnonExclusive(0);
                assertThat(one.testAnonExclusive(0)).isTrue();
                assertThat(one.anonExclusive().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 1);
                assertThat(one.flags(0)).isZero();
            }
        }

        @Test
        void aMapOfNoWholeWordOfBytesHasItsRangesClippedToItsPages()
        {
            try (MemMap odd = new MemMap(13))
            {  // bytes 0..12: one aligned word, five edge bytes
                assertThat(odd.anonExclusive().byteSize()).isEqualTo(13);
                odd.setAnonExclusiveRange(0, 13);
                assertThat(odd.anyAnonExclusive(12, 1)).isTrue();
                odd.clearAnonExclusiveRange(3, 10);         // 3..12
                assertThat(odd.anyAnonExclusive(3, 10)).isFalse();
                assertThat(odd.anyAnonExclusive(0, 3)).isTrue();
                assertThat(odd.anonExclusive().get(MemMap.LONG, 0)).isEqualTo(0x01_0101L);
            }
        }

        @Test
        void stateIs25BytesPerPage()
        {
            assertThat(PageDescriptor.STATE_BYTES_PER_PAGE).isEqualTo(25);
        }

        @Test
        void nrPagesOutOfRangeIsRejectedNamingTheValue()
        {
            assertThatThrownBy(() -> new MemMap(0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nrPages 0");
            assertThatThrownBy(() -> new MemMap(-3))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nrPages -3");
            assertThatThrownBy(() -> new MemMap(1L << 31))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nrPages 2147483648");
        }

        @Test
        void closeIsIdempotent()
        {
            final MemMap m = new MemMap(8);
            m.close();
            m.close();
        }
    }

    @Nested
    class Fields
    {

        @Test
        void recordFieldsAreIndependentLittleEndianInts()
        {
            mm.setFlags(7, 0x0102_0304);
            mm.setRefcount(7, -5);
            mm.setMapcount(7, 42);
            mm.setAux(7, 0x7fff_ffff);
            assertThat(mm.flags(7)).isEqualTo(0x0102_0304);
            assertThat(mm.rawRefcount(7)).isEqualTo(-5);
            assertThat(mm.rawMapcount(7)).isEqualTo(42);
            assertThat(mm.aux(7)).isEqualTo(0x7fff_ffff);
            assertThat(mm.records().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 7 * 16)).isEqualTo((byte) 0x04);
            assertThat(mm.records().get(MemMap.INT, PageDescriptor.refcountOffset(7))).isEqualTo(-5);
            assertThat(mm.flags(6)).isZero();
            assertThat(mm.flags(8)).isZero();
        }

        @Test
        void refAddAndMapcountAddReturnTheNewValue()
        {
            mm.setRefcount(3, 1);
            assertThat(mm.refAdd(3, 511)).isEqualTo(512);
            assertThat(mm.refAdd(3, -2)).isEqualTo(510);
            assertThat(mm.rawRefcount(3)).isEqualTo(510);
            assertThat(mm.mapcountAdd(3, 1)).isEqualTo(1);
            assertThat(mm.mapcountAdd(3, 1)).isEqualTo(2);
            assertThat(mm.rawMapcount(3)).isEqualTo(2);
        }

        @Test
        void refAndMapcountAddAddsToBothIntsOfTheRecordAndTouchesNothingElse()
        {
            mm.setFlags(5, 0x0000_0080);
            mm.setRefcount(5, 0x7FFF_FFFE);   // the low half may reach 2^31 - 1 + 1 without carrying into the mapcount
            mm.setMapcount(5, -1);
            mm.setAux(5, 0x1234_5678);
            mm.setRefcount(6, 9);
            mm.refAndMapcountAdd(5, 1);
            assertThat(mm.rawRefcount(5)).isEqualTo(0x7FFF_FFFF);
            assertThat(mm.rawMapcount(5)).isZero();
            mm.refAndMapcountAdd(5, 3);
            assertThat(mm.rawRefcount(5)).isEqualTo(0x8000_0002);
            assertThat(mm.rawMapcount(5)).isEqualTo(3);
            assertThat(mm.records().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
                PageDescriptor.refcountOffset(5))).isEqualTo(0x0000_0003_8000_0002L);
            assertThat(mm.flags(5)).isEqualTo(0x0000_0080);
            assertThat(mm.aux(5)).isEqualTo(0x1234_5678);
            assertThat(mm.rawRefcount(6)).isEqualTo(9);
            assertThat(mm.flags(6)).isZero();
            assertThat(mm.rawMapcount(4)).isZero();
        }

        @Test
        void refAndMapcountAddLeavesTheSameRecordAsRefAddThenMapcountAdd()
        {
            mm.setRefcount(10, 1);
            mm.setMapcount(10, 1);
            mm.setRefcount(11, 1);
            mm.setMapcount(11, 1);
            mm.refAdd(10, 2);
            mm.mapcountAdd(10, 2);
            mm.refAndMapcountAdd(11, 2);
            assertThat(mm.records().asSlice(PageDescriptor.recordOffset(11), 16).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                .containsExactly(mm.records().asSlice(PageDescriptor.recordOffset(10), 16).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }

        @Test
        void refAndMapcountAddOnAnAtomicMapIsTheTwoAtomicAdds()
        {
            try (MemMap atomic = new MemMap(64, true))
            {
                atomic.setRefcount(7, 1);
                atomic.setMapcount(7, 1);
                atomic.refAndMapcountAdd(7, 1);
                assertThat(atomic.rawRefcount(7)).isEqualTo(2);
                assertThat(atomic.rawMapcount(7)).isEqualTo(2);
                assertThat(atomic.flags(7)).isZero();
                assertThat(atomic.aux(7)).isZero();
            }
        }

        @Test
        void tokensAreEightBytesPerPage()
        {
            mm.setToken(100, 0xDEAD_BEEF_CAFE_F00DL);
            mm.setToken(101, 1);
            assertThat(mm.token(100)).isEqualTo(0xDEAD_BEEF_CAFE_F00DL);
            assertThat(mm.token(101)).isEqualTo(1);
            assertThat(mm.token(99)).isZero();
        }

        @Test
        void pageTableSlotLivesInTheMapcountSlot()
        {
            mm.setPtSlot(9, 1234);
            assertThat(mm.ptSlot(9)).isEqualTo(1234);
            assertThat(mm.rawMapcount(9)).isEqualTo(1234);
        }

        @Test
        void segmentAccessOutsideTheMapFails()
        {
            assertThatThrownBy(() -> mm.flags(4096)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> mm.token(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Nested
    class PrepFolio
    {

        @Test
        void order9SetsHeadAndTailFlagsAndOrderInAll512Pages()
        {
            mm.setToken(700, 77);
            mm.setFlags(511, PG_DIRTY);
            mm.setFlags(1024, PG_DIRTY);
            mm.setAnonExclusiveRange(500, 600);   // 500..1099: covers the folio and both neighbours

            mm.prepFolio(512, 9, PG_ANON | PG_SWAPBACKED);

            assertThat(mm.flags(512)).isEqualTo(PG_HEAD | 9 | PG_ANON | PG_SWAPBACKED);
            // tails: PG_TAIL, the order, and the folio's type flags (anon, swapbacked) -- not PG_HEAD
            for (long pfn = 513; pfn < 1024; pfn++)
            {
                assertThat(mm.flags(pfn)).as("flags of %d", pfn).isEqualTo(PG_TAIL | 9 | PG_ANON | PG_SWAPBACKED);
            }
            for (long pfn = 512; pfn < 1024; pfn++)
            {
                assertThat(mm.order(pfn)).isEqualTo(9);
                assertThat(mm.folioHead(pfn)).isEqualTo(512);
                assertThat(mm.isLarge(pfn)).isTrue();
                assertThat(mm.folioNrPages(pfn)).isEqualTo(512);
                assertThat(mm.folioTestAnon(pfn)).isTrue();
                assertThat(mm.rawRefcount(pfn)).isEqualTo(pfn == 512 ? 1 : 0);
                assertThat(mm.rawMapcount(pfn)).isZero();
                assertThat(mm.aux(pfn)).isZero();
                assertThat(mm.token(pfn)).isZero();
                assertThat(mm.testAnonExclusive(pfn)).isFalse();
            }
            assertThat(mm.anyAnonExclusive(512, 512)).isFalse();
            // neighbours untouched
            assertThat(mm.flags(511)).isEqualTo(PG_DIRTY);
            assertThat(mm.flags(1024)).isEqualTo(PG_DIRTY);
            assertThat(mm.testAnonExclusive(511)).isTrue();
            assertThat(mm.testAnonExclusive(1024)).isTrue();
            assertThat(mm.folioMmId(512, 0)).isZero();
            assertThat(mm.folioMmId(512, 1)).isZero();
            assertThat(mm.largeMapcount(512)).isZero();
            assertThat(mm.pincount(512)).isZero();
        }

        @Test
        void order0HasNoHeadFlag()
        {
            mm.setAnonExclusive(5);
            mm.prepFolio(5, 0, PG_ANON);
            assertThat(mm.flags(5)).isEqualTo(PG_ANON);
            assertThat(mm.rawRefcount(5)).isEqualTo(1);
            assertThat(mm.folioHead(5)).isEqualTo(5);
            assertThat(mm.folioTestLarge(5)).isFalse();
            assertThat(mm.folioNrPages(5)).isEqualTo(1);
            assertThat(mm.testAnonExclusive(5)).isFalse();
        }

        @Test
        void onlyTypeFlagsAreCopiedToTails()
        {
            mm.prepFolio(64, 6, PageDescriptor.PG_FILE | PG_DIRTY);
            assertThat(mm.flags(64)).isEqualTo(PG_HEAD | 6 | PageDescriptor.PG_FILE | PG_DIRTY);
            assertThat(mm.flags(127)).isEqualTo(PG_TAIL | 6 | PageDescriptor.PG_FILE);
            assertThat(mm.folioTestAnon(127)).isFalse();
        }

        @Test
        void order1FolioHasPage1AsItsOnlyTail()
        {
            mm.prepFolio(6, 1, 0);
            assertThat(mm.flags(6)).isEqualTo(PG_HEAD | 1);
            assertThat(mm.flags(7)).isEqualTo(PG_TAIL | 1);
            assertThat(mm.folioHead(7)).isEqualTo(6);
        }

        @Test
        void badArgumentsAreRejectedNamingTheValueAndChangeNothing()
        {
            assertThatThrownBy(() -> mm.prepFolio(513, 9, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 513")
                    .hasMessageContaining("order 9");
            assertThatThrownBy(() -> mm.prepFolio(0, 11, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("order 11");
            assertThatThrownBy(() -> mm.prepFolio(4096, 0, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 4096");
            assertThatThrownBy(() -> mm.prepFolio(-1, 0, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn -1");
            assertThatThrownBy(() -> mm.prepFolio(0, 0, PG_HEAD))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x10");
            assertThatThrownBy(() -> mm.prepFolio(0, 0, PG_ANON | 1 << 17))   // bit 17 is not assigned
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("structural bits 0x20000");
            assertThatThrownBy(() -> mm.prepFolio(0, 0, 1 << 20))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x100000");
            try (MemMap odd = new MemMap(1000))
            {
                assertThatThrownBy(() -> odd.prepFolio(512, 9, 0))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 512");
            }
            for (long pfn = 0; pfn < 4096; pfn++)
            {
                assertThat(mm.flags(pfn)).isZero();
            }
        }

        @Test
        void clearFolioZeroesRecordsAndPaeButKeepsTokens()
        {
            mm.prepFolio(1024, 10, PG_ANON);
            mm.setAnonExclusiveRange(1024, 1024);
            mm.setToken(1500, 9);
            mm.folioAddLargeMapcount(1024, 1024, 1);

            mm.clearFolio(1024, 10);

            for (long pfn = 1024; pfn < 2048; pfn++)
            {
                assertThat(mm.flags(pfn) | mm.rawRefcount(pfn) | mm.rawMapcount(pfn) | mm.aux(pfn)).isZero();
            }
            assertThat(mm.anyAnonExclusive(1024, 1024)).isFalse();
            assertThat(mm.token(1500)).isEqualTo(9);
        }
    }

    /** PageAnonExclusive: one byte per page in the anonExclusive segment, 1 = exclusive. */
    @Nested
    class AnonExclusive
    {

        @Test
        void isOneByteOfItsOwnPerPage()
        {
            mm.setFlags(63, PG_DIRTY);
            mm.setAnonExclusive(63);
            mm.setAnonExclusive(64);
            assertThat(mm.testAnonExclusive(62)).isFalse();
            assertThat(mm.testAnonExclusive(63)).isTrue();
            assertThat(mm.testAnonExclusive(64)).isTrue();
            assertThat(mm.anonExclusive().get(MemMap.LONG, 56)).isEqualTo(0x0100_0000_0000_0000L);   // byte 63
            assertThat(mm.anonExclusive().get(MemMap.LONG, 64)).isEqualTo(0x01L);                    // byte 64
            // the records are not involved
            assertThat(mm.flags(63)).isEqualTo(PG_DIRTY);
            assertThat(mm.flags(64) | mm.rawRefcount(64) | mm.rawMapcount(64) | mm.aux(64)).isZero();
            mm.clearAnonExclusive(63);
            assertThat(mm.testAnonExclusive(63)).isFalse();
            assertThat(mm.flags(63)).isEqualTo(PG_DIRTY);
            assertThat(mm.testAnonExclusive(64)).isTrue();
        }

        @Test
        void clearingOnePageStoresOnlyItsByte()
        {
            mm.setAnonExclusiveRange(8, 8);                 // bytes 8..15
            mm.clearAnonExclusive(11);
            mm.clearAnonExclusive(20);                      // not set: stays 0
            assertThat(mm.anonExclusive().get(MemMap.LONG, 8)).isEqualTo(0x0101_0101_0001_0101L);
            assertThat(mm.anonExclusive().get(MemMap.LONG, 16)).isZero();
        }

        @Test
        void anAtomicMapKeepsTheSameBytes()
        {
            try (MemMap atomic = new MemMap(64, true))
            {
                atomic.setAnonExclusiveRange(3, 20);        // 3..22: an edge, two words, an edge
                atomic.setAnonExclusive(40);
                atomic.clearAnonExclusive(4);
                atomic.clearAnonExclusiveRange(6, 14);      // 6..19: an edge, the word 8..15, an edge
                assertThat(exclusivePfns(atomic)).containsExactly(3L, 5L, 20L, 21L, 22L, 40L);
                assertThat(atomic.anyAnonExclusive(6, 14)).isFalse();
                assertThat(atomic.anyAnonExclusive(23, 41)).isTrue();
                assertThat(atomic.anonExclusive().get(MemMap.LONG, 0)).isEqualTo(0x0000_0100_0100_0000L);   // 3, 5
            }
        }

        @Test
        void rangeSetsAndClearsExactlyItsPages()
        {
            mm.setAnonExclusiveRange(3, 5);                 // 3..7
            assertThat(exclusivePfns()).containsExactly(3L, 4L, 5L, 6L, 7L);
            assertThat(mm.anyAnonExclusive(0, 3)).isFalse();
            assertThat(mm.anyAnonExclusive(0, 4)).isTrue();
            assertThat(mm.anyAnonExclusive(8, 56)).isFalse();
            mm.clearAnonExclusiveRange(4, 3);               // 4..6
            assertThat(exclusivePfns()).containsExactly(3L, 7L);
        }

        /** Every start and length over two words: the byte edges, the words between them and the bounds meet. */
        @Test
        void rangeClearOfEveryStartAndLengthClearsExactlyItsPages()
        {
            for (int from = 0; from < 17; from++)
            {
                for (int nr = 0; nr < 25; nr++)
                {
                    mm.setAnonExclusiveRange(0, 48);
                    mm.clearAnonExclusiveRange(from, nr);
                    final List<Long> expected = new java.util.ArrayList<>();
                    for (long p = 0; p < 48; p++)
                    {
                        if (p < from || p >= from + nr)
                        {
                            expected.add(p);
                        }
                    }
                    assertThat(exclusivePfns()).as("clear %d..%d", from, from + nr - 1).isEqualTo(expected);
                }
            }
        }

        @Test
        void rangesLeaveTheRecordsAlone()
        {
            mm.prepFolio(64, 6, PG_ANON | PG_SWAPBACKED);   // 64..127
            mm.setAnonExclusiveRange(60, 10);               // 60..69: four free pages, then the folio's first six
            assertThat(exclusivePfns()).containsExactly(60L, 61L, 62L, 63L, 64L, 65L, 66L, 67L, 68L, 69L);
            assertThat(mm.flags(60)).isZero();
            assertThat(mm.flags(64)).isEqualTo(PG_HEAD | 6 | PG_ANON | PG_SWAPBACKED);
            assertThat(mm.flags(69)).isEqualTo(PG_TAIL | 6 | PG_ANON | PG_SWAPBACKED);
            assertThat(mm.anyAnonExclusive(50, 10)).isFalse();   // 50..59
            assertThat(mm.anyAnonExclusive(50, 11)).isTrue();    // 50..60
            assertThat(mm.anyAnonExclusive(69, 1)).isTrue();
            assertThat(mm.anyAnonExclusive(70, 100)).isFalse();

            mm.clearAnonExclusiveRange(62, 6);              // 62..67: keeps 60, 61, 68, 69
            assertThat(exclusivePfns()).containsExactly(60L, 61L, 68L, 69L);
            assertThat(mm.flags(64)).isEqualTo(PG_HEAD | 6 | PG_ANON | PG_SWAPBACKED);
            assertThat(mm.flags(67)).isEqualTo(PG_TAIL | 6 | PG_ANON | PG_SWAPBACKED);
        }

        @Test
        void longRange()
        {
            mm.setAnonExclusiveRange(10, 200);              // 10..209
            assertThat(exclusivePfns()).isEqualTo(LongStream.range(10, 210).boxed().toList());

            mm.clearAnonExclusiveRange(64, 128);            // 64..191
            assertThat(mm.anyAnonExclusive(64, 128)).isFalse();
            assertThat(mm.anyAnonExclusive(63, 2)).isTrue();
            assertThat(mm.anyAnonExclusive(191, 2)).isTrue();
            assertThat(exclusivePfns()).isEqualTo(
                    LongStream.concat(LongStream.range(10, 64), LongStream.range(192, 210)).boxed().toList());
        }

        @Test
        void batchOf512FindsOnePageInTheMiddle()
        {
            mm.setAnonExclusive(1000);
            assertThat(mm.anyAnonExclusive(512, 512)).isTrue();
            assertThat(mm.anyAnonExclusive(0, 512)).isFalse();
            assertThat(mm.anyAnonExclusive(1024, 512)).isFalse();
            mm.clearAnonExclusiveRange(512, 512);
            assertThat(mm.testAnonExclusive(1000)).isFalse();
        }

        @Test
        void emptyRangesDoNothing()
        {
            mm.setAnonExclusive(5);
            assertThat(mm.anyAnonExclusive(5, 0)).isFalse();
            mm.clearAnonExclusiveRange(5, 0);
            mm.setAnonExclusiveRange(6, 0);
            assertThat(exclusivePfns()).containsExactly(5L);
        }

        @Test
        void lastPagesOfTheMap()
        {
            mm.setAnonExclusiveRange(4090, 6);
            assertThat(exclusivePfns()).containsExactly(4090L, 4091L, 4092L, 4093L, 4094L, 4095L);
            assertThat(mm.anyAnonExclusive(4032, 64)).isTrue();
            mm.clearAnonExclusiveRange(4032, 64);
            assertThat(exclusivePfns()).isEmpty();
        }

        /** The PageAnonExclusive PFNs of the map, ascending. */
        private List<Long> exclusivePfns()
        {
            return exclusivePfns(mm);
        }

        private static List<Long> exclusivePfns(final MemMap map)
        {
            final List<Long> out = new ArrayList<>();
            for (long pfn = 0; pfn < map.nrPages(); pfn++)
            {
                if (map.testAnonExclusive(pfn))
                {
                    out.add(pfn);
                }
            }
            return out;
        }
    }

    @Nested
    class Pins
    {

        @Test
        void smallFolioIsMaybePinnedFromGupPinCountingBias()
        {
            mm.prepFolio(1, 0, PG_ANON);
            assertThat(mm.folioMaybeDmaPinned(1)).isFalse();
            mm.refAdd(1, 1022);                             // 1023 plain references
            assertThat(mm.folioMaybeDmaPinned(1)).isFalse();
            mm.refAdd(1, 1);                                // 1024: a false positive, as in the kernel
            assertThat(mm.folioMaybeDmaPinned(1)).isTrue();
            mm.setRefcount(1, -1);                          // overflowed: read unsigned
            assertThat(mm.folioMaybeDmaPinned(1)).isTrue();
        }

        @Test
        void largeFolioIsPinnedExactlyWhenPincountIsPositive()
        {
            mm.prepFolio(512, 9, PG_ANON);
            mm.refAdd(512, 5000);
            assertThat(mm.folioMaybeDmaPinned(512)).isFalse();
            mm.setPincount(512, 1);
            assertThat(mm.folioMaybeDmaPinned(512)).isTrue();
        }
    }

    /**
     * The 6.15+ large-mapcount bookkeeping (folio_add/sub_return_large_mapcount, CONFIG_MM_ID) on an
     * order-9 anon folio at PFN 512. MM 1 is the parent, 2 the child, 3 a grandchild.
     */
    @Nested
    class MmIds
    {

        private static final long HEAD = 512;
        private static final int PARENT = 1;
        private static final int CHILD = 2;
        private static final int GRANDCHILD = 3;

        @BeforeEach
        void folio()
        {
            mm.prepFolio(HEAD, 9, PG_ANON | PG_SWAPBACKED);
        }

        @Test
        void parentMapsAllPagesExclusively()
        {
            assertThat(mm.folioAddLargeMapcount(HEAD, 512, PARENT)).isEqualTo(512);
            assertThat(mm.largeMapcount(HEAD)).isEqualTo(512);
            assertThat(mm.folioMmId(HEAD, 0)).isEqualTo(PARENT);
            assertThat(mm.folioMmIdMapcount(HEAD, PARENT)).isEqualTo(512);
            assertThat(mm.folioMmIdsShared(HEAD)).isFalse();
            // page[1] holds the state: refcount slot = slot-0 count, aux = packed ids
            assertThat(mm.rawRefcount(HEAD + 1)).isEqualTo(512);
            assertThat(mm.rawMapcount(HEAD + 1)).isZero();
            assertThat(mm.aux(HEAD + 1)).isEqualTo(PARENT);
        }

        @Test
        void childMappingAllPagesTakesSlot1AndMarksShared()
        {
            mm.folioAddLargeMapcount(HEAD, 512, PARENT);
            assertThat(mm.folioAddLargeMapcount(HEAD, 512, CHILD)).isEqualTo(1024);

            assertThat(mm.folioMmId(HEAD, 0)).isEqualTo(PARENT);
            assertThat(mm.folioMmId(HEAD, 1)).isEqualTo(CHILD);
            assertThat(mm.folioMmIdMapcount(HEAD, PARENT)).isEqualTo(512);
            assertThat(mm.folioMmIdMapcount(HEAD, CHILD)).isEqualTo(512);
            assertThat(mm.folioMmIdsShared(HEAD)).isTrue();
            assertThat(mm.flags(HEAD)).isEqualTo(PG_HEAD | 9 | PG_ANON | PG_SWAPBACKED | PG_MM_IDS_SHARED);
            assertThat(mm.aux(HEAD + 1)).isEqualTo(PARENT | CHILD << 16);
            assertThat(mm.rawMapcount(HEAD + 1)).isEqualTo(512);
        }

        @Test
        void childUnmappingEverythingFreesItsSlotAndClearsShared()
        {
            mm.folioAddLargeMapcount(HEAD, 512, PARENT);
            mm.folioAddLargeMapcount(HEAD, 512, CHILD);

            assertThat(mm.folioSubLargeMapcount(HEAD, 512, CHILD)).isEqualTo(512);

            assertThat(mm.folioMmId(HEAD, 1)).isZero();
            assertThat(mm.folioMmIdMapcount(HEAD, CHILD)).isZero();
            assertThat(mm.folioMmIdMapcount(HEAD, PARENT)).isEqualTo(512);
            assertThat(mm.folioMmIdsShared(HEAD)).isFalse();
        }

        @Test
        void partialUnmapKeepsSharedUntilOneSlotOwnsEveryMapping()
        {
            mm.folioAddLargeMapcount(HEAD, 512, PARENT);
            mm.folioAddLargeMapcount(HEAD, 512, CHILD);

            assertThat(mm.folioSubLargeMapcount(HEAD, 256, CHILD)).isEqualTo(768);
            assertThat(mm.folioMmIdMapcount(HEAD, CHILD)).isEqualTo(256);
            assertThat(mm.folioMmIdsShared(HEAD)).isTrue();

            // the parent goes: slot 0 is freed and slot 1 (256) now owns all 256 mappings
            assertThat(mm.folioSubLargeMapcount(HEAD, 512, PARENT)).isEqualTo(256);
            assertThat(mm.folioMmId(HEAD, 0)).isZero();
            assertThat(mm.folioMmId(HEAD, 1)).isEqualTo(CHILD);
            assertThat(mm.folioMmIdsShared(HEAD)).isFalse();
        }

        @Test
        void grandchildGetsNoSlotWhenBothAreTaken()
        {
            mm.folioAddLargeMapcount(HEAD, 512, PARENT);
            mm.folioAddLargeMapcount(HEAD, 512, CHILD);

            assertThat(mm.folioAddLargeMapcount(HEAD, 512, GRANDCHILD)).isEqualTo(1536);
            assertThat(mm.folioMmId(HEAD, 0)).isEqualTo(PARENT);
            assertThat(mm.folioMmId(HEAD, 1)).isEqualTo(CHILD);
            assertThat(mm.folioMmIdMapcount(HEAD, GRANDCHILD)).isZero();
            assertThat(mm.folioMmIdMapcount(HEAD, PARENT) + mm.folioMmIdMapcount(HEAD, CHILD)).isEqualTo(1024);
            assertThat(mm.folioMmIdsShared(HEAD)).isTrue();

            // grandchild unmaps: 1024 left, no single slot owns them all
            assertThat(mm.folioSubLargeMapcount(HEAD, 512, GRANDCHILD)).isEqualTo(1024);
            assertThat(mm.folioMmIdsShared(HEAD)).isTrue();
            // child unmaps: the parent's slot owns all 512
            assertThat(mm.folioSubLargeMapcount(HEAD, 512, CHILD)).isEqualTo(512);
            assertThat(mm.folioMmIdsShared(HEAD)).isFalse();
        }

        @Test
        void slotlessMmLeftAloneStaysMarkedSharedUntilUnmapped()
        {
            mm.folioAddLargeMapcount(HEAD, 512, PARENT);
            mm.folioAddLargeMapcount(HEAD, 512, CHILD);
            mm.folioAddLargeMapcount(HEAD, 512, GRANDCHILD);

            assertThat(mm.folioSubLargeMapcount(HEAD, 512, PARENT)).isEqualTo(1024);
            assertThat(mm.folioSubLargeMapcount(HEAD, 512, CHILD)).isEqualTo(512);
            // only the grandchild maps it, but it never had a slot: the kernel's "maybe shared" stays
            assertThat(mm.folioMmId(HEAD, 0)).isZero();
            assertThat(mm.folioMmId(HEAD, 1)).isZero();
            assertThat(mm.folioMmIdsShared(HEAD)).isTrue();

            assertThat(mm.folioSubLargeMapcount(HEAD, 512, GRANDCHILD)).isZero();
            assertThat(mm.folioMmIdsShared(HEAD)).isFalse();
        }

        @Test
        void freedSlotIsTakenByTheNextMm()
        {
            mm.folioAddLargeMapcount(HEAD, 512, PARENT);
            mm.folioAddLargeMapcount(HEAD, 512, CHILD);
            mm.folioSubLargeMapcount(HEAD, 512, PARENT);        // slot 0 free, child owns all
            assertThat(mm.folioMmIdsShared(HEAD)).isFalse();

            assertThat(mm.folioAddLargeMapcount(HEAD, 100, GRANDCHILD)).isEqualTo(612);
            assertThat(mm.folioMmId(HEAD, 0)).isEqualTo(GRANDCHILD);
            assertThat(mm.folioMmIdMapcount(HEAD, GRANDCHILD)).isEqualTo(100);
            assertThat(mm.folioMmIdsShared(HEAD)).isTrue();    // other mappings already existed
        }

        @Test
        void sameMmMappingAgainOnlyCounts()
        {
            mm.folioAddLargeMapcount(HEAD, 16, PARENT);
            assertThat(mm.folioAddLargeMapcount(HEAD, 16, PARENT)).isEqualTo(32);
            assertThat(mm.folioMmIdMapcount(HEAD, PARENT)).isEqualTo(32);
            assertThat(mm.folioMmIdsShared(HEAD)).isFalse();
            assertThat(mm.folioSubLargeMapcount(HEAD, 32, PARENT)).isZero();
            assertThat(mm.aux(HEAD + 1)).isZero();
            assertThat(mm.rawRefcount(HEAD + 1)).isZero();
        }

        @Test
        void setLargeMapcountStartsAFreshFolioInSlot0()
        {
            mm.folioSetLargeMapcount(HEAD, 512, PARENT);
            assertThat(mm.largeMapcount(HEAD)).isEqualTo(512);
            assertThat(mm.folioMmIdMapcount(HEAD, PARENT)).isEqualTo(512);
            assertThat(mm.folioMmIdsShared(HEAD)).isFalse();
            assertThatThrownBy(() -> mm.folioSetLargeMapcount(HEAD, 1, CHILD))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("folio 512");
        }

        @Test
        void badArgumentsAreRejectedNamingTheValue()
        {
            mm.prepFolio(1, 0, PG_ANON);
            assertThatThrownBy(() -> mm.folioAddLargeMapcount(1, 1, PARENT))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 1 ");
            assertThatThrownBy(() -> mm.folioAddLargeMapcount(HEAD + 1, 1, PARENT))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pfn 513");
            assertThatThrownBy(() -> mm.folioAddLargeMapcount(HEAD, 0, PARENT))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nr 0");
            assertThatThrownBy(() -> mm.folioAddLargeMapcount(HEAD, 1, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mmId 0");
            assertThatThrownBy(() -> mm.folioSubLargeMapcount(HEAD, 1, 65536))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mmId 65536");
            assertThat(mm.largeMapcount(HEAD)).isZero();
            assertThat(mm.aux(HEAD + 1)).isZero();
        }

        @Test
        void largestMmIdFitsItsSixteenBits()
        {
            mm.folioAddLargeMapcount(HEAD, 1, 65535);
            mm.folioAddLargeMapcount(HEAD, 1, 65534);
            assertThat(mm.folioMmId(HEAD, 0)).isEqualTo(65535);
            assertThat(mm.folioMmId(HEAD, 1)).isEqualTo(65534);
            assertThat(mm.folioMmIdMapcount(HEAD, 65534)).isEqualTo(1);
        }
    }
}
