package io.forksim.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.forksim.arch.Arch;
import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.pte.Arm64Pte;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contpte block invariants on a bare arm64 PTE table, one broken rule per test. Slot {@code i} maps VA {@code i * 4 KiB}. */
class ContpteInvariantsTest
{
    /** A private writable anon page after a write fault: PAGE_READONLY + mkwrite + mkdirty (sw DIRTY, RDONLY clear), young. */
    private static final long ANON_RW_DIRTY = Arm64Pte.pteMkdirty(Arm64Pte.pteMkwrite(Arm64Pte.PAGE_READONLY));

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

    private long peek(final int idx)
    {
        return Arch.peek(t, 0, idx);
    }

    private void pokeContBlock(final int start, final long pfn0, final long prot)
    {
        for (int i = 0; i < 16; i++)
        {
            Arch.poke(t, 0, start + i, Arm64Pte.pfnPte(pfn0 + i, prot) | Arm64Pte.CONT);
        }
    }

    @Test
    void aHandMadeHalfContBlockIsFlagged()
    {
        memmap.prepFolio(0, 4, PageDescriptor.PG_ANON);
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        Arch.poke(t, 0, 7, peek(7) & ~Arm64Pte.CONT);

        final List<String> errors = ContpteInvariants.check(t, 0, memmap);

        assertThat(errors).singleElement().asString().contains("slots 0..15", "half-CONT", "15 of 16", " 7=0x");
    }

    @Test
    void aContBlockWithAHoleIsFlagged()
    {
        pokeContBlock(32, 32, ANON_RW_DIRTY);
        Arch.poke(t, 0, 40, 0L);

        assertThat(ContpteInvariants.check(t, 0, null)).singleElement().asString().contains("half-CONT");
    }

    @Test
    void aMisalignedPfnIsFlagged()
    {
        pokeContBlock(0, 8, ANON_RW_DIRTY);

        assertThat(ContpteInvariants.check(t, 0, null)).singleElement().asString().contains("not a multiple of 16");
    }

    @Test
    void differentPermissionsInsideABlockAreFlaggedButAfAndDirtyAreNot()
    {
        pokeContBlock(0, 0, ANON_RW_DIRTY);
        Arch.poke(t, 0, 3, Arm64Pte.pteMkold(peek(3)));
        Arch.poke(t, 0, 4, Arm64Pte.pteMkclean(peek(4)));
        assertThat(ContpteInvariants.check(t, 0, null)).isEmpty();

        Arch.poke(t, 0, 5, Arm64Pte.pteWrprotect(peek(5)));
        assertThat(ContpteInvariants.check(t, 0, null)).singleElement().asString().contains("slot 5", "beyond AF/dirty");
    }

    @Test
    void aBlockSpanningTwoFoliosIsFlagged()
    {
        memmap.prepFolio(0, 3, PageDescriptor.PG_ANON);
        memmap.prepFolio(8, 3, PageDescriptor.PG_ANON);
        pokeContBlock(0, 0, ANON_RW_DIRTY);

        assertThat(ContpteInvariants.check(t, 0, memmap)).singleElement().asString().contains("PFN 8 is in folio 8");
    }

    @Test
    void swapEntriesWithBit52AreNotContCandidates()
    {
        Arch.poke(t, 0, 0, Arm64Pte.swpEntryToPte(3, 1L << 40));   // offset bit 40 sits at PTE bit 52

        assertThat(Arm64Pte.pteCont(peek(0))).isTrue();
        assertThat(ContpteInvariants.check(t, 0, null)).isEmpty();
    }
}
