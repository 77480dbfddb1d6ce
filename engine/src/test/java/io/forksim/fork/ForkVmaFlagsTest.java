package io.forksim.fork;

import io.forksim.arch.Arch;
import io.forksim.arch.ArchVariant;
import io.forksim.check.InvariantChecker;
import io.forksim.mm.ForkHooks;
import io.forksim.mm.Machine;
import io.forksim.mm.Mm;
import io.forksim.mm.SimFile;
import io.forksim.mm.VmFlags;
import io.forksim.mm.Vma;
import io.forksim.pgtable.PageTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * dup_mmap's per-VMA rules: VM_LOCKED is not inherited, and vma_needs_copy copies the page tables of a shared file
 * mapping only when the child's VMA is uffd-wp armed or the mapping is VM_PFNMAP / VM_MIXEDMAP (otherwise the child
 * refaults from the page cache). On a concurrent machine the copy runs under both PTLs and releases them.
 */
class ForkVmaFlagsTest
{
    private static final long A = 1L << 30;
    private static final long PAGE = Arch.PAGE_SIZE;
    private static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

    /** mmap() takes only PROT bits: the other VMA flags are set the way a restored snapshot carries them. */
    private static void addFlags(final Mm mm, final int flags)
    {
        final Vma vma = mm.findVma(A);
        ForkHooks.forFork().setVmaFlags(mm, vma, vma.flags() | flags);
    }

    @Test
    void theChildsVmaIsNotLocked()
    {
        try (Machine m = new Machine(Machine.Config.of("x86_64", 64L << 20)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 4 * PAGE, RW, false, null, 0);
            addFlags(parent, VmFlags.VM_LOCKED);
            parent.populate(A, 4 * PAGE, 0);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(parent.findVma(A).flags() & VmFlags.VM_LOCKED).isEqualTo(VmFlags.VM_LOCKED);
            assertThat(child.findVma(A).flags() & VmFlags.VM_LOCKED).isZero();
            assertThat(child.findVma(A).flags()).isEqualTo(parent.findVma(A).flags() & ~VmFlags.VM_LOCKED);
        }
    }

    @ParameterizedTest(name = "extra flags 0x{0}")
    @ValueSource(ints = {0, VmFlags.VM_UFFD_WP, VmFlags.VM_PFNMAP, VmFlags.VM_MIXEDMAP})
    void aSharedFileMappingIsCopiedOnlyWhenUffdWpArmedOrPfnOrMixedMap(final int extra)
    {
        try (Machine m = new Machine(Machine.Config.of("x86_64", 64L << 20)))
        {
            final Mm parent = m.newProcess();
            final SimFile f = m.createFile("f", 4 * PAGE);
            parent.mmap(A, 4 * PAGE, RW, true, f, 0);
            addFlags(parent, extra);
            parent.read(A);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            if (extra == 0)
            {
                assertThat(child.peekPte(A)).as("refaults from the page cache").isZero();
            }
            else
            {
                assertThat(m.arch().ptePfn(child.peekPte(A))).isEqualTo(m.arch().ptePfn(parent.peekPte(A)));
            }
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }

    @Test
    void aForkOnAConcurrentMachineReleasesBothPteTableLocks()
    {
        try (Machine m = new Machine(new Machine.Config(ArchVariant.of("x86_64"), 64L << 20, 64L << 20, true, true)))
        {
            final Mm parent = m.newProcess();
            parent.mmap(A, 16 * PAGE, RW, false, null, 0);
            parent.populate(A, 16 * PAGE, 4);
            final Mm child = Fork.fork(parent, Strategy.FOLIO_BATCH);
            assertThat(child.peekPte(A)).isNotZero();
            final PageTables pt = m.pageTables();
            assertThat(pt.ptl().heldByCurrentThread(pt.pteOffsetMap(parent.pgd(), A))).as("src PTL").isFalse();
            assertThat(pt.ptl().heldByCurrentThread(pt.pteOffsetMap(child.pgd(), A))).as("dst PTL").isFalse();
            assertThat(InvariantChecker.violations(m)).isEmpty();
        }
    }
}
