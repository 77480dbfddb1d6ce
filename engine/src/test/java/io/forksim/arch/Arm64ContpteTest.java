package io.forksim.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.forksim.check.ContpteInvariants;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.pte.Arm64Pte;
import io.forksim.stats.Events;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The arm64 contpte layer on a bare PTE table: bit results and exact event counts, one kernel rule per test.
 * Table slot {@code i} maps VA {@code i * 4 KiB} of a 2 MiB-aligned range.
 */
class Arm64ContpteTest
{
    private static final long PAGE_SHIFT = 12;
    /** A private writable anon page after a write fault: PAGE_READONLY + mkwrite + mkdirty (sw DIRTY, RDONLY clear), young. */
    private static final long ANON_RW_DIRTY = Arm64Pte.pteMkdirty(Arm64Pte.pteMkwrite(Arm64Pte.PAGE_READONLY));
    /** A private read-only, clean, old page. */
    private static final long RO_CLEAN_OLD = Arm64Pte.pteMkold(Arm64Pte.PAGE_READONLY);

    private Arena arena;
    private MemorySegment t;
    private MemMap memmap;

    @BeforeEach
    void setUp()
    {
        arena = Arena.ofConfined();
        t = arena.allocate(4096, 4096);
        memmap = new MemMap(4096);
    }

    @AfterEach
    void tearDown()
    {
        memmap.close();
        arena.close();
    }

    // ---------------------------------------------------------------- helpers

    private Arm64 arch(final boolean tlbiRange, final boolean basic)
    {
        final Arm64 a = basic ? new Arm64ContpteBasic(tlbiRange) : new Arm64(tlbiRange);
        a.setMemMap(memmap);
        return a;
    }

    private static long pte(final long pfn, final long prot)
    {
        return Arm64Pte.pfnPte(pfn, prot);
    }

    /** Expected events from name/value pairs ({@link Events#NAMES}); every other counter is 0. */
    private static Events events(final Object... kv)
    {
        final long[] v = new long[Events.NAMES.length];
        for (int i = 0; i < kv.length; i += 2)
        {
            final int at = List.of(Events.NAMES).indexOf((String)kv[i]);
            assertThat(at).as("event name %s", kv[i]).isNotNegative();
            v[at] = ((Number)kv[i + 1]).longValue();
        }
        return Events.fromArray(v);
    }

    private long peek(final int idx)
    {
        return Arch.peek(t, 0, idx);
    }

    /** Pokes a folded block: slots {@code start..start+15} = CONT entries of pfn0.. with {@code prot}. */
    private void pokeContBlock(final int start, final long pfn0, final long prot)
    {
        for (int i = 0; i < 16; i++)
        {
            Arch.poke(t, 0, start + i, pte(pfn0 + i, prot) | Arm64Pte.CONT);
        }
    }

    private boolean cont(final int idx)
    {
        return Arm64Pte.pteCont(peek(idx));
    }

    private int contEntries()
    {
        int n = 0;
        for (int i = 0; i < 512; i++)
        {
            n += cont(i) ? 1 : 0;
        }
        return n;
    }

    // ---------------------------------------------------------------- contpte_set_ptes

    @Test
    void order4FolioAtAnAlignedSlotBecomesOneContBlockWithPlainStoresOnly()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(64, 4, PageDescriptor.PG_ANON);
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 16, pte(64, ANON_RW_DIRTY), 16);

        for (int i = 0; i < 16; i++)
        {
            assertThat(peek(16 + i)).isEqualTo(pte(64 + i, ANON_RW_DIRTY) | Arm64Pte.CONT);
        }
        assertThat(contEntries()).isEqualTo(16);
        assertThat(ev).isEqualTo(events("pte_store", 16));
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }

    @Test
    void order4FolioAtASlotNotCongruentWithItsPfnGetsNoCont()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(64, 4, PageDescriptor.PG_ANON);
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 8, pte(64, ANON_RW_DIRTY), 16);   // slots 8..23: two partial chunks

        assertThat(contEntries()).isZero();
        assertThat(ev).isEqualTo(events("pte_store", 16));
    }

    @Test
    void aWholeAlignedBlockWhosePfnIsNotAMultipleOf16GetsNoCont()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(64, 5, PageDescriptor.PG_ANON);
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 16, pte(72, ANON_RW_DIRTY), 16);   // slots 16..31 aligned, PFNs 72..87 not

        assertThat(contEntries()).isZero();
        assertThat(ev).isEqualTo(events("pte_store", 16));
    }

    @Test
    void order9FolioGetsContOnEveryBlock()
    {
        final Arm64 a = arch(false, false);
        memmap.prepFolio(512, 9, PageDescriptor.PG_ANON);
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 0, pte(512, ANON_RW_DIRTY), 512);

        assertThat(contEntries()).isEqualTo(512);
        assertThat(ev).isEqualTo(events("pte_store", 512));
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }

    @Test
    void partOfAnOrder9FolioGetsContOnFullAlignedBlocksOnly()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(512, 9, PageDescriptor.PG_ANON);
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 8, pte(520, ANON_RW_DIRTY), 500);   // slots 8..507

        for (int i = 8; i < 16; i++)
        {
            assertThat(cont(i)).as("head chunk slot %d", i).isFalse();
        }
        for (int i = 16; i < 496; i++)
        {
            assertThat(cont(i)).as("whole block slot %d", i).isTrue();
        }
        for (int i = 496; i < 508; i++)
        {
            assertThat(cont(i)).as("tail chunk slot %d", i).isFalse();
        }
        assertThat(Arm64Pte.ptePfn(peek(507))).isEqualTo(1019);
        assertThat(ev).isEqualTo(events("pte_store", 500));
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }

    @Test
    void theContBitOfTheGivenPteIsIgnored()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(64, 4, PageDescriptor.PG_ANON);

        a.setPtes(new Events(), t, 0, 16, pte(64, ANON_RW_DIRTY) | Arm64Pte.CONT, 8);

        assertThat(contEntries()).isZero();
    }

    @Test
    void setPtesFullOfOneEntryIsOneStoreWithoutProbeOrFoldCheck()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(0, 4, PageDescriptor.PG_ANON);
        for (int i = 0; i < 15; i++)
        {
            Arch.poke(t, 0, i, pte(i, ANON_RW_DIRTY));
        }
        final Events ev = new Events();

        a.setPtesFull(ev, t, 0, 15, pte(15, ANON_RW_DIRTY), 1);   // set_ptes would fold here

        assertThat(ev).isEqualTo(events("pte_store", 1));
        assertThat(contEntries()).isZero();
    }

    @Test
    void setPtesFullOfABlockSetsCont()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(32, 4, PageDescriptor.PG_ANON);
        final Events ev = new Events();

        a.setPtesFull(ev, t, 0, 32, pte(32, RO_CLEAN_OLD), 16);

        assertThat(contEntries()).isEqualTo(16);
        assertThat(ev).isEqualTo(events("pte_store", 16));
    }

    // ---------------------------------------------------------------- ptep_get / batch hints

    @Test
    void nonContEntryIsOneRawLoad()
    {
        final Arm64 a = arch(true, false);
        Arch.poke(t, 0, 3, pte(7, ANON_RW_DIRTY));
        final Events ev = new Events();

        assertThat(a.ptepGet(ev, t, 0, 3)).isEqualTo(pte(7, ANON_RW_DIRTY));
        assertThat(ev).isEqualTo(events("ptep_get", 1, "pte_load", 1));
    }

    @Test
    void contEntryGathersDirtyAndYoungFromOtherEntriesOfItsBlock()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(16, 32, RO_CLEAN_OLD);
        Arch.poke(t, 0, 16 + 5, Arm64Pte.pteMkdirty(peek(16 + 5)));   // sw dirty on slot 21
        Arch.poke(t, 0, 16 + 9, Arm64Pte.pteMkyoung(peek(16 + 9)));   // AF on slot 25
        final Events ev = new Events();

        final long got = a.ptepGet(ev, t, 0, 18);

        assertThat(got).isEqualTo(Arm64Pte.pteMkyoung(Arm64Pte.pteMkdirty(pte(34, RO_CLEAN_OLD) | Arm64Pte.CONT)));
        // 1 raw load; gather: slots 16..21 (dirty found), then the young search re-reads 21 and reads up to 25.
        assertThat(ev).isEqualTo(events("ptep_get", 1, "pte_load", 1 + 6 + 5, "gather", 1));
    }

    @Test
    void contEntryOfAnOldCleanBlockReadsTheWholeBlock()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, RO_CLEAN_OLD);
        final Events ev = new Events();

        assertThat(a.ptepGet(ev, t, 0, 15)).isEqualTo(pte(15, RO_CLEAN_OLD) | Arm64Pte.CONT);
        assertThat(ev).isEqualTo(events("ptep_get", 1, "pte_load", 17, "gather", 1));
    }

    @Test
    void contEntryOfAFreshlyWrittenBlockStopsAfterTheFirstEntry()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, ANON_RW_DIRTY);   // young and dirty everywhere
        final Events ev = new Events();

        a.ptepGet(ev, t, 0, 7);

        assertThat(ev).isEqualTo(events("ptep_get", 1, "pte_load", 3, "gather", 1));
    }

    @Test
    void hardwareDirtyCountsAsDirty()
    {
        final Arm64 a = arch(true, false);
        final long cleanWritable = Arm64Pte.pteMkold(Arm64Pte.pteMkwrite(Arm64Pte.PAGE_READONLY));   // RDONLY|WRITE
        pokeContBlock(0, 0, cleanWritable);
        Arch.poke(t, 0, 4, peek(4) & ~Arm64Pte.RDONLY);   // the MMU's DBM write: hardware dirty

        final long got = a.ptepGet(new Events(), t, 0, 0);

        assertThat(Arm64Pte.pteDirty(got)).isTrue();
        assertThat(Arm64Pte.pteHwDirty(got)).isTrue();
    }

    @Test
    void batchHintSkipsTheRestOfAValidContBlock()
    {
        final Arm64 a = arch(true, false);
        final long c = pte(16, ANON_RW_DIRTY) | Arm64Pte.CONT;

        assertThat(a.pteBatchHint(t, 0, 16, c)).isEqualTo(16);
        assertThat(a.pteBatchHint(t, 0, 21, c)).isEqualTo(11);
        assertThat(a.pteBatchHint(t, 0, 31, c)).isEqualTo(1);
        assertThat(a.pteBatchHint(t, 0, 16, c & ~Arm64Pte.CONT)).isEqualTo(1);
        assertThat(a.pteBatchHint(t, 0, 16, c & ~Arm64Pte.VALID)).isEqualTo(1);
    }

    @Test
    void batchRemainingIsCappedByTheEnd()
    {
        final Arm64 a = arch(true, false);
        final long c = pte(16, ANON_RW_DIRTY) | Arm64Pte.CONT;

        assertThat(a.pteBatchRemaining(c, 16, 512)).isEqualTo(16);
        assertThat(a.pteBatchRemaining(c, 20, 512)).isEqualTo(12);
        assertThat(a.pteBatchRemaining(c, 20, 25)).isEqualTo(5);
        assertThat(a.pteBatchRemaining(c & ~Arm64Pte.CONT, 20, 512)).isEqualTo(1);
    }

    // ---------------------------------------------------------------- wrprotect_ptes

    @Test
    void wholeBlockKeepsContWithSixteenAtomicsAndNoTlbi()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(16, 32, ANON_RW_DIRTY);
        final long hwDirty = pte(35, ANON_RW_DIRTY & ~Arm64Pte.DIRTY) | Arm64Pte.CONT;   // WRITE, RDONLY clear
        Arch.poke(t, 0, 19, hwDirty);
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 16, 16);

        for (int i = 16; i < 32; i++)
        {
            final long p = peek(i);
            assertThat(Arm64Pte.pteCont(p)).isTrue();
            assertThat(Arm64Pte.pteWrite(p)).isFalse();
            assertThat(Arm64Pte.pteRdonly(p)).isTrue();
            assertThat(Arm64Pte.pteSwDirty(p)).as("dirty kept in sw DIRTY, slot %d", i).isTrue();
        }
        assertThat(ev).isEqualTo(events("pte_atomic", 16));
        assertThat(ContpteInvariants.check(t, 0, null)).isEmpty();
    }

    @Test
    void oneContEntryUnfoldsItsBlockWithFeatTlbirange()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(16, 32, ANON_RW_DIRTY);
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 20, 1);

        assertThat(ev).isEqualTo(events("unfold", 1, "pte_atomic", 16 + 1, "tlbi_range", 1, "dsb", 2, "pte_store", 16));
        for (int i = 16; i < 32; i++)
        {
            assertThat(cont(i)).isFalse();
            assertThat(Arm64Pte.pteWrite(peek(i))).as("slot %d", i).isEqualTo(i != 20);
        }
        assertThat(peek(20)).isEqualTo(Arm64Pte.pteWrprotect(pte(36, ANON_RW_DIRTY)));
    }

    @Test
    void oneContEntryUnfoldsItsBlockWithSixteenTlbiByVaWithoutFeatTlbirange()
    {
        final Arm64 a = arch(false, false);
        pokeContBlock(16, 32, ANON_RW_DIRTY);
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 31, 1);

        assertThat(ev).isEqualTo(events("unfold", 1, "pte_atomic", 17, "tlbi_page", 16, "dsb", 2, "pte_store", 16));
    }

    @Test
    void aConvertThatChangesTheTargetMakesTheFirstCmpxchgFail()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, Arm64Pte.pteMkold(ANON_RW_DIRTY));
        Arch.poke(t, 0, 9, Arm64Pte.pteMkyoung(peek(9)));   // only slot 9 young: the unfold makes slot 3 young too
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 3, 1);

        assertThat(ev.pteAtomic).isEqualTo(16 + 2);
        assertThat(Arm64Pte.pteYoung(peek(3))).isTrue();
    }

    @Test
    void nonContEntryIsOneAtomic()
    {
        final Arm64 a = arch(true, false);
        Arch.poke(t, 0, 5, pte(5, ANON_RW_DIRTY));
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 5, 1);

        assertThat(ev).isEqualTo(events("pte_atomic", 1));
        assertThat(peek(5)).isEqualTo(Arm64Pte.pteWrprotect(pte(5, ANON_RW_DIRTY)));
    }

    @Test
    void rangeStartingMidBlockAndEndingOnABoundaryUnfoldsOnlyTheFirstBlock()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(0, 9, PageDescriptor.PG_ANON);
        a.setPtes(new Events(), t, 0, 0, pte(0, ANON_RW_DIRTY), 512);
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 8, 40);   // slots 8..47

        assertThat(ev).isEqualTo(events("pte_load", 1, "unfold", 1, "pte_atomic", 16 + 40, "tlbi_range", 1, "dsb", 2, "pte_store", 16));
        for (int i = 0; i < 16; i++)
        {
            assertThat(cont(i)).isFalse();
        }
        for (int i = 16; i < 512; i++)
        {
            assertThat(cont(i)).as("slot %d", i).isTrue();
        }
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }

    @Test
    void rangeStartingAndEndingMidBlockUnfoldsExactlyTheTwoEdgeBlocks()
    {
        final Arm64 a = arch(false, false);
        memmap.prepFolio(0, 9, PageDescriptor.PG_ANON);
        a.setPtes(new Events(), t, 0, 0, pte(0, ANON_RW_DIRTY), 512);
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 8, 32);   // slots 8..39: block 0 and block 2 partial, block 1 whole

        assertThat(ev).isEqualTo(events("pte_load", 2, "unfold", 2, "pte_atomic", 2 * 16 + 32, "tlbi_page", 32, "dsb", 4, "pte_store", 32));
        for (int i = 0; i < 512; i++)
        {
            assertThat(cont(i)).as("slot %d", i).isEqualTo(i >= 16 && i < 32 || i >= 48);
        }
        for (int i = 8; i < 40; i++)
        {
            assertThat(Arm64Pte.pteWrite(peek(i))).isFalse();
        }
        assertThat(Arm64Pte.pteWrite(peek(7))).isTrue();
        assertThat(Arm64Pte.pteWrite(peek(40))).isTrue();
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }

    @Test
    void shortRangeAtABlockStartProbesBothEndsAndUnfoldsOnce()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 0, 8);   // aligned start but nr < 16: the first probe unfolds, the last sees no CONT

        assertThat(ev).isEqualTo(events("pte_load", 2, "unfold", 1, "pte_atomic", 16 + 8, "tlbi_range", 1, "dsb", 2, "pte_store", 16));
    }

    @Test
    void shortRangeInsideOneBlockUnfoldsItOnce()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 2, 4);   // nr < 16: first probe unfolds; the last probe sees no CONT

        assertThat(ev).isEqualTo(events("pte_load", 2, "unfold", 1, "pte_atomic", 16 + 4, "tlbi_range", 1, "dsb", 2, "pte_store", 16));
    }

    // ---------------------------------------------------------------- set_ptes(nr == 1) and contpte_try_fold

    @Test
    void settingTheLastSlotOfAnEligibleBlockFolds()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(32, 4, PageDescriptor.PG_ANON);
        final Events fill = new Events();
        for (int i = 0; i < 15; i++)
        {
            a.setPtes(fill, t, 0, 16 + i, pte(32 + i, ANON_RW_DIRTY), 1);
        }
        assertThat(fill).isEqualTo(events("pte_load", 15, "pte_store", 15));
        assertThat(contEntries()).isZero();
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 31, pte(47, Arm64Pte.pteMkold(ANON_RW_DIRTY)), 1);

        // probe + store, 16 fold-check loads, then the convert
        assertThat(ev).isEqualTo(events("pte_load", 1 + 16, "pte_store", 1 + 16, "fold", 1, "pte_atomic", 16, "tlbi_range", 1, "dsb", 2));
        for (int i = 16; i < 32; i++)
        {
            assertThat(peek(i)).as("slot %d", i).isEqualTo(pte(16 + i, ANON_RW_DIRTY) | Arm64Pte.CONT);   // AF gathered from the others
        }
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }

    @Test
    void theHotLoopsSetPteLeavesTheFoldOfAnEligibleBlockToFoldDeferredWithTheSameResultAndEvents()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(32, 4, PageDescriptor.PG_ANON);
        memmap.prepFolio(64, 0, PageDescriptor.PG_ANON);
        final Events ev = new Events();
        int blocks = 0;
        for (int i = 0; i < 16; i++)
        {
            blocks |= a.setPteNoAcct(ev, t, 0, 16 + i, pte(32 + i, i == 15 ? Arm64Pte.pteMkold(ANON_RW_DIRTY) : ANON_RW_DIRTY));
        }
        blocks |= a.setPteNoAcct(ev, t, 0, 47, pte(79, ANON_RW_DIRTY));   // an order-0 page at a last slot: no check

        assertThat(blocks).as("only block 1 (slots 16..31) waits for its check").isEqualTo(1 << 1);
        assertThat(contEntries()).isZero();
        assertThat(ev).as("the probes and stores are the caller's to count").isEqualTo(new Events());

        a.foldDeferred(ev, t, 0, blocks);

        // what set_ptes(nr = 1) at slot 31 counts beyond its probe and store: 16 fold-check loads, then the convert
        assertThat(ev).isEqualTo(events("pte_load", 16, "pte_store", 16, "fold", 1, "pte_atomic", 16, "tlbi_range", 1, "dsb", 2));
        for (int i = 16; i < 32; i++)
        {
            assertThat(peek(i)).as("slot %d", i).isEqualTo(pte(16 + i, ANON_RW_DIRTY) | Arm64Pte.CONT);
        }
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }

    @Test
    void order0FoliosAreNeverFoldedAndCostOneMemmapLookupAtTheLastSlot()
    {
        final Arm64 a = arch(true, false);
        for (int i = 0; i < 16; i++)
        {
            memmap.prepFolio(48 + i, 0, PageDescriptor.PG_ANON);
        }
        final Events ev = new Events();
        for (int i = 0; i < 16; i++)
        {
            a.setPtes(ev, t, 0, 32 + i, pte(48 + i, ANON_RW_DIRTY), 1);
        }

        assertThat(ev).isEqualTo(events("pte_load", 16, "pte_store", 16));
        assertThat(contEntries()).isZero();
    }

    @Test
    void aFolioSmallerThanTheBlockIsNotFolded()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(0, 3, PageDescriptor.PG_ANON);
        memmap.prepFolio(8, 3, PageDescriptor.PG_ANON);
        final Events ev = new Events();
        for (int i = 0; i < 16; i++)
        {
            a.setPtes(ev, t, 0, i, pte(i, ANON_RW_DIRTY), 1);
        }

        assertThat(contEntries()).isZero();
        assertThat(ev.fold).isZero();
    }

    @Test
    void theInlineFoldFilterAnswersOnlyForFoliosThatCannotSpanABlock()
    {
        memmap.prepFolio(0, 0, PageDescriptor.PG_ANON);
        memmap.prepFolio(8, 3, PageDescriptor.PG_ANON);
        memmap.prepFolio(16, 4, PageDescriptor.PG_ANON);

        assertThat(Contpte.folioTooSmall(memmap, 0)).as("order 0").isTrue();
        assertThat(Contpte.folioTooSmall(memmap, 15)).as("order 3, a tail page").isTrue();
        assertThat(Contpte.folioTooSmall(memmap, 31)).as("order 4: the full check decides").isFalse();
        assertThat(Contpte.folioTooSmall(memmap, 4096)).as("no struct page").isTrue();
        assertThat(Contpte.folioTooSmall(null, 15)).as("no memmap: the full check throws").isFalse();
    }

    @Test
    void aBlockWhoseBitsDifferBeyondAfAndDirtyIsNotFoldedAndTheCheckStopsAtTheMismatch()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(0, 4, PageDescriptor.PG_ANON);
        for (int i = 0; i < 15; i++)
        {
            Arch.poke(t, 0, i, pte(i, i == 2 ? Arm64Pte.PAGE_READONLY : ANON_RW_DIRTY));   // slot 2 read-only
        }
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 15, pte(15, ANON_RW_DIRTY), 1);

        assertThat(ev).isEqualTo(events("pte_load", 1 + 3, "pte_store", 1));
        assertThat(contEntries()).isZero();
    }

    @Test
    void aMisalignedPfnNeverReachesTheFolio()
    {
        final Arm64 a = new Arm64(true);   // no memmap: the filter must stop before any folio lookup
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 15, pte(14, ANON_RW_DIRTY), 1);
        a.setPtes(ev, t, 0, 14, pte(15, ANON_RW_DIRTY), 1);
        a.setPtes(ev, t, 0, 31, pte(31, ANON_RW_DIRTY | Arm64Pte.SPECIAL), 1);

        assertThat(ev).isEqualTo(events("pte_load", 3, "pte_store", 3));
    }

    @Test
    void aFoldCheckWithoutMemmapFailsLoudly()
    {
        final Arm64 a = new Arm64(true);

        assertThatThrownBy(() -> a.setPtes(new Events(), t, 0, 15, pte(15, ANON_RW_DIRTY), 1))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("setMemMap");
    }

    @Test
    void overwritingAContEntryUnfoldsFirst()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(0, 4, PageDescriptor.PG_ANON);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 4, Arm64Pte.pteWrprotect(pte(4, ANON_RW_DIRTY)), 1);

        assertThat(ev).isEqualTo(events("pte_load", 1, "unfold", 1, "pte_atomic", 16, "tlbi_range", 1, "dsb", 2, "pte_store", 17));
        assertThat(contEntries()).isZero();
    }

    @Test
    void mprotectWalkingABlockEntryByEntryUnfoldsAtTheFirstAndRefoldsAtTheLast()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(0, 4, PageDescriptor.PG_ANON);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        final Events ev = new Events();

        for (int i = 0; i < 16; i++)
        {
            a.changePteProt(ev, t, 0, i, Arm64Pte.pteWrprotect(pte(i, ANON_RW_DIRTY)));
        }

        assertThat(ev.unfold).isEqualTo(1);
        assertThat(ev.fold).isEqualTo(1);
        assertThat(contEntries()).isEqualTo(16);
        assertThat(Arm64Pte.pteWrite(peek(7))).isFalse();
    }

    // ---------------------------------------------------------------- v4 seed helpers

    @Test
    void ptepSetWrprotectsOfAWholeBlockKeepsCont()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        final Events ev = new Events();

        a.ptepSetWrprotects(ev, t, 0, 0, 16, true);

        assertThat(ev).isEqualTo(events("pte_atomic", 16));
        assertThat(contEntries()).isEqualTo(16);
    }

    @Test
    void ptepSetWrprotectsOfOneEntryWithFullSkipsTheFoldCheck()
    {
        final Arm64 a = arch(true, false);
        Arch.poke(t, 0, 15, pte(15, ANON_RW_DIRTY));
        final Events full = new Events();
        a.ptepSetWrprotects(full, t, 0, 15, 1, true);
        assertThat(full).isEqualTo(events("pte_atomic", 1));

        Arch.poke(t, 0, 14, pte(14, ANON_RW_DIRTY));
        final Events notFull = new Events();
        a.ptepSetWrprotects(notFull, t, 0, 14, 1, false);   // slot 14: re-read, the filter stops
        assertThat(notFull).isEqualTo(events("pte_atomic", 1, "pte_load", 1));
    }

    @Test
    void partialChunksAreUnfoldedThenRefoldedWhenTheLastChunkCompletesTheBlock()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(0, 4, PageDescriptor.PG_ANON);
        pokeContBlock(0, 0, ANON_RW_DIRTY);

        final Events first = new Events();
        a.ptepSetWrprotects(first, t, 0, 0, 8, true);   // slots 0..7: unfold; fold check at slot 7 filtered out
        assertThat(first).isEqualTo(events("pte_load", 2, "unfold", 1, "pte_atomic", 16 + 8, "tlbi_range", 1, "dsb", 2, "pte_store", 16));
        assertThat(contEntries()).isZero();

        final Events second = new Events();
        a.ptepSetWrprotects(second, t, 0, 8, 8, true);   // slots 8..15: all 16 read-only now -> refold
        assertThat(second).isEqualTo(events("pte_load", 2 + 16, "pte_atomic", 8 + 16, "fold", 1, "tlbi_range", 1, "dsb", 2, "pte_store", 16));
        assertThat(contEntries()).isEqualTo(16);
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }

    // ---------------------------------------------------------------- clears, young, access flags, TLB

    @Test
    void clearFullPtesOfWholeBlocksDoesNotUnfold()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        pokeContBlock(16, 16, ANON_RW_DIRTY);
        final Events ev = new Events();

        a.clearFullPtes(ev, t, 0, 0, 32);

        assertThat(ev).isEqualTo(events("pte_atomic", 32));
        for (int i = 0; i < 32; i++)
        {
            assertThat(peek(i)).isZero();
        }
    }

    @Test
    void getAndClearFullPtesOfAPartialRangeUnfoldsTheEdgeAndOrsYoungDirty()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, RO_CLEAN_OLD);
        Arch.poke(t, 0, 1, Arm64Pte.pteMkyoung(Arm64Pte.pteMkdirty(peek(1))));
        final Events ev = new Events();

        final long got = a.getAndClearFullPtes(ev, t, 0, 8, 8);   // slots 8..15: nr < 16 -> unfold

        // the unfold gathered slot 1's young+dirty into every entry, so the returned one carries them
        assertThat(got).isEqualTo(Arm64Pte.pteMkyoung(Arm64Pte.pteMkdirty(pte(8, RO_CLEAN_OLD))));
        assertThat(ev).isEqualTo(events("pte_load", 1, "unfold", 1, "pte_atomic", 16 + 8, "tlbi_range", 1, "dsb", 2, "pte_store", 16));
        assertThat(peek(7)).isNotZero();
        assertThat(cont(7)).isFalse();
    }

    @Test
    void ptepClearFlushOfAContEntryUnfoldsClearsAndFlushesThePage()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        final Events ev = new Events();

        final long old = a.ptepClearFlush(ev, t, 0, 6);

        assertThat(old).isEqualTo(pte(6, ANON_RW_DIRTY));
        assertThat(ev).isEqualTo(events("pte_load", 1, "unfold", 1, "pte_atomic", 17, "tlbi_range", 1, "tlbi_page", 1, "dsb", 4, "pte_store", 16));
        assertThat(peek(6)).isZero();
        assertThat(ContpteInvariants.check(t, 0, null)).isEmpty();
    }

    @Test
    void testAndClearYoungOfAContEntryClearsTheWholeBlockWithoutUnfolding()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, Arm64Pte.pteMkold(ANON_RW_DIRTY));
        Arch.poke(t, 0, 12, Arm64Pte.pteMkyoung(peek(12)));
        final Events ev = new Events();

        assertThat(a.ptepTestAndClearYoung(ev, t, 0, 3)).isTrue();

        assertThat(ev).isEqualTo(events("pte_load", 1, "pte_atomic", 16));
        assertThat(contEntries()).isEqualTo(16);
        assertThat(Arm64Pte.pteYoung(peek(12))).isFalse();
    }

    @Test
    void setAccessFlagsOnAContBlockWithTheSameWriteBitUpdatesAllSixteenWithoutUnfolding()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, Arm64Pte.pteMkold(ANON_RW_DIRTY));
        final Events ev = new Events();

        assertThat(a.ptepSetAccessFlags(ev, t, 0, 5, pte(5, ANON_RW_DIRTY), true)).isTrue();

        for (int i = 0; i < 16; i++)
        {
            assertThat(peek(i)).isEqualTo(pte(i, ANON_RW_DIRTY) | Arm64Pte.CONT);
        }
        // probe 1; gathered ptep_get: raw 1 + 17 (dirty at slot 0, no young anywhere); 16 loads + 16 cmpxchg; block flush
        assertThat(ev).isEqualTo(events("pte_load", 1 + 1 + 17 + 16, "gather", 1, "pte_atomic", 16, "tlbi_range", 1, "dsb", 2));
    }

    @Test
    void setAccessFlagsOnAContBlockThatMakesItWritableUnfoldsFirst()
    {
        final Arm64 a = arch(false, false);
        final long roDirty = Arm64Pte.pteWrprotect(ANON_RW_DIRTY);
        pokeContBlock(0, 0, roDirty);
        final Events ev = new Events();

        assertThat(a.ptepSetAccessFlags(ev, t, 0, 5, pte(5, ANON_RW_DIRTY), true)).isTrue();

        assertThat(ev.unfold).isEqualTo(1);
        assertThat(contEntries()).isZero();
        assertThat(peek(5)).isEqualTo(pte(5, ANON_RW_DIRTY));
        assertThat(peek(6)).isEqualTo(pte(6, roDirty));
        // unfold: 16 xchg + 16 TLBI by VA; the update: 1 cmpxchg + 1 page TLBI
        assertThat(ev.pteAtomic).isEqualTo(17);
        assertThat(ev.tlbiPage).isEqualTo(17);
        assertThat(ev.dsb).isEqualTo(4);
    }

    @Test
    void setAccessFlagsOnAPlainEntryOrsTheAccessBitsIn()
    {
        final Arm64 a = arch(true, false);
        final long ro = Arm64Pte.pteMkold(Arm64Pte.PAGE_READONLY);
        Arch.poke(t, 0, 9, pte(9, ro));
        final Events ev = new Events();

        assertThat(a.ptepSetAccessFlags(ev, t, 0, 9, pte(9, Arm64Pte.PAGE_READONLY), false)).isTrue();
        assertThat(peek(9)).isEqualTo(pte(9, Arm64Pte.PAGE_READONLY));
        assertThat(ev).isEqualTo(events("pte_load", 2, "pte_atomic", 1));

        final Events again = new Events();
        assertThat(a.ptepSetAccessFlags(again, t, 0, 9, pte(9, Arm64Pte.PAGE_READONLY), false)).isFalse();
        assertThat(again).isEqualTo(events("pte_load", 2));
    }

    @Test
    void setNonPresentOverAContEntryUnfoldsItsBlock()
    {
        final Arm64 a = arch(true, false);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        final Events ev = new Events();
        final long swp = Arm64Pte.swpEntryToPte(1, 77);

        a.setNonPresent(ev, t, 0, 3, swp);

        assertThat(peek(3)).isEqualTo(swp);
        assertThat(ev).isEqualTo(events("pte_load", 1, "unfold", 1, "pte_atomic", 16, "tlbi_range", 1, "dsb", 2, "pte_store", 17));
        assertThat(ContpteInvariants.check(t, 0, null)).isEmpty();
    }

    @Test
    void flushTlbMmIsOneTlbiAsidAndTwoDsbs()
    {
        final Events ev = new Events();

        arch(true, false).flushTlbMm(ev);

        assertThat(ev).isEqualTo(events("tlbi_asid", 1, "dsb", 2));
    }

    @Test
    void flushTlbPageIsOneTlbiAndTwoDsbs()
    {
        final Events ev = new Events();

        arch(false, false).flushTlbPage(ev);

        assertThat(ev).isEqualTo(events("tlbi_page", 1, "dsb", 2));
    }

    @Test
    void flushTlbRangeWithFeatTlbirangeUsesRangeOpsPerScalePlusOneForAnOddPage()
    {
        final Arm64 a = arch(true, false);
        final Events e16 = new Events();
        a.flushTlbRange(e16, 16);
        assertThat(e16).isEqualTo(events("tlbi_range", 1, "dsb", 2));

        final Events e17 = new Events();
        a.flushTlbRange(e17, 17);
        assertThat(e17).isEqualTo(events("tlbi_range", 1, "tlbi_page", 1, "dsb", 2));

        final Events eBig = new Events();
        a.flushTlbRange(eBig, (1L << 16) + (1L << 11) + 66 + 1);   // one op per scale 3..0, plus the odd page
        assertThat(eBig).isEqualTo(events("tlbi_range", 4, "tlbi_page", 1, "dsb", 2));

        final Events eHuge = new Events();
        a.flushTlbRange(eHuge, Arm64Tlb.MAX_TLBI_RANGE_PAGES + 1);
        assertThat(eHuge).isEqualTo(events("tlbi_asid", 1, "dsb", 3));
    }

    @Test
    void flushTlbRangeWithoutFeatTlbirangeIsPerPageUpToMaxDvmOps()
    {
        final Arm64 a = arch(false, false);
        final Events e511 = new Events();
        a.flushTlbRange(e511, 511);
        assertThat(e511).isEqualTo(events("tlbi_page", 511, "dsb", 2));

        final Events e512 = new Events();
        a.flushTlbRange(e512, 512);
        assertThat(e512).isEqualTo(events("tlbi_asid", 1, "dsb", 3));
    }

    // ---------------------------------------------------------------- contpte-basic

    @Test
    void setPtesOfAnOrder9FolioFoldsEveryBlockEntryByEntry()
    {
        final Arm64 a = arch(true, true);
        memmap.prepFolio(512, 9, PageDescriptor.PG_ANON);
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 0, Arm64Pte.pteWrprotect(pte(512, ANON_RW_DIRTY)), 512);

        assertThat(contEntries()).isEqualTo(512);
        assertThat(ev).isEqualTo(events(
            "pte_load", 512 + 32 * 16, "pte_store", 512 + 32 * 16, "fold", 32,
            "pte_atomic", 32 * 16, "tlbi_range", 32, "dsb", 64));
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }

    @Test
    void wrprotectPtesOfAnOrder9FolioUnfoldsEveryBlock()
    {
        final Arm64 a = arch(false, true);
        memmap.prepFolio(0, 9, PageDescriptor.PG_ANON);
        arch(false, false).setPtes(new Events(), t, 0, 0, pte(0, ANON_RW_DIRTY), 512);
        final Events ev = new Events();

        a.wrprotectPtes(ev, t, 0, 0, 512);

        assertThat(contEntries()).isZero();
        assertThat(ev).isEqualTo(events(
            "unfold", 32, "pte_atomic", 32 * 16 + 512, "tlbi_page", 32 * 16, "dsb", 64, "pte_store", 32 * 16));
    }

    @Test
    void batchedModeDoesTheSameWorkWithoutAnyConvert()
    {
        final Arm64 a = arch(false, false);
        memmap.prepFolio(0, 9, PageDescriptor.PG_ANON);
        final Events ev = new Events();

        a.setPtes(ev, t, 0, 0, pte(0, ANON_RW_DIRTY), 512);
        a.wrprotectPtes(ev, t, 0, 0, 512);

        assertThat(ev).isEqualTo(events("pte_store", 512, "pte_atomic", 512));
        assertThat(contEntries()).isEqualTo(512);
    }

    @Test
    void clearFullPtesUnfoldsEveryBlock()
    {
        final Arm64 a = arch(true, true);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        pokeContBlock(16, 16, ANON_RW_DIRTY);
        final Events ev = new Events();

        a.clearFullPtes(ev, t, 0, 0, 32);

        assertThat(ev.unfold).isEqualTo(2);
        assertThat(ev.pteAtomic).isEqualTo(2 * 16 + 32);
    }

    @Test
    void ptepGetStillGathersAndTheHintStillSkips()
    {
        final Arm64 a = arch(true, true);
        pokeContBlock(0, 0, RO_CLEAN_OLD);
        Arch.poke(t, 0, 11, Arm64Pte.pteMkdirty(peek(11)));
        final Events ev = new Events();

        final long got = a.ptepGet(ev, t, 0, 2);

        assertThat(Arm64Pte.pteDirty(got)).isTrue();
        assertThat(ev.gather).isEqualTo(1);
        assertThat(a.pteBatchHint(t, 0, 2, got)).isEqualTo(14);
    }

    // ---------------------------------------------------------------- contpte invariants (see check/ContpteInvariantsTest)

    @Test
    void aProtNoneRunMarkedContMayLoseEntriesWithoutBeingFlagged()
    {
        final Arm64 a = arch(true, false);
        memmap.prepFolio(0, 4, PageDescriptor.PG_ANON);
        a.setPtes(new Events(), t, 0, 0, pte(0, Arm64Pte.PAGE_NONE), 16);   // contpte_set_ptes sets CONT regardless of validity
        assertThat(contEntries()).isEqualTo(16);
        final Events ev = new Events();

        a.ptepGetAndClear(ev, t, 0, 4);   // not valid+CONT: no unfold

        assertThat(ev).isEqualTo(events("pte_load", 1, "pte_atomic", 1));
        assertThat(ContpteInvariants.check(t, 0, memmap)).isEmpty();
    }
}
