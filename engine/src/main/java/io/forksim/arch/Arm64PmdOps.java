package io.forksim.arch;

import io.forksim.pte.Arm64Pmd;
import io.forksim.stats.Events;

/**
 * arm64 PMD block descriptors ({@link Arm64Pmd}). The one table accessor it overrides is {@link #flushPmdTlbRange}:
 * {@code __flush_tlb_range} with a PMD_SIZE stride and TLB level 2 is one TLBI VALE1IS between DSB ISHST and DSB ISH.
 */
public final class Arm64PmdOps extends PmdOps
{
    static final Arm64PmdOps INSTANCE = new Arm64PmdOps();

    private Arm64PmdOps()
    {
    }

    @Override public long folioMkPmd(final long pfn, final long prot) { return Arm64Pmd.folioMkPmd(pfn, prot); }
    @Override public boolean pmdTransHuge(final long pmd) { return Arm64Pmd.pmdTransHuge(pmd); }
    @Override public long pmdPfn(final long pmd) { return Arm64Pmd.pmdPfn(pmd); }
    @Override public boolean pmdWrite(final long pmd) { return Arm64Pmd.pmdWrite(pmd); }
    @Override public boolean pmdDirty(final long pmd) { return Arm64Pmd.pmdDirty(pmd); }
    @Override public boolean pmdYoung(final long pmd) { return Arm64Pmd.pmdYoung(pmd); }
    @Override public boolean pmdSoftDirty(final long pmd) { return Arm64Pmd.pmdSoftDirty(pmd); }
    @Override public boolean pmdUffdWp(final long pmd) { return Arm64Pmd.pmdUffdWp(pmd); }
    @Override public long pmdWrprotect(final long pmd) { return Arm64Pmd.pmdWrprotect(pmd); }
    @Override public long pmdMkwrite(final long pmd) { return Arm64Pmd.pmdMkwrite(pmd); }
    @Override public long pmdMkold(final long pmd) { return Arm64Pmd.pmdMkold(pmd); }
    @Override public long pmdMkyoung(final long pmd) { return Arm64Pmd.pmdMkyoung(pmd); }
    @Override public long pmdMkdirty(final long pmd) { return Arm64Pmd.pmdMkdirty(pmd); }
    @Override public long pmdMkclean(final long pmd) { return Arm64Pmd.pmdMkclean(pmd); }
    @Override public long pmdMksoftDirty(final long pmd) { return Arm64Pmd.pmdMksoftDirty(pmd); }
    @Override public long pmdClearSoftDirty(final long pmd) { return Arm64Pmd.pmdClearSoftDirty(pmd); }
    @Override public long pmdClearUffdWp(final long pmd) { return Arm64Pmd.pmdClearUffdWp(pmd); }

    @Override
    public void flushPmdTlbRange(final Arch arch, final Events ev)
    {
        arch.flushTlbPage(ev);
    }
}
