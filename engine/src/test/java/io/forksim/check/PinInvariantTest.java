package io.forksim.check;

import io.forksim.arch.Arch;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.VmFlags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The pin rule: a pinned anon page that a PTE maps is PageAnonExclusive. */
class PinInvariantTest
{
    private static final long PAGE = Arch.PAGE_SIZE;
    private static final long A = 1L << 30;

    @Test
    void aPinnedMappedAnonPageThatLostPageAnonExclusiveIsReported()
    {
        try (Machine m = new Machine(Machine.Config.of("x86_64", 64L << 20)))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            mm.populate(A, 4 * PAGE, 0);
            final long pfn = mm.pin(A + PAGE);
            assertThat(InvariantChecker.violations(m)).isEmpty();
            m.memmap().clearAnonExclusive(pfn);
            assertThat(InvariantChecker.violations(m)).anySatisfy(v -> assertThat(v)
                .contains("mm#" + mm.id() + " pins anon pfn " + pfn + " (taken at 0x40001000)")
                .contains("not PageAnonExclusive"));
        }
    }

    @Test
    void aPinnedPageNothingMapsAnyMoreIsNotChecked()
    {
        try (Machine m = new Machine(Machine.Config.of("x86_64", 64L << 20)))
        {
            final Mm mm = m.newProcess();
            mm.mmap(A, 4 * PAGE, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            mm.populate(A, 4 * PAGE, 0);
            final long pfn = mm.pin(A);
            mm.munmap(A, 4 * PAGE);
            m.memmap().clearAnonExclusive(pfn);
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }
}
