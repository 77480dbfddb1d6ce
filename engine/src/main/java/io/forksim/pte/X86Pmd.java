package io.forksim.pte;

/**
 * Bit-exact x86-64 PMD leaves: a PMD entry with {@code _PAGE_PSE} that maps one 2 MiB page (a PMD-mapped
 * THP) instead of pointing at a PTE table. Helpers carry the kernel's names in camelCase
 * ({@code pmd_mkdirty} becomes {@link #pmdMkdirty}). Sources: {@code arch/x86/include/asm/pgtable.h},
 * {@code pgtable_types.h}, {@code pgtable-invert.h} (Linux 6.18).
 *
 * <p>Present PMD leaf ({@code P}=1, or {@code P}=0 with {@code PROTNONE}=1 for PROT_NONE; PSE=1 either way):
 * <pre>
 *   63  62  61  60  59  58  57  56  55  54  53  52  51  50  49  48
 * +---+---------------+---+---+-------------------+---------------+
 * | NX|      PKEY     |SVD|SW4|     (ignored)     |   PFN[51:48]  |
 * +---+---------------+---+---+-------------------+---------------+
 *   47  46  45  44  43  42  41  40  39  38  37  36  35  34  33  32
 * +---------------------------------------------------------------+
 * |                           PFN[47:32]                          |
 * +---------------------------------------------------------------+
 *   31  30  29  28  27  26  25  24  23  22  21  20  19  18  17  16
 * +-------------------------------------------+-------------------+
 * |                  PFN[31:21]               |     0 (reserved)  |
 * +-------------------------------------------+-------------------+
 *   15  14  13  12  11  10   9   8   7   6   5   4   3   2   1   0
 * +-----------+---+---+---+---+---+---+---+---+---+---+---+---+---+
 * | 0 (rsvd)  |PTL| SD| UW| SP| G |PSE| D | A |PCD|PWT| US| RW| P |
 * +-----------+---+---+---+---+---+---+---+---+---+---+---+---+---+
 *
 *  P, RW, US, PWT, PCD, A, D   bits 0..6   as in a PTE ({@link X86Pte})
 *  PSE  bit  7  {@link #PSE}        _PAGE_PSE        leaf marker: pmd_trans_huge / pmd_leaf test it
 *  G    bit  8  (PROTNONE when P=0) as in a PTE
 *  SP   bit  9  {@link X86Pte#SPECIAL}    the huge zero PMD carries it
 *  UW   bit 10  {@link X86Pte#UFFD_WP}    SD bit 11 {@link X86Pte#SOFT_DIRTY}
 *  PTL  bit 12  {@link #PAT_LARGE}  _PAGE_PAT_LARGE  PAT for 2 MiB pages (0 for write-back memory)
 *  PFN  21..51  {@link #PMD_PFN_MASK} PHYSICAL_PMD_PAGE_MASK: pfn &lt;&lt; 12 of a 512-aligned pfn, stored
 *               inverted when P=0 and the word is not zero (L1TF), as a PTE's PFN
 *  SW4 57, SVD 58 (SavedDirty), PKEY 59..62, NX 63   as in a PTE
 * </pre>
 * The PMD forms of write-protect, old, dirty and soft-dirty are the PTE bit operations on the same bits
 * ({@code pmd_wrprotect} = {@code pte_wrprotect}'s RW clear and D -&gt; SavedDirty move, and so on), so every
 * helper below reuses {@link X86Pte}'s and only the PFN field and PSE differ. Typical words
 * (Linux 6.18, {@code map_anon_folio_pmd} and {@code copy_huge_pmd}, CONFIG_MEM_SOFT_DIRTY, pfn 0x200):
 * <pre>
 *   fresh RW private THP       0x80000000002008e7  P|RW|US|A|D|PSE|SD|NX
 *   after fork, parent         0x84000000002008a5  RW=0, D moved to SavedDirty (bit 58), A kept
 *   after fork, child          0x8400000000200885  as the parent, A=0 (pmd_mkold)
 * </pre>
 */
public final class X86Pmd
{
    /** {@code _PAGE_PSE}, bit 7: the entry is a leaf (a 2 MiB page), not a table pointer. */
    public static final long PSE = 1L << 7;
    /** {@code _PAGE_PAT_LARGE}, bit 12. */
    public static final long PAT_LARGE = 1L << 12;
    /** {@code PHYSICAL_PMD_PAGE_MASK} with 52 physical bits: bits 21..51. */
    public static final long PMD_PFN_MASK = 0x000F_FFFF_FFE0_0000L;
    /** PFNs per PMD leaf ({@code HPAGE_PMD_NR}). */
    public static final int HPAGE_PMD_NR = 512;

    private X86Pmd()
    {
    }

    private static long protnoneMask(final long v)
    {
        return (v != 0 && (v & X86Pte.PRESENT) == 0) ? -1L : 0L;
    }

    /**
     * {@code folio_mk_pmd(folio, prot)}: {@code pmd_mkhuge(pfn_pmd(pfn, prot))}, the PFN inverted for a
     * non-present prot as {@code pfn_pmd} does.
     *
     * @throws IllegalArgumentException if {@code pfn} is not 512-aligned or does not fit 40 bits
     */
    public static long folioMkPmd(final long pfn, final long prot)
    {
        if ((pfn & (HPAGE_PMD_NR - 1)) != 0 || (pfn & ~X86Pte.MAX_PFN) != 0)
        {
            throw new IllegalArgumentException("pfn 0x" + Long.toHexString(pfn) + " cannot head a PMD leaf: it must be"
                + " 512-aligned and fit 40 bits");
        }
        return (((pfn << X86Pte.PAGE_SHIFT) ^ protnoneMask(prot)) & PMD_PFN_MASK) | (prot & ~X86Pte.PFN_MASK) | PSE;
    }

    /** {@code pmd_leaf} / {@code pmd_trans_huge} of a present entry: PSE set (and present). */
    public static boolean pmdTransHuge(final long pmd)
    {
        return (pmd & PSE) != 0 && (pmd & (X86Pte.PRESENT | X86Pte.PROTNONE)) != 0;
    }

    /** {@code pmd_present}: P, PROTNONE or PSE. */
    public static boolean pmdPresent(final long pmd)
    {
        return (pmd & (X86Pte.PRESENT | X86Pte.PROTNONE | PSE)) != 0;
    }

    /** {@code pmd_pfn} of a leaf: bits 21..51, undoing the PROT_NONE inversion. */
    public static long pmdPfn(final long pmd)
    {
        return ((pmd ^ protnoneMask(pmd)) & PMD_PFN_MASK) >>> X86Pte.PAGE_SHIFT;
    }

    public static boolean pmdWrite(final long pmd) { return X86Pte.pteWrite(pmd); }
    public static boolean pmdDirty(final long pmd) { return X86Pte.pteDirty(pmd); }
    public static boolean pmdYoung(final long pmd) { return X86Pte.pteYoung(pmd); }
    public static boolean pmdSoftDirty(final long pmd) { return X86Pte.pteSoftDirty(pmd); }
    public static boolean pmdUffdWp(final long pmd) { return X86Pte.pteUffdWp(pmd); }
    public static boolean pmdSpecial(final long pmd) { return X86Pte.pteSpecial(pmd); }
    /** {@code pmd_wrprotect}: clear RW, move D to SavedDirty. */
    public static long pmdWrprotect(final long pmd) { return X86Pte.pteWrprotect(pmd); }
    /** {@code pmd_mkwrite}: set RW, move SavedDirty back to D. */
    public static long pmdMkwrite(final long pmd) { return X86Pte.pteMkwrite(pmd); }
    public static long pmdMkold(final long pmd) { return X86Pte.pteMkold(pmd); }
    public static long pmdMkyoung(final long pmd) { return X86Pte.pteMkyoung(pmd); }
    /** {@code pmd_mkdirty}: D and SOFT_DIRTY; D moves to SavedDirty while RW is clear. */
    public static long pmdMkdirty(final long pmd) { return X86Pte.pteMkdirty(pmd); }
    /** {@code pmd_mkclean}: clear D and SavedDirty. */
    public static long pmdMkclean(final long pmd) { return X86Pte.pteMkclean(pmd); }
    public static long pmdMksoftDirty(final long pmd) { return X86Pte.pteMksoftDirty(pmd); }
    public static long pmdClearSoftDirty(final long pmd) { return X86Pte.pteClearSoftDirty(pmd); }
    public static long pmdClearUffdWp(final long pmd) { return X86Pte.pteClearUffdWp(pmd); }

}
