package io.forksim.arch;

import static org.assertj.core.api.Assertions.assertThat;

import io.forksim.check.ContpteInvariants;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.pte.Arm64Pte;
import io.forksim.stats.Events;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code __copy_present_ptes}' pair of table calls on arm64 ({@link Arm64#wrprotectAndSetPtes}): whatever the batch,
 * the parent table, the child table and every event equal those of {@code wrprotect_ptes} then {@code set_ptes}
 * ({@link Arch#wrprotectThenSetPtes}); the batches of whole contpte blocks that take the one pass
 * ({@link Contpte#copyWholeBlocks}) and those that do not are both covered.
 */
class Arm64WrprotectAndSetPtesTest
{
    /** A private writable anon page after a write fault, young: sw DIRTY, RDONLY clear. */
    private static final long ANON_RW_DIRTY = Arm64Pte.pteMkdirty(Arm64Pte.pteMkwrite(Arm64Pte.PAGE_READONLY));
    /** Writable with hardware dirty only (DBM set, RDONLY clear, no sw DIRTY), old. */
    private static final long ANON_RW_HW_DIRTY = Arm64Pte.pteMkold(Arm64Pte.pteMkwrite(Arm64Pte.PAGE_READONLY));

    private Arena arena;
    private MemMap memmap;

    @BeforeEach
    void setUp()
    {
        arena = Arena.ofConfined();
        memmap = new MemMap(4096);
        // order-4 anon folios over the first 1024 PFNs, so that a fold check finds folios that span a block
        for (long pfn = 0; pfn < 1024; pfn += 16)
        {
            memmap.prepFolio(pfn, 4, PageDescriptor.PG_ANON | PageDescriptor.PG_SWAPBACKED);
        }
    }

    @AfterEach
    void tearDown()
    {
        memmap.close();
        arena.close();
    }

    /**
     * The parent maps {@code nr} pages from PFN {@code pfn0} at slots {@code idx..}, folded into CONT blocks where
     * {@code folded} and the slots allow it; every fourth entry of the batch is hardware-dirty, the others sw-dirty and
     * young. The same batch goes through the one entry point and through the two calls, on equal copies.
     */
    @ParameterizedTest(name = "idx {0}, nr {1}, pfn {2}, folded {3}, wp {4}, expect one pass {5}")
    @CsvSource({
        // one order-4 folio: whole block, aligned PFN: the one pass
        "0, 16, 256, true, true, true",
        "48, 16, 256, true, true, true",
        "48, 16, 256, true, false, true",
        "48, 16, 256, false, true, true",
        // two and three whole blocks
        "64, 32, 512, true, true, true",
        "464, 48, 304, true, true, true",
        // not whole blocks or not aligned: the two calls
        "40, 16, 256, true, true, false",
        "48, 8, 256, true, true, false",
        "48, 24, 256, true, true, false",
        "48, 16, 264, false, true, false",
        "48, 1, 256, true, true, false",
        // long batches keep the two staged calls
        "0, 64, 512, true, true, false",
        "0, 512, 0, true, true, false",
    })
    void theOnePassLeavesTheSameTablesAndEventsAsTheTwoCalls(final int idx, final int nr, final long pfn0,
        final boolean folded, final boolean wp, final boolean onePass)
    {
        final Arm64 arch = new Arm64(true);
        arch.setMemMap(memmap);
        assertThat(Contpte.wholeBlocks(idx, nr, pfn0)).isEqualTo(onePass);

        final MemorySegment st1 = parent(idx, nr, pfn0, folded);
        final MemorySegment st2 = parent(idx, nr, pfn0, folded);
        final MemorySegment dt1 = arena.allocate(4096, 4096);
        final MemorySegment dt2 = arena.allocate(4096, 4096);
        final long child = Arm64Pte.pteMkold(Arm64Pte.pteWrprotect(Arm64Pte.pfnPte(pfn0, ANON_RW_DIRTY)));
        final Events one = new Events();
        final Events two = new Events();

        arch.wrprotectAndSetPtes(one, st1, 0, dt1, 0, idx, nr, wp, child);
        arch.wrprotectThenSetPtes(two, st2, 0, dt2, 0, idx, nr, wp, child);

        assertThat(entries(st1)).as("parent table").containsExactly(entries(st2));
        assertThat(entries(dt1)).as("child table").containsExactly(entries(dt2));
        assertThat(one).as("events").isEqualTo(two);
        assertThat(ContpteInvariants.check(st1, 0, memmap)).as("parent contpte invariants").isEmpty();
        assertThat(ContpteInvariants.check(dt1, 0, memmap)).as("child contpte invariants").isEmpty();
    }

    /** contpte-basic unfolds on write-protect and folds on set: its pair is always the two calls, entry by entry. */
    @ParameterizedTest(name = "idx {0}, nr {1}")
    @CsvSource({"48, 16", "64, 32"})
    void contpteBasicKeepsTheTwoCallsForWholeBlocksToo(final int idx, final int nr)
    {
        final Arm64 basic = new Arm64ContpteBasic(true);
        basic.setMemMap(memmap);
        final MemorySegment st1 = parent(idx, nr, 256, true);
        final MemorySegment st2 = parent(idx, nr, 256, true);
        final MemorySegment dt1 = arena.allocate(4096, 4096);
        final MemorySegment dt2 = arena.allocate(4096, 4096);
        final long child = Arm64Pte.pteMkold(Arm64Pte.pteWrprotect(Arm64Pte.pfnPte(256, ANON_RW_DIRTY)));
        final Events one = new Events();
        final Events two = new Events();

        basic.wrprotectAndSetPtes(one, st1, 0, dt1, 0, idx, nr, true, child);
        basic.wrprotectPtes(two, st2, 0, idx, nr);
        basic.setPtes(two, dt2, 0, idx, child, nr);

        assertThat(entries(st1)).containsExactly(entries(st2));
        assertThat(entries(dt1)).containsExactly(entries(dt2));
        assertThat(one).isEqualTo(two);
        assertThat(one.unfold).as("the parent's blocks were unfolded, as contpte-basic does").isPositive();
    }

    /** A parent table with {@code nr} entries from {@code pfn0} at {@code idx}, whole aligned blocks folded if asked. */
    private MemorySegment parent(final int idx, final int nr, final long pfn0, final boolean folded)
    {
        final MemorySegment t = arena.allocate(4096, 4096);
        for (int i = 0; i < nr; i++)
        {
            final long prot = i % 4 == 3 ? ANON_RW_HW_DIRTY : ANON_RW_DIRTY;
            Arch.poke(t, 0, idx + i, Arm64Pte.pfnPte(pfn0 + i, prot));
        }
        if (folded)
        {
            for (int b = idx; b + 16 <= idx + nr; b++)
            {
                if ((b & 15) == 0 && ((pfn0 + b - idx) & 15) == 0)
                {
                    for (int i = b; i < b + 16; i++)
                    {
                        // a folded block: the same bits on every entry (AF/dirty may differ), CONT set
                        final long pte = Arm64Pte.pfnPte(pfn0 + i - idx, ANON_RW_DIRTY) | Arm64Pte.CONT;
                        Arch.poke(t, 0, i, i % 4 == 3 ? Arm64Pte.pteMkold(pte) : pte);
                    }
                }
            }
        }
        return t;
    }

    private static long[] entries(final MemorySegment t)
    {
        final long[] out = new long[Arch.PTRS_PER_TABLE];
        for (int i = 0; i < out.length; i++)
        {
            out[i] = Arch.peek(t, 0, i);
        }
        return out;
    }
}
