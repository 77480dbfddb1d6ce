package io.forksim.pte;

/**
 * Bit-exact arm64 PMD leaves with the 4 KiB granule: a level-2 <em>block</em> descriptor that maps 2 MiB
 * (a PMD-mapped THP). Helpers carry the kernel's names in camelCase. Sources:
 * {@code arch/arm64/include/asm/pgtable.h} ({@code pmd_*} are the {@code pte_*} helpers applied to
 * {@code pmd_pte(pmd)}), {@code pgtable-hwdef.h}, {@code pgtable-prot.h} (Linux 6.18).
 *
 * <pre>
 *   63  62  61  60  59  58  57  56  55  54  53  52  51  50  49  48
 * +---+-----------+---+---+---+---+---+---+---+---+---+---+-------+
 * | sw|  POIndex  | - | UW| - | SP|DTY|UXN|PXN| 0 |DBM| GP| OA/0  |
 * +---+-----------+---+---+---+---+---+---+---+---+---+---+-------+
 *   47  46  45  44  43  42  41  40  39  38  37  36  35  34  33  32
 * +---------------------------------------------------------------+
 * |                           OA[47:32]                           |
 * +---------------------------------------------------------------+
 *   31  30  29  28  27  26  25  24  23  22  21  20  19  18  17  16
 * +-------------------------------------------+-------------------+
 * |                  OA[31:21]                |         0         |
 * +-------------------------------------------+-------------------+
 *   15  14  13  12  11  10   9   8   7   6   5   4   3   2   1   0
 * +---------------+---+---+-------+---+---+---+-----------+---+---+
 * |       0       | nG| AF|   SH  | RO|USR| NS|  AttrIdx  | 0 | V |
 * +---------------+---+---+-------+---+---+---+-----------+---+---+
 *
 *  V, T    bits 0..1  {@link #PMD_TYPE_SECT} = 0b01: a valid block (a table descriptor is 0b11);
 *                     {@code pmd_mkhuge} clears bit 1 and leaves V alone, so a PROT_NONE leaf has 0b00
 *  AttrIdx 2..4, NS 5, USR 6, RO 7, SH 8..9, AF 10, nG 11 (PTE_PRESENT_INVALID when V=0)   as in a PTE
 *  OA      21..47     output address of a 2 MiB-aligned block (bits 12..20 are 0)
 *  DBM 51 (PTE_WRITE), PXN 53, UXN 54, DTY 55 (software dirty), SP 56, UW 58   as in a PTE
 *  CONT    bit 52     PMD_SECT_CONT: never set on a THP (only hugetlb uses pmd_mkcont)
 * </pre>
 * There is no soft-dirty bit on arm64 ({@link #pmdSoftDirty} is false). Write-protect, old and dirty are the
 * PTE forms ({@link Arm64Pte}): {@code pmd_wrprotect} keeps hardware dirt in the software DIRTY bit, then clears
 * DBM and sets RDONLY. Typical words (Linux 6.18, pfn 0x200, {@code vm_page_prot} = PAGE_READONLY):
 * <pre>
 *   fresh RW private THP       0x00e8000000200f41  V|USR|SH|AF|nG|DBM|PXN|UXN|DTY (RDONLY clear)
 *   after fork, parent         0x00e0000000200fc1  DBM=0, RDONLY=1, DTY kept, AF kept
 *   after fork, child          0x00e0000000200bc1  as the parent, AF=0 (pmd_mkold)
 * </pre>
 */
public final class Arm64Pmd
{
    /** {@code PMD_TYPE_SECT} = 0b01: a block (leaf) descriptor. */
    public static final long PMD_TYPE_SECT = Arm64Pte.PMD_TYPE_SECT;
    /** {@code PMD_TABLE_BIT}, bit 1: set in a table descriptor, clear in a block. */
    public static final long PMD_TABLE_BIT = Arm64Pte.TABLE_BIT;
    /** PFNs per PMD leaf ({@code HPAGE_PMD_NR}). */
    public static final int HPAGE_PMD_NR = 512;

    private Arm64Pmd()
    {
    }

    /**
     * {@code folio_mk_pmd(folio, prot)}: {@code pmd_mkhuge(pfn_pmd(pfn, prot))}, i.e. the PTE word with the
     * table bit cleared.
     *
     * @throws IllegalArgumentException if {@code pfn} is not 512-aligned or does not fit the output address
     */
    public static long folioMkPmd(final long pfn, final long prot)
    {
        if ((pfn & (HPAGE_PMD_NR - 1)) != 0 || (pfn & ~Arm64Pte.MAX_PFN) != 0)
        {
            throw new IllegalArgumentException("pfn 0x" + Long.toHexString(pfn) + " cannot head a PMD leaf: it must be"
                + " 512-aligned and fit 38 bits");
        }
        return ((pfn << Arm64Pte.PAGE_SHIFT) | (prot & ~Arm64Pte.ADDR_MASK)) & ~PMD_TABLE_BIT;
    }

    /** {@code pmd_trans_huge}: non-zero, present, and the table bit clear. */
    public static boolean pmdTransHuge(final long pmd)
    {
        return pmd != 0 && pmdPresent(pmd) && (pmd & PMD_TABLE_BIT) == 0;
    }

    /** {@code pmd_present}: VALID, or PTE_PRESENT_INVALID with VALID clear. */
    public static boolean pmdPresent(final long pmd)
    {
        return Arm64Pte.ptePresent(pmd);
    }

    /** {@code pmd_pfn}: the output address shifted down. */
    public static long pmdPfn(final long pmd)
    {
        return (pmd & Arm64Pte.ADDR_MASK) >>> Arm64Pte.PAGE_SHIFT;
    }

    public static boolean pmdWrite(final long pmd) { return Arm64Pte.pteWrite(pmd); }
    /** {@code pmd_dirty}: software DIRTY, or hardware dirty (DBM and not RDONLY). */
    public static boolean pmdDirty(final long pmd) { return Arm64Pte.pteDirty(pmd); }
    public static boolean pmdYoung(final long pmd) { return Arm64Pte.pteYoung(pmd); }
    /** arm64 has no soft-dirty: always false. */
    public static boolean pmdSoftDirty(final long pmd) { return false; }
    public static boolean pmdUffdWp(final long pmd) { return Arm64Pte.pteUffdWp(pmd); }
    public static boolean pmdSpecial(final long pmd) { return Arm64Pte.pteSpecial(pmd); }
    /** {@code pmd_wrprotect}: hardware dirt into software DIRTY, clear DBM, set RDONLY. */
    public static long pmdWrprotect(final long pmd) { return Arm64Pte.pteWrprotect(pmd); }
    /** {@code pmd_mkwrite}: set DBM; clear RDONLY if software DIRTY. */
    public static long pmdMkwrite(final long pmd) { return Arm64Pte.pteMkwrite(pmd); }
    public static long pmdMkold(final long pmd) { return Arm64Pte.pteMkold(pmd); }
    public static long pmdMkyoung(final long pmd) { return Arm64Pte.pteMkyoung(pmd); }
    /** {@code pmd_mkdirty}: set software DIRTY; clear RDONLY if DBM. */
    public static long pmdMkdirty(final long pmd) { return Arm64Pte.pteMkdirty(pmd); }
    /** {@code pmd_mkclean}: clear software DIRTY, set RDONLY. */
    public static long pmdMkclean(final long pmd) { return Arm64Pte.pteMkclean(pmd); }
    /** No soft-dirty on arm64: identity. */
    public static long pmdMksoftDirty(final long pmd) { return pmd; }
    /** No soft-dirty on arm64: identity. */
    public static long pmdClearSoftDirty(final long pmd) { return pmd; }
    public static long pmdClearUffdWp(final long pmd) { return Arm64Pte.pteClearUffdWp(pmd); }

}
