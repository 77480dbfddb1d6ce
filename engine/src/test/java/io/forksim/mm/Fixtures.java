package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.check.InvariantChecker;
import io.forksim.pte.Arm64Pte;
import io.forksim.pte.X86Pte;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared machines, addresses and expected PTE words for the process-operation tests. */
final class Fixtures
{
    static final long PAGE = Arch.PAGE_SIZE;
    static final long KIB64 = 64L << 10;
    static final long MIB = 1L << 20;
    static final long THP = 2 * MIB;
    /** 1 GiB: PUD- and PMD-aligned, so a range starting here owns whole PTE tables. */
    static final long A = 1L << 30;
    /** A second free area, 2 GiB further up. */
    static final long B = 3L << 30;
    static final int R = VmFlags.VM_READ;
    static final int RW = VmFlags.VM_READ | VmFlags.VM_WRITE;

    /** x86-64 private anon writable PTE as do_anonymous_page makes it: P|RW|US|A|D|SoftDirty|NX. */
    static final long X86_ANON_RW = X86Pte.PRESENT | X86Pte.RW | X86Pte.USER | X86Pte.ACCESSED | X86Pte.DIRTY
        | X86Pte.SOFT_DIRTY | X86Pte.NX;

    private Fixtures()
    {
    }

    static Machine machine(final String arch)
    {
        return new Machine(Machine.Config.of(arch, 64 * MIB));
    }

    static Machine x86()
    {
        return machine("x86_64");
    }

    /** The private anon writable, dirty, young PTE of {@code pfn} on {@code arch}, without CONT. */
    static long anonRw(final String arch, final long pfn)
    {
        if (arch.equals("x86_64"))
        {
            return (pfn << 12) | X86_ANON_RW;
        }
        return Arm64Pte.pteMkwrite(Arm64Pte.pteMkdirty(Arm64Pte.pfnPte(pfn, Arm64Pte.vmGetPageProt(true, true, false, false))));
    }

    static long pfnOf(final Machine m, final long pte)
    {
        return m.arch().ptePfn(pte);
    }

    static long pfnAt(final Mm mm, final long va)
    {
        return mm.machine().arch().ptePfn(mm.peekPte(va));
    }

    static void consistent(final Machine m)
    {
        final List<String> v = InvariantChecker.violations(m);
        assertThat(v).as("invariant violations").isEmpty();
    }
}
