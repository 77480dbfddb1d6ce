package io.forksim.fork;

import io.forksim.check.InvariantChecker;
import io.forksim.mm.Advice;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.Vma;
import io.forksim.mm.VmFlags;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** dup_mmap of a VM_WIPEONFORK VMA: the child gets the VMA, empty and without anon_vma (a surviving PIT mutant). */
class WipeOnForkTest
{
    @Test
    void theChildGetsTheWipeOnForkVmaEmptyAndWithoutAnonVma()
    {
        final long base = 1L << 30;
        try (Machine m = new Machine(Machine.Config.of("x86_64", 64L << 20)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(base, 8 * 4096, VmFlags.VM_READ | VmFlags.VM_WRITE, false, null, 0);
            parent.populate(base, 8 * 4096, 0);
            parent.madvise(base, 8 * 4096, Advice.WIPEONFORK);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(child.vmas()).extracting(Vma::start, Vma::end, Vma::hasAnonVma)
                .containsExactly(Tuple.tuple(base, base + 8 * 4096, false));
            assertThat(child.peekPte(base)).isZero();
            assertThat(child.read(base)).as("the zero page").isZero();
            assertThat(parent.vmas()).extracting(Vma::hasAnonVma).containsExactly(true);
            InvariantChecker.check(m);
        }
    }
}
