package io.forksim.arch;

import io.forksim.pte.X86Pmd;

/** x86-64 PMD leaves ({@link X86Pmd}): every table accessor keeps the generic fallback of {@link PmdOps}. */
public final class X86PmdOps extends PmdOps
{
    static final X86PmdOps INSTANCE = new X86PmdOps();

    private X86PmdOps()
    {
    }

    @Override public long folioMkPmd(final long pfn, final long prot) { return X86Pmd.folioMkPmd(pfn, prot); }
    @Override public boolean pmdTransHuge(final long pmd) { return X86Pmd.pmdTransHuge(pmd); }
    @Override public long pmdPfn(final long pmd) { return X86Pmd.pmdPfn(pmd); }
    @Override public boolean pmdWrite(final long pmd) { return X86Pmd.pmdWrite(pmd); }
    @Override public boolean pmdDirty(final long pmd) { return X86Pmd.pmdDirty(pmd); }
    @Override public boolean pmdYoung(final long pmd) { return X86Pmd.pmdYoung(pmd); }
    @Override public boolean pmdSoftDirty(final long pmd) { return X86Pmd.pmdSoftDirty(pmd); }
    @Override public boolean pmdUffdWp(final long pmd) { return X86Pmd.pmdUffdWp(pmd); }
    @Override public long pmdWrprotect(final long pmd) { return X86Pmd.pmdWrprotect(pmd); }
    @Override public long pmdMkwrite(final long pmd) { return X86Pmd.pmdMkwrite(pmd); }
    @Override public long pmdMkold(final long pmd) { return X86Pmd.pmdMkold(pmd); }
    @Override public long pmdMkyoung(final long pmd) { return X86Pmd.pmdMkyoung(pmd); }
    @Override public long pmdMkdirty(final long pmd) { return X86Pmd.pmdMkdirty(pmd); }
    @Override public long pmdMkclean(final long pmd) { return X86Pmd.pmdMkclean(pmd); }
    @Override public long pmdMksoftDirty(final long pmd) { return X86Pmd.pmdMksoftDirty(pmd); }
    @Override public long pmdClearSoftDirty(final long pmd) { return X86Pmd.pmdClearSoftDirty(pmd); }
    @Override public long pmdClearUffdWp(final long pmd) { return X86Pmd.pmdClearUffdWp(pmd); }
}
