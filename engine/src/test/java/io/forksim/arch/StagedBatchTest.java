package io.forksim.arch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forksim.mm.FolioPteBatch;
import io.forksim.mem.MemMap;
import io.forksim.pte.Arm64Pte;
import io.forksim.pte.X86Pte;
import io.forksim.stats.Events;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Batches of {@link Arch#STAGED_MIN_NR} entries or more go through the thread's staging array: the words they
 * leave, the entries around them and the events counted are exactly those of the entry-by-entry loop. Ranges
 * just below, at and above the threshold, at table offsets that are not block aligned.
 */
class StagedBatchTest
{
    private static final long PFN0 = 0x4_0000;
    private static final Arch X86 = X86_64.INSTANCE;
    /** A guard word around every range: must survive untouched. */
    private static final long GUARD = 0x5A5A_0000_0000_0001L;

    private Arena arena;
    private MemorySegment t;

    @BeforeEach
    void setUp()
    {
        arena = Arena.ofConfined();
        t = arena.allocate(4096, 4096);
        for (int i = 0; i < Arch.PTRS_PER_TABLE; i++)
        {
            Arch.poke(t, 0, i, GUARD);
        }
    }

    @AfterEach
    void tearDown()
    {
        arena.close();
    }

    /** x86_64 anon page {@code PFN0 + i}: present, writable, user, young, NX; dirty where {@code dirty}. */
    private static long x86Anon(final int i, final boolean dirty)
    {
        final long p = X86Pte.pfnPte(PFN0 + i, X86Pte.PAGE_SHARED);
        return dirty ? X86Pte.pteMkdirty(p) : p;
    }

    private void assertGuardsOutside(final int idx, final int nr)
    {
        for (int i = 0; i < Arch.PTRS_PER_TABLE; i++)
        {
            if (i < idx || i >= idx + nr)
            {
                assertThat(Arch.peek(t, 0, i)).as("entry %d outside [%d, %d)", i, idx, idx + nr).isEqualTo(GUARD);
            }
        }
    }

    @ParameterizedTest(name = "x86_64 wrprotect_ptes of {1} entries at {0}")
    @CsvSource({"0, 63", "0, 64", "3, 100", "0, 512", "448, 64"})
    void wrprotectPtesGivesEveryEntryItsOwnWriteProtectedWord(final int idx, final int nr)
    {
        for (int i = 0; i < nr; i++)
        {
            Arch.poke(t, 0, idx + i, x86Anon(i, i % 3 == 0));
        }
        final Events ev = new Events();
        X86.wrprotectPtes(ev, t, 0, idx, nr);
        for (int i = 0; i < nr; i++)
        {
            // RW cleared; a dirty entry's D moves to SavedDirty (its soft-dirty bit stays)
            final long expected = i % 3 == 0
                ? (x86Anon(i, true) & ~(X86Pte.RW | X86Pte.DIRTY)) | X86Pte.SAVED_DIRTY
                : x86Anon(i, false) & ~X86Pte.RW;
            assertThat(Arch.peek(t, 0, idx + i)).as("entry %d", idx + i).isEqualTo(expected);
        }
        assertGuardsOutside(idx, nr);
        assertThat(ev.pteAtomic).isEqualTo(nr);
        assertThat(ev.pteStore).isZero();
    }

    @ParameterizedTest(name = "x86_64 set_ptes of {1} entries at {0}")
    @CsvSource({"0, 63", "0, 64", "5, 200", "0, 512"})
    void setPtesWritesOneWordPerPageAdvancingThePfn(final int idx, final int nr)
    {
        final Events ev = new Events();
        X86.setPtes(ev, t, 0, idx, x86Anon(0, false), nr);
        for (int i = 0; i < nr; i++)
        {
            assertThat(Arch.peek(t, 0, idx + i)).as("entry %d", idx + i).isEqualTo(x86Anon(i, false));
        }
        assertGuardsOutside(idx, nr);
        assertThat(ev.pteStore).isEqualTo(nr);
    }

    @Test
    void getAndClearFullPtesOfA512EntryFolioMergesTheOneDirtyAndTheOneYoungEntryIntoTheFirst()
    {
        final long old0 = X86Pte.pteMkold(x86Anon(0, false));
        Arch.poke(t, 0, 0, old0);
        for (int i = 1; i < 512; i++)
        {
            Arch.poke(t, 0, i, X86Pte.pteMkold(x86Anon(i, i == 300)));
        }
        Arch.poke(t, 0, 400, x86Anon(400, false));   // the only young one after the first
        final Events ev = new Events();
        final long first = X86.getAndClearFullPtes(ev, t, 0, 0, 512);
        assertThat(first).isEqualTo(X86Pte.pteMkyoung(X86Pte.pteMkdirty(old0)));
        for (int i = 0; i < 512; i++)
        {
            assertThat(Arch.peek(t, 0, i)).as("entry %d", i).isZero();
        }
        assertThat(ev.pteAtomic).isEqualTo(512);
    }

    @Test
    void getAndClearFullPtesOfCleanOldEntriesReturnsTheFirstUnchanged()
    {
        for (int i = 0; i < 100; i++)
        {
            Arch.poke(t, 0, 10 + i, X86Pte.pteMkold(x86Anon(i, false)));
        }
        final long first = X86.getAndClearFullPtes(new Events(), t, 0, 10, 100);
        assertThat(first).isEqualTo(X86Pte.pteMkold(x86Anon(0, false)));
        assertGuardsOutside(10, 100);
    }

    @Test
    void clearFullPtesZeroesExactlyTheRange()
    {
        for (int i = 0; i < 130; i++)
        {
            Arch.poke(t, 0, 7 + i, x86Anon(i, false));
        }
        final Events ev = new Events();
        X86.clearFullPtes(ev, t, 0, 7, 130);
        for (int i = 0; i < 130; i++)
        {
            assertThat(Arch.peek(t, 0, 7 + i)).isZero();
        }
        assertGuardsOutside(7, 130);
        assertThat(ev.pteAtomic).isEqualTo(130);
    }

    @Test
    void folioPteBatchStopsAtTheFirstNoneEntryAfterABulkRunAndCountsEveryEntryItRead()
    {
        X86.setPtes(new Events(), t, 0, 0, x86Anon(0, false), 512);
        Arch.poke(t, 0, 300, 0L);
        final Events ev = new Events();
        final long r = FolioPteBatch.folioPteBatch(X86, ev, t, 0, 0, x86Anon(0, false), 512, PFN0 + 512,
            FolioPteBatch.FPB_MERGE_WRITE | FolioPteBatch.FPB_RESPECT_DIRTY);
        assertThat(FolioPteBatch.nr(r)).isEqualTo(300);
        // entries 1..300 read: 299 that join the batch and the none entry that ends it
        assertThat(ev.ptepGet).isEqualTo(300);
        assertThat(ev.pteLoad).isEqualTo(300);
    }

    @Test
    void folioPteBatchLooksPastADirtyEntryWhenDirtyIsIgnoredAndReportsIt()
    {
        X86.setPtes(new Events(), t, 0, 0, x86Anon(0, false), 512);
        Arch.poke(t, 0, 100, x86Anon(100, true));
        final Events ev = new Events();
        final long r = FolioPteBatch.folioPteBatch(X86, ev, t, 0, 0, x86Anon(0, false), 512, PFN0 + 512,
            FolioPteBatch.FPB_MERGE_YOUNG_DIRTY);
        assertThat(FolioPteBatch.nr(r)).isEqualTo(512);
        assertThat(FolioPteBatch.anyDirty(r)).isTrue();
        assertThat(ev.ptepGet).isEqualTo(511);
    }

    @Test
    void folioPteBatchStopsAtADirtyEntryWhenDirtyIsRespected()
    {
        X86.setPtes(new Events(), t, 0, 0, x86Anon(0, false), 512);
        Arch.poke(t, 0, 100, x86Anon(100, true));
        final Events ev = new Events();
        final long r = FolioPteBatch.folioPteBatch(X86, ev, t, 0, 0, x86Anon(0, false), 512, PFN0 + 512,
            FolioPteBatch.FPB_RESPECT_DIRTY);
        assertThat(FolioPteBatch.nr(r)).isEqualTo(100);
        assertThat(ev.ptepGet).isEqualTo(100);
    }

    @Test
    void arm64SetPtesOfA512EntryFolioFoldsEveryAlignedBlockAndWrprotectKeepsTheBlocks()
    {
        try (MemMap memmap = new MemMap(1 << 20))
        {
            final Arm64 arm = new Arm64(true);
            arm.setMemMap(memmap);
            final long prot = Arm64Pte.pteMkdirty(Arm64Pte.pteMkwrite(Arm64Pte.PAGE_READONLY));
            final Events ev = new Events();
            arm.setPtes(ev, t, 0, 0, Arm64Pte.pfnPte(PFN0, prot), 512);
            for (int i = 0; i < 512; i++)
            {
                assertThat(Arch.peek(t, 0, i)).as("entry %d", i).isEqualTo(Arm64Pte.pfnPte(PFN0 + i, prot) | Arm64Pte.CONT);
            }
            assertThat(ev.pteStore).isEqualTo(512);
            arm.wrprotectPtes(ev, t, 0, 0, 512);
            for (int i = 0; i < 512; i++)
            {
                assertThat(Arch.peek(t, 0, i)).as("entry %d", i)
                    .isEqualTo(Arm64Pte.pteWrprotect(Arm64Pte.pfnPte(PFN0 + i, prot)) | Arm64Pte.CONT);
            }
            assertThat(ev.pteAtomic).isEqualTo(512);
        }
    }
}
