package io.forksim.mm;

import io.forksim.arch.Arch;
import io.forksim.arch.X86_64;
import io.forksim.pte.Arm64Pte;
import io.forksim.pte.X86Pte;

/**
 * Soft-dirty helpers {@link Arch} does not expose yet ({@code pte_mksoft_dirty}, {@code pte_swp_mksoft_dirty},
 * {@code pte_swp_soft_dirty}): x86-64 has {@code CONFIG_MEM_SOFT_DIRTY}, arm64 has no soft-dirty bit (its
 * helpers are identities). Used where the kernel carries soft-dirty across a PTE transformation: mremap's
 * {@code move_soft_dirty_pte}, swap-out ({@code try_to_unmap_one}) and swap-in ({@code do_swap_page}).
 */
final class SoftDirty
{
    private SoftDirty()
    {
    }

    static long pteMksoftDirty(final Arch arch, final long pte)
    {
        return arch instanceof X86_64 ? X86Pte.pteMksoftDirty(pte) : Arm64Pte.pteMksoftDirty(pte);
    }

    static long pteSwpMksoftDirty(final Arch arch, final long pte)
    {
        return arch instanceof X86_64 ? X86Pte.pteSwpMksoftDirty(pte) : Arm64Pte.pteSwpMksoftDirty(pte);
    }

    static boolean pteSwpSoftDirty(final Arch arch, final long pte)
    {
        return arch instanceof X86_64 ? X86Pte.pteSwpSoftDirty(pte) : Arm64Pte.pteSwpSoftDirty(pte);
    }
}
