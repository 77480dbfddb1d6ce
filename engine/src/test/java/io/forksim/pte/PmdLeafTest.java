package io.forksim.pte;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PMD leaves on both arches: the exact words of populate, fork and PROT_NONE, and the leaf/table distinction. */
class PmdLeafTest
{
    @Test
    void x86LeafOfAFreshThpThenAfterForkInParentAndChild()
    {
        final long fresh = X86Pmd.pmdMkwrite(X86Pmd.pmdMkdirty(X86Pmd.folioMkPmd(0x200, X86Pte.PAGE_COPY)));
        assertThat(fresh).isEqualTo(0x8000_0000_0020_08E7L);
        assertThat(X86Pmd.pmdTransHuge(fresh)).isTrue();
        assertThat(X86Pte.tableEntryPresent(fresh)).as("a leaf is not a table entry").isFalse();
        assertThat(X86Pte.tableEntryPresent(X86Pte.mkTableEntry(0x200))).isTrue();
        assertThat(X86Pmd.pmdPfn(fresh)).isEqualTo(0x200);
        final long parent = X86Pmd.pmdWrprotect(fresh);
        assertThat(parent).isEqualTo(0x8400_0000_0020_08A5L);
        assertThat(X86Pmd.pmdDirty(parent)).isTrue();
        assertThat(X86Pmd.pmdWrite(parent)).isFalse();
        assertThat(X86Pmd.pmdMkold(parent)).isEqualTo(0x8400_0000_0020_0885L);
        assertThat(X86Pmd.pmdMkwrite(parent)).as("SavedDirty moves back to D").isEqualTo(fresh);
        assertThat(X86Pmd.pmdSoftDirty(X86Pmd.pmdClearSoftDirty(fresh))).isFalse();
        assertThat(X86Pmd.pmdMkclean(fresh) & (X86Pte.DIRTY | X86Pte.SAVED_DIRTY)).isZero();
    }

    @Test
    void x86ProtNoneLeafStoresThePfnInvertedAndStaysAPresentLeaf()
    {
        final long none = X86Pmd.folioMkPmd(0x200, X86Pte.PAGE_NONE);
        assertThat(none).isEqualTo(0x000F_FFFF_FFC0_01A0L);
        assertThat(X86Pmd.pmdTransHuge(none)).isTrue();
        assertThat(X86Pmd.pmdPfn(none)).isEqualTo(0x200);
        assertThat(X86Pte.tableEntryPresent(none)).isFalse();
    }

    @Test
    void arm64BlockOfAFreshThpThenAfterForkInParentAndChild()
    {
        final long fresh = Arm64Pmd.pmdMkwrite(Arm64Pmd.pmdMkdirty(Arm64Pmd.folioMkPmd(0x200, Arm64Pte.PAGE_READONLY)));
        assertThat(fresh).isEqualTo(0x00E8_0000_0020_0F41L);
        assertThat(fresh & Arm64Pte.PMD_TYPE_MASK).isEqualTo(Arm64Pmd.PMD_TYPE_SECT);
        assertThat(Arm64Pmd.pmdTransHuge(fresh)).isTrue();
        assertThat(Arm64Pte.tableEntryPresent(fresh)).isFalse();
        final long parent = Arm64Pmd.pmdWrprotect(fresh);
        assertThat(parent).isEqualTo(0x00E0_0000_0020_0FC1L);
        assertThat(Arm64Pmd.pmdDirty(parent)).as("hardware dirt kept in the software DIRTY bit").isTrue();
        assertThat(Arm64Pmd.pmdMkold(parent)).isEqualTo(0x00E0_0000_0020_0BC1L);
        assertThat(Arm64Pmd.pmdMkwrite(parent)).isEqualTo(fresh);
        assertThat(Arm64Pmd.pmdSoftDirty(fresh)).as("no soft-dirty on arm64").isFalse();
        assertThat(fresh & Arm64Pte.CONT).as("a THP never has PMD_SECT_CONT").isZero();
    }

    @Test
    void arm64ProtNoneLeafIsPresentInvalidWithTypeZero()
    {
        final long none = Arm64Pmd.folioMkPmd(0x200, Arm64Pte.PAGE_NONE);
        assertThat(none).isEqualTo(0x0060_0000_0020_0F80L);
        assertThat(Arm64Pmd.pmdTransHuge(none)).isTrue();
        assertThat(Arm64Pmd.pmdPfn(none)).isEqualTo(0x200);
    }

    @Test
    void aLeafNeedsA512AlignedPfn()
    {
        assertThatThrownBy(() -> X86Pmd.folioMkPmd(0x201, X86Pte.PAGE_COPY)).hasMessageContaining("0x201");
        assertThatThrownBy(() -> Arm64Pmd.folioMkPmd(0x300, Arm64Pte.PAGE_READONLY)).hasMessageContaining("0x300");
    }
}
