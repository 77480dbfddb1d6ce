package io.forksim.mm;

import io.forksim.check.InvariantChecker;
import io.forksim.check.MachineImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static io.forksim.mm.Fixtures.A;
import static io.forksim.mm.Fixtures.MIB;
import static io.forksim.mm.Fixtures.PAGE;
import static io.forksim.mm.Fixtures.RW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** exit() and what an exited process still answers. */
class ExitedProcessTest
{
    @Test
    void exitFreesEveryFolioTableAndSwapSlotAndUnregistersTheProcess()
    {
        try (Machine m = Fixtures.x86())
        {
            final long free = m.phys().freePageCount();
            final Mm mm = m.newProcess();
            mm.mmap(A, 8 * MIB, RW, false, null, 0);
            mm.populate(A, 2 * MIB, 9);
            mm.populate(A + 2 * MIB, MIB, 4);
            mm.populate(A + 3 * MIB, MIB, 0);
            mm.madvise(A + 3 * MIB, 16 * PAGE, Advice.PAGEOUT);
            mm.read(A + 5 * MIB);
            mm.mmap(A + 16 * MIB, 16 * PAGE, RW, true, null, 0);
            mm.populate(A + 16 * MIB, 16 * PAGE, 0);
            assertThat(m.processes()).contains(mm);
            mm.exit();
            assertThat(mm.exited()).isTrue();
            assertThat(m.processes()).doesNotContain(mm);
            assertThat(m.files()).as("the shmem file died with its only mapping").isEmpty();
            InvariantChecker.leakCheck(m, free);
        }
    }

    @Test
    void everyOperationOnAnExitedProcessThrowsNamingItAndChangesNothing()
    {
        try (Machine m = Fixtures.x86())
        {
            final Mm other = m.newProcess();
            other.mmap(A, PAGE, RW, false, null, 0);
            other.populate(A, PAGE, 0);
            final Mm mm = m.newProcess();
            mm.mmap(A, PAGE, RW, false, null, 0);
            mm.exit();
            final MachineImage before = MachineImage.of(m);
            final String name = "mm#" + mm.id();
            for (final Executable call : List.<Executable>of(
                () -> mm.mmap(A + MIB, PAGE, RW, false, null, 0),
                () -> mm.munmap(A, PAGE),
                () -> mm.mprotect(A, PAGE, 0),
                () -> mm.madvise(A, PAGE, Advice.DONTNEED),
                () -> mm.mremap(A, PAGE, A + MIB),
                () -> mm.populate(A, PAGE, 0),
                () -> mm.fault(A, true),
                () -> mm.read(A),
                () -> mm.write(A, 1),
                () -> mm.pin(A),
                () -> mm.unpin(A),
                mm::exit))
            {
                assertThatThrownBy(call::execute).isInstanceOf(IllegalStateException.class).hasMessageContaining(name)
                    .hasMessageContaining("exited");
            }
            assertThat(before.diff(MachineImage.of(m))).isEmpty();
        }
    }
}
