package io.forksim.arch;

import io.forksim.mem.MemMap;
import io.forksim.mem.PageDescriptor;
import io.forksim.pte.Arm64Pte;
import io.forksim.stats.Events;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * arm64 hardware access flag and dirty state (FEAT_HAFDBS with DBM): a user access that needs no fault updates the
 * one descriptor the walker used, also inside a contpte block; ptep_get gathers young and dirty for the block.
 */
class Arm64HardwareDirtyTest
{
    /** Writable (DBM), clean (PTE_RDONLY set, no sw DIRTY), young. */
    private static final long RW_CLEAN = Arm64Pte.pteMkwrite(Arm64Pte.PAGE_READONLY);

    private Arena arena;
    private MemorySegment t;
    private MemMap memmap;
    private Arm64 a;

    @BeforeEach
    void setUp()
    {
        arena = Arena.ofConfined();
        t = arena.allocate(4096, 4096);
        memmap = new MemMap(4096);
        a = new Arm64(false);
        a.setMemMap(memmap);
        memmap.prepFolio(64, 4, PageDescriptor.PG_ANON);
    }

    @AfterEach
    void tearDown()
    {
        memmap.close();
        arena.close();
    }

    @Test
    void aWriteToACleanWritableContEntryDirtiesThatEntryAlone()
    {
        final Events ev = new Events();
        a.setPtes(ev, t, 0, 16, Arm64Pte.pfnPte(64, RW_CLEAN), 16);
        final long folded = Arch.peek(t, 0, 16);
        assertThat(folded & Arm64Pte.CONT).as("the block is folded").isNotZero();
        assertThat(a.pteDirty(a.ptepGet(ev, t, 0, 16))).isFalse();
        final Events before = ev.copy();
        a.hwAccessFlags(ev, t, 0, 19, a.ptepGet(ev, t, 0, 19), true);
        assertThat(ev.minus(before).pteAtomic).isEqualTo(1);
        for (int i = 16; i < 32; i++)
        {
            final long expected = Arm64Pte.pfnPte(64 + i - 16, RW_CLEAN) | Arm64Pte.CONT;
            assertThat(Arch.peek(t, 0, i)).as("slot %d", i).isEqualTo(i == 19 ? expected & ~Arm64Pte.RDONLY : expected);
        }
        assertThat(a.pteDirty(a.ptepGet(ev, t, 0, 16))).as("ptep_get gathers the block's dirty bit").isTrue();
        assertThat(a.pteDirty(a.ptepGet(ev, t, 0, 31))).isTrue();
    }

    @Test
    void aReadOfAnOldContEntrySetsTheAccessFlagOfThatEntryAlone()
    {
        final Events ev = new Events();
        a.setPtes(ev, t, 0, 16, Arm64Pte.pfnPte(64, Arm64Pte.pteMkold(RW_CLEAN)), 16);
        a.hwAccessFlags(ev, t, 0, 20, a.ptepGet(ev, t, 0, 20), false);
        assertThat(Arch.peek(t, 0, 20) & Arm64Pte.AF).isNotZero();
        assertThat(Arch.peek(t, 0, 21) & Arm64Pte.AF).isZero();
        assertThat(a.pteYoung(a.ptepGet(ev, t, 0, 31))).isTrue();
    }

    @Test
    void aWriteToAnAlreadyDirtyEntryChangesNothing()
    {
        final Events ev = new Events();
        final long dirty = Arm64Pte.pteMkdirty(RW_CLEAN);
        a.setPtes(ev, t, 0, 16, Arm64Pte.pfnPte(64, dirty), 16);
        final long before = Arch.peek(t, 0, 17);
        final Events e0 = ev.copy();
        a.hwAccessFlags(ev, t, 0, 17, a.ptepGet(ev, t, 0, 17), true);
        assertThat(Arch.peek(t, 0, 17)).isEqualTo(before);
        assertThat(ev.minus(e0).pteAtomic).isZero();
    }
}
