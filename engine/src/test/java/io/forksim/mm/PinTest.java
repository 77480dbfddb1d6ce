package io.forksim.mm;

import io.forksim.check.InvariantChecker;
import io.forksim.check.MachineImage;
import io.forksim.fork.Fork;
import io.forksim.fork.Strategy;
import io.forksim.mem.PageDescriptor;
import io.forksim.stats.Events;
import org.junit.jupiter.api.Test;


import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.R;
import static io.forksim.mm.Fixtures.RW;
import static io.forksim.mm.Fixtures.consistent;
import static io.forksim.mm.Fixtures.pfnAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GUP pins with FOLL_WRITE | FOLL_LONGTERM (R/O pins: {@link ReadOnlyPinTest}). */
class PinTest
{
    @Test
    void pinningAnExclusivePageAddsTheBiasWithoutFaulting()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.populate(A, PAGE, 0);
            final long pfn = pfnAt(mm, A);
            final Events before = m.events().copy();
            assertThat(mm.hasPinned()).isFalse();
            assertThat(mm.pin(A + 123)).isEqualTo(pfn);
            assertThat(m.events().minus(before).faults).isZero();
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1 + PageDescriptor.GUP_PIN_COUNTING_BIAS);
            assertThat(m.memmap().folioMaybeDmaPinned(pfn)).isTrue();
            assertThat(mm.hasPinned()).isTrue();
            assertThat(mm.pins()).containsExactly(new Mm.Pin(A, pfn));
            consistent(m);
            mm.unpin(A);
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(1);
            assertThat(mm.hasPinned()).as("MMF_HAS_PINNED is never cleared").isTrue();
            consistent(m);
        }
    }

    @Test
    void pinningAPageSharedWithAChildUnsharesItFirst()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            final long shared = pfnAt(parent, A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            final long pinned = parent.pin(A);
            assertThat(pinned).as("COW before the pin").isNotEqualTo(shared);
            assertThat(pfnAt(parent, A)).isEqualTo(pinned);
            assertThat(m.memmap().testAnonExclusive(pinned)).isTrue();
            assertThat(m.memmap().rawRefcount(pinned)).isEqualTo(1 + PageDescriptor.GUP_PIN_COUNTING_BIAS);
            assertThat(pfnAt(child, A)).isEqualTo(shared);
            consistent(m);
            parent.unpin(A);
            child.exit();
        }
    }

    @Test
    void aWriteToAPinnedPageAfterForkReusesItSoThePinStaysOnThePageTheProcessSees()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, PAGE, RW, false, null, 0);
            parent.populate(A, PAGE, 0);
            final long pinned = parent.pin(A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(pfnAt(child, A)).as("fork copied the pinned page for the child").isNotEqualTo(pinned);
            parent.write(A, 0x77);
            assertThat(pfnAt(parent, A)).isEqualTo(pinned);
            assertThat(m.memmap().token(pinned)).isEqualTo(0x77);
            consistent(m);
            child.exit();
        }
    }

    @Test
    void pinningALargeFolioPageCountsInPincount()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 16 * PAGE, RW, false, null, 0);
            mm.populate(A, 16 * PAGE, 4);
            final long head = pfnAt(mm, A);
            mm.pin(A + 2 * PAGE);
            mm.pin(A + 2 * PAGE);
            mm.pin(A + 7 * PAGE);
            assertThat(m.memmap().pincount(head)).isEqualTo(3);
            assertThat(m.memmap().rawRefcount(head)).isEqualTo(16 + 3);
            consistent(m);
            mm.unpin(A + 2 * PAGE);
            assertThat(m.memmap().pincount(head)).isEqualTo(2);
            assertThat(mm.pins()).containsExactly(new Mm.Pin(A + 2 * PAGE, head + 2), new Mm.Pin(A + 7 * PAGE, head + 7));
            consistent(m);
        }
    }

    @Test
    void aPinnedPageOutlivesItsMappingUntilUnpinned()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.populate(A, PAGE, 0);
            final long pfn = pfnAt(mm, A);
            mm.pin(A);
            mm.munmap(A, PAGE);
            assertThat(m.memmap().rawRefcount(pfn)).isEqualTo(PageDescriptor.GUP_PIN_COUNTING_BIAS);
            assertThat(m.memmap().rawMapcount(pfn)).isZero();
            consistent(m);
            final Events before = m.events().copy();
            mm.unpin(A);
            assertThat(m.events().minus(before).foliosFreed).isEqualTo(1);
            consistent(m);
        }
    }

    @Test
    void exitReleasesThePinsTheProcessStillHolds()
    {
        try (Machine m = Fixtures.x86())
        {
            final long free = m.phys().freePageCount();
            final Mm mm = m.newProcess();
            mm.mmap(A, 32 * PAGE, RW, false, null, 0);
            mm.populate(A, 16 * PAGE, 4);
            mm.populate(A + 16 * PAGE, 16 * PAGE, 0);
            mm.pin(A);
            mm.pin(A + 20 * PAGE);
            mm.exit();
            InvariantChecker.leakCheck(m, free);
        }
    }

    @Test
    void pinAndUnpinRejectBadAddressesAndChangeNothing()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, R, false, null, 0);
            mm.mmap(A + PAGE, PAGE, RW, false, null, 0);
            mm.populate(A + PAGE, PAGE, 0);
            mm.mmap(A + 3 * PAGE, PAGE, 0, false, null, 0);
            final MachineImage before = MachineImage.of(m);
            assertThatThrownBy(() -> mm.pin(A, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x40000000 for writing");
            assertThatThrownBy(() -> mm.pin(A + 3 * PAGE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x40003000").hasMessageContaining("not readable");
            assertThatThrownBy(() -> mm.pinRange(A, 3 * PAGE, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x40002000");
            assertThatThrownBy(() -> mm.pinRange(A + 1, PAGE, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x40000001");
            assertThatThrownBy(() -> mm.unpinRange(A, 2 * PAGE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no pin at 0x40000000");
            assertThatThrownBy(() -> mm.pin(A + 2 * PAGE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0x40002000");
            assertThatThrownBy(() -> mm.unpin(A + PAGE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no pin at 0x40001000");
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
            assertThat(mm.hasPinned()).isFalse();
        }
    }
}
