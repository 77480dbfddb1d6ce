package io.forksim.pte;

/**
 * Bit-exact arm64 level-3 descriptors (4 KiB granule, 64-bit descriptors: no
 * {@code CONFIG_ARM64_D128}, no LPA2, 48-bit physical addresses) the way Linux reads and writes
 * them, with the 6.10+ swap layout. Every helper has the name of a kernel helper in camelCase,
 * takes the 64-bit word and returns a new word. Sources: {@code arch/arm64/include/asm/pgtable.h},
 * {@code pgtable-hwdef.h}, {@code pgtable-prot.h}, {@code pgalloc.h}, {@code memory.h},
 * {@code arch/arm64/mm/mmap.c}, {@code include/linux/swap.h}.
 *
 * <p>Present leaf PTE ({@code V}=1, or {@code V}=0 with {@code nG}=1 for PROT_NONE). Bracketed
 * numbers are bit positions in the 64-bit word:
 * <pre>
 *   63  62  61  60  59  58  57  56  55  54  53  52  51  50  49  48
 * +---+-----------+---+---+---+---+---+---+---+---+---+---+-------+
 * | sw|  POIndex  | - | UW| - | SP|DTY|UXN|PXN|CON|DBM| GP|   OA  |
 * +---+-----------+---+---+---+---+---+---+---+---+---+---+-------+
 *   47  46  45  44  43  42  41  40  39  38  37  36  35  34  33  32
 * +---------------------------------------------------------------+
 * |                           OA[47:32]                           |
 * +---------------------------------------------------------------+
 *   31  30  29  28  27  26  25  24  23  22  21  20  19  18  17  16
 * +---------------------------------------------------------------+
 * |                           OA[31:16]                           |
 * +---------------------------------------------------------------+
 *   15  14  13  12  11  10   9   8   7   6   5   4   3   2   1   0
 * +---------------+---+---+-------+---+---+---+-----------+---+---+
 * |   OA[15:12]   | nG| AF|   SH  | RO|USR| NS|  AttrIdx  | T | V |
 * +---------------+---+---+-------+---+---+---+-----------+---+---+
 *
 *  V       bit  0   {@link #VALID}            PTE_VALID
 *  T       bit  1   {@link #TABLE_BIT}        page (level 3) / table (upper levels) bit;
 *                                             PTE_TYPE_PAGE = 0b11
 *  AttrIdx 2..4     {@link #ATTRINDX_MASK}    PTE_ATTRINDX_MASK, MAIR index (MT_NORMAL = 0, ...)
 *  NS      bit  5   {@link #NS}               architectural non-secure bit (no kernel PTE macro)
 *  USR     bit  6   {@link #USER}             PTE_USER   (AP[1])
 *  RO      bit  7   {@link #RDONLY}           PTE_RDONLY (AP[2]); also the "not dirty" half of DBM
 *  SH      8..9     {@link #SHARED}           PTE_SHARED = 0b11, inner shareable
 *  AF      bit 10   {@link #AF}               PTE_AF, access flag (young)
 *  nG      bit 11   {@link #NG}               PTE_NG; with V=0 it is
 *                   {@link #PRESENT_INVALID}  PTE_PRESENT_INVALID (PROT_NONE, invalidated PMDs)
 *  OA      12..49   {@link #ADDR_MASK}        PTE_ADDR_LOW, output address = PFN &lt;&lt; 12
 *  GP      bit 50   {@link #GP}               PTE_GP, BTI guarded
 *  DBM     bit 51   {@link #DBM}              PTE_DBM = {@link #WRITE} PTE_WRITE (software writable)
 *  CON     bit 52   {@link #CONT}             PTE_CONT, contiguous hint over 16 entries
 *  PXN     bit 53   {@link #PXN}              PTE_PXN
 *  UXN     bit 54   {@link #UXN}              PTE_UXN
 *  DTY     bit 55   {@link #DIRTY}            PTE_DIRTY (software dirty)
 *  SP      bit 56   {@link #SPECIAL}          PTE_SPECIAL
 *  -       bit 57   (was PTE_DEVMAP, removed)
 *  UW      bit 58   {@link #UFFD_WP}          PTE_UFFD_WP
 *  -       bit 59   unused
 *  POIndex 60..62   {@link #PO_IDX_MASK}      PTE_PO_IDX_MASK, permission overlay index
 *  sw      bit 63   part of {@link #SWBITS_MASK} (PTE_SWBITS_MASK = bit 63 | bits 55..58)
 * </pre>
 *
 * <p>Swap PTE (6.10+ layout; migration, device and marker entries use the same format with the
 * reserved types at the top of the type space):
 * <pre>
 *   63  62  61  60  59  58  57  56  55  54  53  52  51  50  49  48
 * +-------+-------------------------------------------------------+
 * |   0   |                     OFFSET[61:48]                     |
 * +-------+-------------------------------------------------------+
 *   47  46  45  44  43  42  41  40  39  38  37  36  35  34  33  32
 * +---------------------------------------------------------------+
 * |                         OFFSET[47:32]                         |
 * +---------------------------------------------------------------+
 *   31  30  29  28  27  26  25  24  23  22  21  20  19  18  17  16
 * +---------------------------------------------------------------+
 * |                         OFFSET[31:16]                         |
 * +---------------------------------------------------------------+
 *   15  14  13  12  11  10   9   8   7   6   5   4   3   2   1   0
 * +---------------+---+-------------------+-------+---+---+-------+
 * | OFFSET[15:12] | 0 |        TYPE       |   0   | UW| EX|   0   |
 * +---------------+---+-------------------+-------+---+---+-------+
 *
 *  0       bits 0..1  must be 0 (not valid, not a table)
 *  EX      bit  2     {@link #SWP_EXCLUSIVE}  PTE_SWP_EXCLUSIVE, PG_anon_exclusive
 *  UW      bit  3     {@link #SWP_UFFD_WP}    PTE_SWP_UFFD_WP
 *  TYPE    6..10      __SWP_TYPE_SHIFT = 6, __SWP_TYPE_BITS = 5
 *  0       bit 11     must be 0 (PTE_PRESENT_INVALID)
 *  OFFSET  12..61     __SWP_OFFSET_SHIFT = 12, __SWP_OFFSET_BITS = 50, not inverted
 * </pre>
 * (Up to 6.9 the layout was type in bits 3..7, offset in bits 8..57, PROT_NONE in bit 58.)
 *
 * <p>Configuration modelled: {@code CONFIG_HAVE_ARCH_USERFAULTFD_WP}, no soft-dirty (arm64 has
 * none), {@code arm64_use_ng_mappings} (user PTEs are nG), no FEAT_EPAN (execute-only mappings
 * read as {@code PAGE_READONLY_EXEC}), no BTI/MTE/POE VMA flags. All helpers are static,
 * allocation-free and small enough for the JIT to inline; only the codecs branch, and only to
 * reject bad input.
 */
public final class Arm64Pte
{

    private Arm64Pte()
    {
    }

    // ---------------------------------------------------------------------------------------
    // Descriptor bits (pgtable-hwdef.h, pgtable-prot.h; !D128)
    // ---------------------------------------------------------------------------------------

    /** {@code PTE_VALID}, bit 0. */
    public static final long VALID = 1L;
    /** Bit 1: 1 for a level-3 page descriptor (and for a table descriptor at upper levels). */
    public static final long TABLE_BIT = 1L << 1;
    /** {@code PTE_TYPE_PAGE} = 0b11. */
    public static final long PTE_TYPE_PAGE = VALID | TABLE_BIT;
    /** {@code PTE_TYPE_MASK} = 0b11. */
    public static final long PTE_TYPE_MASK = VALID | TABLE_BIT;
    /** {@code PTE_ATTRINDX_MASK}, bits 2..4. */
    public static final long ATTRINDX_MASK = 7L << 2;
    /** NS, bit 5 (architectural; the kernel defines no PTE macro for it). */
    public static final long NS = 1L << 5;
    /** {@code PTE_USER} (AP[1]), bit 6. */
    public static final long USER = 1L << 6;
    /** {@code PTE_RDONLY} (AP[2]), bit 7. */
    public static final long RDONLY = 1L << 7;
    /** {@code PTE_SHARED}, SH[1:0] = 0b11 in bits 8..9 (inner shareable). */
    public static final long SHARED = 3L << 8;
    /** {@code PTE_AF}, bit 10. */
    public static final long AF = 1L << 10;
    /** {@code PTE_NG}, bit 11. */
    public static final long NG = 1L << 11;
    /** {@code PTE_PRESENT_INVALID} = {@code PTE_NG}, meaningful only when VALID is clear. */
    public static final long PRESENT_INVALID = NG;
    /** {@code PTE_ADDR_LOW}: output address bits 12..49. */
    public static final long ADDR_MASK = 0x0003_FFFF_FFFF_F000L;
    /** {@code PTE_GP}, bit 50. */
    public static final long GP = 1L << 50;
    /** {@code PTE_DBM}, bit 51: hardware Dirty Bit Modifier. */
    public static final long DBM = 1L << 51;
    /** {@code PTE_WRITE} = {@code PTE_DBM}: the software writable bit. */
    public static final long WRITE = DBM;
    /** {@code PTE_CONT}, bit 52. */
    public static final long CONT = 1L << 52;
    /** {@code PTE_PXN}, bit 53. */
    public static final long PXN = 1L << 53;
    /** {@code PTE_UXN}, bit 54. */
    public static final long UXN = 1L << 54;
    /** {@code PTE_DIRTY} (software dirty), bit 55. */
    public static final long DIRTY = 1L << 55;
    /** {@code PTE_SPECIAL}, bit 56. */
    public static final long SPECIAL = 1L << 56;
    /** {@code PTE_UFFD_WP}, bit 58. */
    public static final long UFFD_WP = 1L << 58;
    /** {@code PTE_PO_IDX_MASK}, bits 60..62. */
    public static final long PO_IDX_MASK = 7L << 60;
    /** {@code PTE_SWBITS_MASK} = bit 63 | bits 55..58: changes here need no TLB flush. */
    public static final long SWBITS_MASK = (1L << 63) | (0xFL << 55);

    /** {@code PAGE_SHIFT}. */
    public static final int PAGE_SHIFT = 12;
    /** Number of PFN bits the output-address field holds (bits 12..49). */
    public static final int PFN_BITS = 38;
    /** Largest PFN a PTE can hold. */
    public static final long MAX_PFN = (1L << PFN_BITS) - 1;

    /** {@code MT_NORMAL}: MAIR index of normal write-back memory (index 0 by design). */
    public static final int MT_NORMAL = 0;
    /** {@code MT_NORMAL_TAGGED}. */
    public static final int MT_NORMAL_TAGGED = 1;
    /** {@code MT_NORMAL_NC}. */
    public static final int MT_NORMAL_NC = 2;
    /** {@code MT_DEVICE_nGnRnE}. */
    public static final int MT_DEVICE_NGNRNE = 3;
    /** {@code MT_DEVICE_nGnRE}. */
    public static final int MT_DEVICE_NGNRE = 4;

    private static final int BIT_RDONLY = 7;
    private static final int BIT_WRITE = 51;
    private static final int BIT_DIRTY = 55;

    /**
     * Mirrors {@code PTE_ATTRINDX(t)}: a MAIR index placed in bits 2..4.
     *
     * @throws IllegalArgumentException if {@code memoryType} is outside 0..7
     */
    public static long attrIndx(final int memoryType)
    {
        if ((memoryType & ~7) != 0)
        {
            throw new IllegalArgumentException("memory type out of range: memoryType=" + memoryType
                + " (must be 0..7)");
        }
        return (long) memoryType << 2;
    }

    // ---------------------------------------------------------------------------------------
    // Contiguous ranges (pgtable-hwdef.h; CONFIG_ARM64_CONT_PTE_SHIFT = 4 for 4 KiB pages)
    // ---------------------------------------------------------------------------------------

    /** {@code CONT_PTE_SHIFT} = 4 + {@code PAGE_SHIFT}. */
    public static final int CONT_PTE_SHIFT = 4 + PAGE_SHIFT;
    /** {@code CONT_PTES}: entries in one contiguous block. */
    public static final int CONT_PTES = 1 << (CONT_PTE_SHIFT - PAGE_SHIFT);
    /** {@code CONT_PTE_SIZE}: 64 KiB. */
    public static final long CONT_PTE_SIZE = (long) CONT_PTES << PAGE_SHIFT;
    /** {@code CONT_PTE_MASK} = ~(64 KiB - 1). */
    public static final long CONT_PTE_MASK = ~(CONT_PTE_SIZE - 1);

    // ---------------------------------------------------------------------------------------
    // Protections (pgtable-prot.h) and protection_map (arch/arm64/mm/mmap.c)
    // ---------------------------------------------------------------------------------------

    /** {@code _PROT_DEFAULT} = PTE_TYPE_PAGE | AF | SHARED: new PTEs are young. */
    public static final long PROT_DEFAULT_BITS = PTE_TYPE_PAGE | AF | SHARED;
    /** {@code _PAGE_DEFAULT} = {@code _PROT_DEFAULT} | AttrIndx(MT_NORMAL) (0x703). */
    public static final long PAGE_DEFAULT = PROT_DEFAULT_BITS | ((long) MT_NORMAL << 2);

    /**
     * {@code PAGE_NONE} = (_PAGE_DEFAULT &amp; ~VALID) | PRESENT_INVALID | RDONLY | NG | PXN | UXN:
     * not valid to the MMU but {@code pte_present}, no USER.
     */
    public static final long PAGE_NONE =
        (PAGE_DEFAULT & ~VALID) | PRESENT_INVALID | RDONLY | NG | PXN | UXN;
    /** {@code PAGE_SHARED}: writable and clean (RDONLY | WRITE), never executable. */
    public static final long PAGE_SHARED =
        PAGE_DEFAULT | USER | RDONLY | NG | PXN | UXN | WRITE;
    /** {@code PAGE_SHARED_EXEC}. */
    public static final long PAGE_SHARED_EXEC = PAGE_DEFAULT | USER | RDONLY | NG | PXN | WRITE;
    /** {@code PAGE_READONLY}; also what private writable VMAs use. */
    public static final long PAGE_READONLY = PAGE_DEFAULT | USER | RDONLY | NG | PXN | UXN;
    /** {@code PAGE_READONLY_EXEC}. */
    public static final long PAGE_READONLY_EXEC = PAGE_DEFAULT | USER | RDONLY | NG | PXN;
    /** {@code PAGE_EXECONLY} (used by protection_map only with FEAT_EPAN). */
    public static final long PAGE_EXECONLY = PAGE_DEFAULT | RDONLY | NG | PXN;

    /**
     * The kernel's {@code protection_map} without FEAT_EPAN, indexed by {@code VM_READ=1 |
     * VM_WRITE=2 | VM_EXEC=4 | VM_SHARED=8}. Private writable entries are read-only.
     */
    private static final long[] PROTECTION_MAP = {
        PAGE_NONE, PAGE_READONLY, PAGE_READONLY, PAGE_READONLY,
        PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC,
        PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED,
        PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
    };

    /**
     * Mirrors {@code vm_get_page_prot} for a VMA without BTI, MTE or protection keys, on a CPU
     * without FEAT_EPAN.
     */
    public static long vmGetPageProt(final boolean read, final boolean write, final boolean exec, final boolean shared)
    {
        int idx = (read ? 1 : 0) | (write ? 2 : 0) | (exec ? 4 : 0) | (shared ? 8 : 0);
        return PROTECTION_MAP[idx];
    }

    // ---------------------------------------------------------------------------------------
    // Swap entry format (pgtable.h 6.10+, pgtable-prot.h, include/linux/swap.h)
    // ---------------------------------------------------------------------------------------

    /** {@code PTE_SWP_EXCLUSIVE}, bit 2 (swap PTEs only). */
    public static final long SWP_EXCLUSIVE = 1L << 2;
    /** {@code PTE_SWP_UFFD_WP}, bit 3 (swap PTEs only). */
    public static final long SWP_UFFD_WP = 1L << 3;
    /** {@code __SWP_TYPE_SHIFT}. */
    public static final int SWP_TYPE_SHIFT = 6;
    /** {@code __SWP_TYPE_BITS}. */
    public static final int SWP_TYPE_BITS = 5;
    /** {@code __SWP_OFFSET_SHIFT}. */
    public static final int SWP_OFFSET_SHIFT = 12;
    /** {@code __SWP_OFFSET_BITS}. */
    public static final int SWP_OFFSET_BITS = 50;
    /** {@code __SWP_OFFSET_MASK}: the largest encodable swap offset. */
    public static final long MAX_SWP_OFFSET = (1L << SWP_OFFSET_BITS) - 1;
    /** {@code __SWP_TYPE_MASK}: the largest encodable type. */
    public static final int MAX_SWP_TYPE = (1 << SWP_TYPE_BITS) - 1;

    /** {@code SWP_HWPOISON}: first reserved type (CONFIG_MEMORY_FAILURE). */
    public static final int SWP_HWPOISON = 24;
    /** {@code SWP_MIGRATION_READ} (CONFIG_MIGRATION). */
    public static final int SWP_MIGRATION_READ = 25;
    /** {@code SWP_MIGRATION_READ_EXCLUSIVE}. */
    public static final int SWP_MIGRATION_READ_EXCLUSIVE = 26;
    /** {@code SWP_MIGRATION_WRITE}. */
    public static final int SWP_MIGRATION_WRITE = 27;
    /** {@code SWP_DEVICE_WRITE} (CONFIG_DEVICE_PRIVATE). */
    public static final int SWP_DEVICE_WRITE = 28;
    /** {@code SWP_DEVICE_READ}. */
    public static final int SWP_DEVICE_READ = 29;
    /** {@code SWP_DEVICE_EXCLUSIVE}. */
    public static final int SWP_DEVICE_EXCLUSIVE = 30;
    /** {@code SWP_PTE_MARKER}. */
    public static final int SWP_PTE_MARKER = 31;
    /**
     * {@code MAX_SWAPFILES} = 32 - 1 hwpoison - 3 migration - 3 device - 1 marker = 24 (the same
     * generic value as {@link X86Pte#MAX_SWAPFILES}).
     */
    public static final int MAX_SWAPFILES = SWP_HWPOISON;

    // ---------------------------------------------------------------------------------------
    // Upper-level table descriptors (pgtable-hwdef.h, pgalloc.h)
    // ---------------------------------------------------------------------------------------

    /** {@code PMD_TYPE_TABLE} = 0b11 (same value at PUD/P4D/PGD level). */
    public static final long PMD_TYPE_TABLE = 3L;
    /** {@code PMD_TYPE_MASK} = 0b11. */
    public static final long PMD_TYPE_MASK = 3L;
    /** {@code PMD_TYPE_SECT} = 0b01: a block (PMD leaf) descriptor, see {@link Arm64Pmd}. */
    public static final long PMD_TYPE_SECT = 1L;
    /** {@code PMD_TABLE_AF}, bit 10 (ignored without FEAT_HAFT). */
    public static final long PMD_TABLE_AF = 1L << 10;
    /** {@code PMD_TABLE_PXN}, bit 59: no privileged execution below this table. */
    public static final long PMD_TABLE_PXN = 1L << 59;
    /** {@code PMD_TABLE_UXN}, bit 60. */
    public static final long PMD_TABLE_UXN = 1L << 60;

    /**
     * A user table descriptor as {@code pmd_populate}/{@code pud_populate} write it for a non-init
     * mm: the next-level table's address | {@code PMD_TYPE_TABLE | PMD_TABLE_AF | PMD_TABLE_PXN}.
     *
     * @throws IllegalArgumentException if {@code tablePfn} does not fit the 38-bit address field
     */
    public static long mkTableEntry(final long tablePfn)
    {
        return (checkPfn(tablePfn) << PAGE_SHIFT) | PMD_TYPE_TABLE | PMD_TABLE_AF | PMD_TABLE_PXN;
    }

    /** The PFN of the table a table descriptor points to ({@code __pmd_to_phys >> PAGE_SHIFT}). */
    public static long tableEntryPfn(final long entry) { return (entry & ADDR_MASK) >>> PAGE_SHIFT; }

    /** Mirrors {@code pmd_table}: a valid table descriptor (type bits 0b11). */
    public static boolean tableEntryPresent(final long entry) { return (entry & PMD_TYPE_MASK) == PMD_TYPE_TABLE; }

    // ---------------------------------------------------------------------------------------
    // Tests on present PTEs (undefined for swap PTEs, as in the kernel)
    // ---------------------------------------------------------------------------------------

    /**
     * Mirrors {@code pte_present}: {@code pte_valid || pte_present_invalid}. Folded to one test:
     * with VALID set the answer is yes whatever nG says, and with VALID clear nG decides.
     */
    public static boolean ptePresent(final long pte) { return (pte & (VALID | PRESENT_INVALID)) != 0; }

    /** Mirrors {@code pte_valid}. */
    public static boolean pteValid(final long pte) { return (pte & VALID) != 0; }

    /** Mirrors {@code pte_present_invalid}: nG set with VALID clear. */
    public static boolean ptePresentInvalid(final long pte)
    {
        return (pte & (VALID | PRESENT_INVALID)) == PRESENT_INVALID;
    }

    /** Mirrors {@code pte_protnone}: present-invalid, no USER, UXN set. */
    public static boolean pteProtnone(final long pte)
    {
        return (pte & (VALID | PRESENT_INVALID | USER | UXN)) == (PRESENT_INVALID | UXN);
    }

    /** Mirrors {@code pte_none}: the zero word. */
    public static boolean pteNone(final long pte) { return pte == 0; }

    /** Mirrors {@code pte_write}: the software WRITE (= DBM) bit. */
    public static boolean pteWrite(final long pte) { return (pte & WRITE) != 0; }

    /** Mirrors {@code pte_rdonly}. */
    public static boolean pteRdonly(final long pte) { return (pte & RDONLY) != 0; }

    /** Mirrors {@code pte_hw_dirty}: WRITE set and RDONLY clear (hardware DBM cleared RDONLY). */
    public static boolean pteHwDirty(final long pte) { return (pte & (WRITE | RDONLY)) == WRITE; }

    /** Mirrors {@code pte_sw_dirty}: the software DIRTY bit. */
    public static boolean pteSwDirty(final long pte) { return (pte & DIRTY) != 0; }

    /** Mirrors {@code pte_dirty}: software dirty or hardware dirty. */
    public static boolean pteDirty(final long pte) { return pteSwDirty(pte) | pteHwDirty(pte); }

    /** Mirrors {@code pte_young}: the access flag. */
    public static boolean pteYoung(final long pte) { return (pte & AF) != 0; }

    /** Mirrors {@code pte_special}. */
    public static boolean pteSpecial(final long pte) { return (pte & SPECIAL) != 0; }

    /** Mirrors {@code pte_cont}. */
    public static boolean pteCont(final long pte) { return (pte & CONT) != 0; }

    /** Mirrors {@code pte_valid_cont}: VALID and CONT. */
    public static boolean pteValidCont(final long pte) { return (pte & (VALID | CONT)) == (VALID | CONT); }

    /** Mirrors {@code pte_uffd_wp}. */
    public static boolean pteUffdWp(final long pte) { return (pte & UFFD_WP) != 0; }

    /** Mirrors the generic {@code pte_soft_dirty} stub: arm64 has no soft-dirty, always false. */
    public static boolean pteSoftDirty(final long pte) { return false; }

    /** Mirrors {@code pte_same}: word equality. */
    public static boolean pteSame(final long a, final long b) { return a == b; }

    // ---------------------------------------------------------------------------------------
    // Modifiers on present PTEs
    // ---------------------------------------------------------------------------------------

    /** Mirrors {@code pte_mkspecial}. */
    public static long pteMkspecial(final long pte) { return pte | SPECIAL; }

    /** Mirrors {@code pte_mkcont}. */
    public static long pteMkcont(final long pte) { return pte | CONT; }

    /** Mirrors {@code pte_mknoncont}. */
    public static long pteMknoncont(final long pte) { return pte & ~CONT; }

    /** Mirrors {@code pte_mkuffd_wp}: set UFFD_WP, then write-protect. */
    public static long pteMkuffdWp(final long pte) { return pteWrprotect(pte | UFFD_WP); }

    /** Mirrors {@code pte_clear_uffd_wp}: clears the marker only. */
    public static long pteClearUffdWp(final long pte) { return pte & ~UFFD_WP; }

    /** Mirrors the generic {@code pte_mksoft_dirty} stub: no-op. */
    public static long pteMksoftDirty(final long pte) { return pte; }

    /** Mirrors the generic {@code pte_clear_soft_dirty} stub: no-op. */
    public static long pteClearSoftDirty(final long pte) { return pte; }

    /**
     * Mirrors {@code pte_mkwrite_novma}: set WRITE, and clear RDONLY if the PTE is software-dirty
     * (a dirty PTE made writable becomes hardware-dirty).
     */
    public static long pteMkwrite(final long pte)
    {
        long v = pte | WRITE;
        return v & ~(((v >>> BIT_DIRTY) & 1) << BIT_RDONLY);
    }

    /**
     * Mirrors {@code pte_wrprotect}: if hardware-dirty, keep that in the software DIRTY bit; then
     * clear WRITE and set RDONLY.
     */
    public static long pteWrprotect(final long pte)
    {
        long hwDirty = (pte >>> BIT_WRITE) & ~(pte >>> BIT_RDONLY) & 1;
        return ((pte | (hwDirty << BIT_DIRTY)) & ~WRITE) | RDONLY;
    }

    /** Mirrors {@code pte_mkold}: clear AF. */
    public static long pteMkold(final long pte) { return pte & ~AF; }

    /** Mirrors {@code pte_mkyoung}: set AF. */
    public static long pteMkyoung(final long pte) { return pte | AF; }

    /** Mirrors {@code pte_mkdirty}: set DIRTY, and clear RDONLY if WRITE is set. */
    public static long pteMkdirty(final long pte)
    {
        long v = pte | DIRTY;
        return v & ~(((v >>> BIT_WRITE) & 1) << BIT_RDONLY);
    }

    /** Mirrors {@code pte_mkclean}: clear DIRTY and set RDONLY. */
    public static long pteMkclean(final long pte) { return (pte & ~DIRTY) | RDONLY; }

    // ---------------------------------------------------------------------------------------
    // PFN and protection
    // ---------------------------------------------------------------------------------------

    /** Mirrors {@code pte_pfn}: output address bits 12..49 shifted down. */
    public static long ptePfn(final long pte) { return (pte & ADDR_MASK) >>> PAGE_SHIFT; }

    /** Mirrors {@code pte_pgprot}: every bit except the output address. */
    public static long ptePgprot(final long pte) { return pte & ~ADDR_MASK; }

    /**
     * Mirrors {@code pfn_pte}: {@code pfn << PAGE_SHIFT | prot}.
     *
     * @throws IllegalArgumentException if {@code pfn} does not fit 38 bits or {@code prot} has
     *                                  bits inside the output-address field
     */
    public static long pfnPte(final long pfn, final long prot)
    {
        checkPfn(pfn);
        if ((prot & ADDR_MASK) != 0)
        {
            throw protOverlapsPfn(prot);
        }
        return (pfn << PAGE_SHIFT) | prot;
    }

    /**
     * Mirrors {@code pte_advance_pfn}: {@code pfn_pte(pte_pfn(pte) + nr, pte_pgprot(pte))}.
     *
     * @throws IllegalArgumentException if the resulting PFN does not fit 38 bits
     */
    public static long pteAdvancePfn(final long pte, final long nr)
    {
        return (checkPfn(ptePfn(pte) + nr) << PAGE_SHIFT) | ptePgprot(pte);
    }

    // ---------------------------------------------------------------------------------------
    // Swap PTEs
    // ---------------------------------------------------------------------------------------

    /**
     * Mirrors {@code swp_entry_to_pte(swp_entry(type, offset))}: type in bits 6..10, offset in
     * bits 12..61, not inverted.
     *
     * @throws IllegalArgumentException if {@code type} is outside 0..31, {@code offset} does not
     *                                  fit 50 bits, or the pair would encode to the none PTE
     *                                  (type 0, offset 0: the swap header slot, never allocated)
     */
    public static long swpEntryToPte(final int type, final long offset)
    {
        if ((type & ~MAX_SWP_TYPE) != 0)
        {
            throw swapTypeOutOfRange(type);
        }
        if ((offset & ~MAX_SWP_OFFSET) != 0)
        {
            throw swapOffsetOutOfRange(offset);
        }
        long pte = ((long) type << SWP_TYPE_SHIFT) | (offset << SWP_OFFSET_SHIFT);
        if (pte == 0)
        {
            throw swapEntryIsNone(type, offset);
        }
        return pte;
    }

    /** Mirrors {@code __swp_type}: bits 6..10. */
    public static int pteSwpType(final long pte) { return (int) (pte >>> SWP_TYPE_SHIFT) & MAX_SWP_TYPE; }

    /** Mirrors {@code __swp_offset}: bits 12..61. */
    public static long pteSwpOffset(final long pte) { return (pte >>> SWP_OFFSET_SHIFT) & MAX_SWP_OFFSET; }

    /** A swap-format entry (swap, migration, device, marker): neither none nor present. */
    public static boolean isSwapPte(final long pte) { return !pteNone(pte) && !ptePresent(pte); }

    /** Mirrors {@code pte_swp_exclusive}. */
    public static boolean pteSwpExclusive(final long pte) { return (pte & SWP_EXCLUSIVE) != 0; }

    /** Mirrors {@code pte_swp_mkexclusive}. */
    public static long pteSwpMkexclusive(final long pte) { return pte | SWP_EXCLUSIVE; }

    /** Mirrors {@code pte_swp_clear_exclusive}. */
    public static long pteSwpClearExclusive(final long pte) { return pte & ~SWP_EXCLUSIVE; }

    /** Mirrors {@code pte_swp_uffd_wp}. */
    public static boolean pteSwpUffdWp(final long pte) { return (pte & SWP_UFFD_WP) != 0; }

    /** Mirrors {@code pte_swp_mkuffd_wp}. */
    public static long pteSwpMkuffdWp(final long pte) { return pte | SWP_UFFD_WP; }

    /** Mirrors {@code pte_swp_clear_uffd_wp}. */
    public static long pteSwpClearUffdWp(final long pte) { return pte & ~SWP_UFFD_WP; }

    /** Mirrors the generic {@code pte_swp_soft_dirty} stub: always false on arm64. */
    public static boolean pteSwpSoftDirty(final long pte) { return false; }

    /** Mirrors the generic {@code pte_swp_mksoft_dirty} stub: no-op. */
    public static long pteSwpMksoftDirty(final long pte) { return pte; }

    /** Mirrors the generic {@code pte_swp_clear_soft_dirty} stub: no-op. */
    public static long pteSwpClearSoftDirty(final long pte) { return pte; }

    // ---------------------------------------------------------------------------------------
    // Validation (kept out of line so the callers stay small enough to inline)
    // ---------------------------------------------------------------------------------------

    private static long checkPfn(final long pfn)
    {
        if ((pfn & ~MAX_PFN) != 0)
        {
            throw pfnOutOfRange(pfn);
        }
        return pfn;
    }

    private static IllegalArgumentException pfnOutOfRange(final long pfn)
    {
        return new IllegalArgumentException("pfn out of range: pfn=" + pfn + " (0x"
            + Long.toHexString(pfn) + "), must fit " + PFN_BITS + " bits");
    }

    private static IllegalArgumentException protOverlapsPfn(final long prot)
    {
        return new IllegalArgumentException("prot has bits in the PFN field: prot=0x"
            + Long.toHexString(prot));
    }

    private static IllegalArgumentException swapTypeOutOfRange(final int type)
    {
        return new IllegalArgumentException("swap type out of range: type=" + type
            + " (must be 0.." + MAX_SWP_TYPE + ")");
    }

    private static IllegalArgumentException swapEntryIsNone(final int type, final long offset)
    {
        return new IllegalArgumentException("swap entry encodes to the none PTE: type=" + type
            + " offset=" + offset);
    }

    private static IllegalArgumentException swapOffsetOutOfRange(final long offset)
    {
        return new IllegalArgumentException("swap offset out of range: offset=" + offset
            + " (must fit " + SWP_OFFSET_BITS + " bits)");
    }
}
