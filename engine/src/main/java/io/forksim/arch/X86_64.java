package io.forksim.arch;

import io.forksim.pte.X86Pte;

/**
 * x86-64: no contiguous bit, so every batch hook keeps the generic fallback of {@link Arch}
 * ({@code pte_batch_hint} = {@code pte_batch_remaining} = 1, per-entry loops), and the PTE helpers are
 * {@link X86Pte}'s static functions.
 */
public final class X86_64 extends Arch
{
    public static final X86_64 INSTANCE = new X86_64();

    private X86_64()
    {
    }

    @Override public String name() { return "x86_64"; }

    @Override public boolean pteNone(final long pte) { return X86Pte.pteNone(pte); }
    @Override public boolean ptePresent(final long pte) { return X86Pte.ptePresent(pte); }
    @Override public boolean pteWrite(final long pte) { return X86Pte.pteWrite(pte); }
    @Override public boolean pteDirty(final long pte) { return X86Pte.pteDirty(pte); }
    @Override public boolean pteYoung(final long pte) { return X86Pte.pteYoung(pte); }
    @Override public boolean pteSpecial(final long pte) { return X86Pte.pteSpecial(pte); }
    @Override public boolean pteUffdWp(final long pte) { return X86Pte.pteUffdWp(pte); }
    @Override public boolean pteSoftDirty(final long pte) { return X86Pte.pteSoftDirty(pte); }
    @Override public long pteWrprotect(final long pte) { return X86Pte.pteWrprotect(pte); }
    @Override public long pteMkwrite(final long pte) { return X86Pte.pteMkwrite(pte); }
    @Override public long pteMkold(final long pte) { return X86Pte.pteMkold(pte); }
    @Override public long pteMkyoung(final long pte) { return X86Pte.pteMkyoung(pte); }
    @Override public long pteMkdirty(final long pte) { return X86Pte.pteMkdirty(pte); }
    @Override public long pteMkclean(final long pte) { return X86Pte.pteMkclean(pte); }
    @Override public long pteMkspecial(final long pte) { return X86Pte.pteMkspecial(pte); }
    @Override public long pteMkuffdWp(final long pte) { return X86Pte.pteMkuffdWp(pte); }
    @Override public long pteClearUffdWp(final long pte) { return X86Pte.pteClearUffdWp(pte); }
    @Override public long pteClearSoftDirty(final long pte) { return X86Pte.pteClearSoftDirty(pte); }
    @Override public long pteMksoftDirty(final long pte) { return X86Pte.pteMksoftDirty(pte); }
    @Override public long ptePfn(final long pte) { return X86Pte.ptePfn(pte); }
    @Override public long presentPfn(final long pte) { return X86Pte.presentPfn(pte); }
    @Override public long pfnPte(final long pfn, final long prot) { return X86Pte.pfnPte(pfn, prot); }
    @Override public long pteAdvancePfn(final long pte, final long nr) { return X86Pte.pteAdvancePfn(pte, nr); }
    @Override public long ptePgprot(final long pte) { return X86Pte.ptePgprot(pte); }

    @Override
    public long vmGetPageProt(final boolean read, final boolean write, final boolean exec, final boolean shared)
    {
        return X86Pte.vmGetPageProt(read, write, exec, shared);
    }

    @Override public long swpEntryToPte(final int type, final long offset) { return X86Pte.swpEntryToPte(type, offset); }
    @Override public boolean isSwapPte(final long pte) { return X86Pte.isSwapPte(pte); }
    @Override public int pteSwpType(final long pte) { return X86Pte.pteSwpType(pte); }
    @Override public long pteSwpOffset(final long pte) { return X86Pte.pteSwpOffset(pte); }
    @Override public boolean pteSwpExclusive(final long pte) { return X86Pte.pteSwpExclusive(pte); }
    @Override public long pteSwpMkexclusive(final long pte) { return X86Pte.pteSwpMkexclusive(pte); }
    @Override public long pteSwpClearExclusive(final long pte) { return X86Pte.pteSwpClearExclusive(pte); }
    @Override public boolean pteSwpUffdWp(final long pte) { return X86Pte.pteSwpUffdWp(pte); }
    @Override public long pteSwpClearUffdWp(final long pte) { return X86Pte.pteSwpClearUffdWp(pte); }
    @Override public long pteSwpMksoftDirty(final long pte) { return X86Pte.pteSwpMksoftDirty(pte); }
    @Override public boolean pteSwpSoftDirty(final long pte) { return X86Pte.pteSwpSoftDirty(pte); }

    @Override public long mkTableEntry(final long tablePfn) { return X86Pte.mkTableEntry(tablePfn); }
    @Override public long tableEntryPfn(final long entry) { return X86Pte.tableEntryPfn(entry); }
    @Override public boolean tableEntryPresent(final long entry) { return X86Pte.tableEntryPresent(entry); }
}
