package io.forksim.pte;

/**
 * Bit-exact x86-64 page-table entries (4 KiB pages, 4-level paging, 52-bit physical addresses),
 * the way Linux reads and writes them. Every helper has the name of a kernel helper in camelCase
 * ({@code pte_mkdirty} becomes {@link #pteMkdirty}), takes the 64-bit word and returns a new word.
 * Sources: {@code arch/x86/include/asm/pgtable_types.h}, {@code pgtable.h}, {@code pgtable_64.h},
 * {@code pgtable_64_types.h}, {@code pgtable-invert.h}, {@code arch/x86/mm/pgprot.c},
 * {@code arch/x86/mm/pgtable.c}, {@code include/linux/swap.h}.
 *
 * <p>Present leaf PTE ({@code P}=1, or {@code P}=0 with {@code G}=1 for PROT_NONE). Bracketed
 * numbers are bit positions in the 64-bit word:
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
 * +---------------------------------------------------------------+
 * |                           PFN[31:16]                          |
 * +---------------------------------------------------------------+
 *   15  14  13  12  11  10   9   8   7   6   5   4   3   2   1   0
 * +---------------+---+---+---+---+---+---+---+---+---+---+---+---+
 * |   PFN[15:12]  | SD| UW| SP| G |PAT| D | A |PCD|PWT| US| RW| P |
 * +---------------+---+---+---+---+---+---+---+---+---+---+---+---+
 *
 *  P    bit  0  {@link #PRESENT}      _PAGE_PRESENT     hardware valid
 *  RW   bit  1  {@link #RW}           _PAGE_RW          writable
 *  US   bit  2  {@link #USER}         _PAGE_USER        user accessible
 *  PWT  bit  3  {@link #PWT}          _PAGE_PWT         write-through
 *  PCD  bit  4  {@link #PCD}          _PAGE_PCD         cache disable
 *  A    bit  5  {@link #ACCESSED}     _PAGE_ACCESSED    young
 *  D    bit  6  {@link #DIRTY}        _PAGE_DIRTY       hardware dirty
 *  PAT  bit  7  {@link #PAT}          _PAGE_PAT         (_PAGE_PSE on PMD/PUD leaves)
 *  G    bit  8  {@link #GLOBAL}       _PAGE_GLOBAL      never on user PTEs; when P=0 it is
 *               {@link #PROTNONE}     _PAGE_PROTNONE    the PROT_NONE marker
 *  SP   bit  9  {@link #SPECIAL}      _PAGE_SPECIAL     (SOFTW1) no struct page to refcount
 *  UW   bit 10  {@link #UFFD_WP}      _PAGE_UFFD_WP     (SOFTW2) userfaultfd write-protect
 *  SD   bit 11  {@link #SOFT_DIRTY}   _PAGE_SOFT_DIRTY  (SOFTW3) soft-dirty tracking
 *  PFN  12..51  {@link #PFN_MASK}     PTE_PFN_MASK      page frame number, stored inverted
 *                                                       when P=0 and the word is not zero
 *  SW4  bit 57  {@link #SOFTW4}       _PAGE_SOFTW4      unused by the helpers here
 *  SVD  bit 58  {@link #SAVED_DIRTY}  _PAGE_SAVED_DIRTY (SOFTW5) dirty while RW=0
 *  PKEY 59..62  {@link #PKEY_MASK}    _PAGE_PKEY_BIT0-3 protection key
 *  NX   bit 63  {@link #NX}           _PAGE_NX          no execute
 * </pre>
 *
 * <p>Swap PTE ({@code P}=0, {@code PROTNONE}=0, not zero); migration, device and marker entries
 * use the same format with the reserved types at the top of the type space:
 * <pre>
 *   63  62  61  60  59  58  57  56  55  54  53  52  51  50  49  48
 * +-------------------+-------------------------------------------+
 * |        TYPE       |               ~OFFSET[58:48]              |
 * +-------------------+-------------------------------------------+
 *   47  46  45  44  43  42  41  40  39  38  37  36  35  34  33  32
 * +---------------------------------------------------------------+
 * |                         ~OFFSET[47:32]                        |
 * +---------------------------------------------------------------+
 *   31  30  29  28  27  26  25  24  23  22  21  20  19  18  17  16
 * +---------------------------------------------------------------+
 * |                         ~OFFSET[31:16]                        |
 * +---------------------------------------------------------------+
 *   15  14  13  12  11  10   9   8   7   6   5   4   3   2   1   0
 * +---------------------------+---+---+-----------+---+---+---+---+
 * |       ~OFFSET[15:9]       | 0 | 0 |  (unused) | EX| UW| SD| 0 |
 * +---------------------------+---+---+-----------+---+---+---+---+
 *
 *  0       bit  0   P must be 0
 *  SD      bit  1   {@link #SWP_SOFT_DIRTY}  _PAGE_SWP_SOFT_DIRTY (= _PAGE_RW)
 *  UW      bit  2   {@link #SWP_UFFD_WP}     _PAGE_SWP_UFFD_WP    (= _PAGE_USER)
 *  EX      bit  3   {@link #SWP_EXCLUSIVE}   _PAGE_SWP_EXCLUSIVE  (= _PAGE_PWT), PG_anon_exclusive
 *  unused  4..6     A and D are avoided: an erratum can set them on non-present entries
 *  0       bit  7   must be 0 (pmd_present also tests PSE)
 *  0       bit  8   must be 0 (PROTNONE)
 *  ~OFFSET 9..58    swap offset, 50 bits, bitwise inverted (__swp_entry / __swp_offset)
 *  TYPE    59..63   swap type, 5 bits (__swp_type)
 * </pre>
 *
 * <p>Configuration modelled: {@code CONFIG_X86_64}, {@code CONFIG_MEM_SOFT_DIRTY},
 * {@code CONFIG_HAVE_ARCH_USERFAULTFD_WP}, NX supported, no memory encryption bit, user shadow
 * stacks off (so {@code pte_write} is just RW). All helpers are static, allocation-free and
 * small enough for the JIT to inline; only the codecs branch, and only to reject bad input.
 */
public final class X86Pte
{

    private X86Pte()
    {
    }

    // ---------------------------------------------------------------------------------------
    // Bits of a present PTE (pgtable_types.h)
    // ---------------------------------------------------------------------------------------

    /** {@code _PAGE_PRESENT}, bit 0. */
    public static final long PRESENT = 1L;
    /** {@code _PAGE_RW}, bit 1. */
    public static final long RW = 1L << 1;
    /** {@code _PAGE_USER}, bit 2. */
    public static final long USER = 1L << 2;
    /** {@code _PAGE_PWT}, bit 3. */
    public static final long PWT = 1L << 3;
    /** {@code _PAGE_PCD}, bit 4. */
    public static final long PCD = 1L << 4;
    /** {@code _PAGE_ACCESSED}, bit 5. */
    public static final long ACCESSED = 1L << 5;
    /** {@code _PAGE_DIRTY}, bit 6. */
    public static final long DIRTY = 1L << 6;
    /** {@code _PAGE_PAT}, bit 7 (on a 4 KiB PTE; the same bit is {@code _PAGE_PSE} in PMD/PUD). */
    public static final long PAT = 1L << 7;
    /** {@code _PAGE_GLOBAL}, bit 8. */
    public static final long GLOBAL = 1L << 8;
    /** {@code _PAGE_PROTNONE}: the global bit reinterpreted when {@link #PRESENT} is clear. */
    public static final long PROTNONE = GLOBAL;
    /** {@code _PAGE_SPECIAL} (SOFTW1), bit 9. */
    public static final long SPECIAL = 1L << 9;
    /** {@code _PAGE_UFFD_WP} (SOFTW2), bit 10. */
    public static final long UFFD_WP = 1L << 10;
    /** {@code _PAGE_SOFT_DIRTY} (SOFTW3), bit 11. */
    public static final long SOFT_DIRTY = 1L << 11;
    /** {@code _PAGE_SOFTW4}, bit 57. */
    public static final long SOFTW4 = 1L << 57;
    /** {@code _PAGE_SAVED_DIRTY} (SOFTW5), bit 58: the dirty bit parked while RW is clear. */
    public static final long SAVED_DIRTY = 1L << 58;
    /** {@code _PAGE_PKEY_MASK}, bits 59..62. */
    public static final long PKEY_MASK = 0xFL << 59;
    /** {@code _PAGE_NX}, bit 63. */
    public static final long NX = 1L << 63;

    /** {@code PTE_PFN_MASK} = {@code PHYSICAL_PAGE_MASK} with 52 physical bits: bits 12..51. */
    public static final long PFN_MASK = 0x000F_FFFF_FFFF_F000L;
    /** {@code PTE_FLAGS_MASK}: everything but the PFN. */
    public static final long FLAGS_MASK = ~PFN_MASK;
    /** {@code PAGE_SHIFT} = {@code PFN_PTE_SHIFT}. */
    public static final int PAGE_SHIFT = 12;
    /** Number of PFN bits (52 physical address bits minus the page shift). */
    public static final int PFN_BITS = 40;
    /** Largest PFN a PTE can hold. */
    public static final long MAX_PFN = (1L << PFN_BITS) - 1;

    /** {@code _PAGE_DIRTY_BITS}: hardware dirty or saved dirty. */
    public static final long DIRTY_BITS = DIRTY | SAVED_DIRTY;
    /** {@code _PAGE_KNL_ERRATUM_MASK}: A and D, which {@code pte_none} ignores. */
    public static final long KNL_ERRATUM_MASK = DIRTY | ACCESSED;

    private static final int BIT_RW = 1;
    private static final int BIT_DIRTY = 6;
    private static final int BIT_SAVED_DIRTY = 58;

    // ---------------------------------------------------------------------------------------
    // Protections (pgtable_types.h) and protection_map (arch/x86/mm/pgprot.c)
    // ---------------------------------------------------------------------------------------

    /** {@code PAGE_NONE} = PROTNONE | A (0x120): not present, but {@code pte_present}. */
    public static final long PAGE_NONE = PROTNONE | ACCESSED;
    /** {@code PAGE_SHARED} = P | RW | US | A | NX. */
    public static final long PAGE_SHARED = PRESENT | RW | USER | ACCESSED | NX;
    /** {@code PAGE_SHARED_EXEC} = P | RW | US | A. */
    public static final long PAGE_SHARED_EXEC = PRESENT | RW | USER | ACCESSED;
    /** {@code PAGE_COPY_NOEXEC} = P | US | A | NX. */
    public static final long PAGE_COPY_NOEXEC = PRESENT | USER | ACCESSED | NX;
    /** {@code PAGE_COPY_EXEC} = P | US | A. */
    public static final long PAGE_COPY_EXEC = PRESENT | USER | ACCESSED;
    /** {@code PAGE_COPY} = {@code PAGE_COPY_NOEXEC}: private writable mappings start read-only. */
    public static final long PAGE_COPY = PAGE_COPY_NOEXEC;
    /** {@code PAGE_READONLY} = P | US | A | NX. */
    public static final long PAGE_READONLY = PRESENT | USER | ACCESSED | NX;
    /** {@code PAGE_READONLY_EXEC} = P | US | A. */
    public static final long PAGE_READONLY_EXEC = PRESENT | USER | ACCESSED;

    /** {@code _PAGE_TABLE} = P | RW | US | A | D: what a user PGD/P4D/PUD/PMD entry carries. */
    public static final long PAGE_TABLE = PRESENT | RW | USER | ACCESSED | DIRTY;

    /**
     * The kernel's {@code protection_map}, indexed by {@code VM_READ=1 | VM_WRITE=2 | VM_EXEC=4 |
     * VM_SHARED=8}. Private writable entries get the read-only {@code PAGE_COPY*} protections.
     */
    private static final long[] PROTECTION_MAP = {
        PAGE_NONE, PAGE_READONLY, PAGE_COPY, PAGE_COPY,
        PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_COPY_EXEC, PAGE_COPY_EXEC,
        PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED,
        PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
    };

    /**
     * Mirrors {@code vm_get_page_prot}: the protection a VMA with these flags gives its PTEs
     * (no protection key, NX supported).
     */
    public static long vmGetPageProt(final boolean read, final boolean write, final boolean exec, final boolean shared)
    {
        int idx = (read ? 1 : 0) | (write ? 2 : 0) | (exec ? 4 : 0) | (shared ? 8 : 0);
        return PROTECTION_MAP[idx];
    }

    // ---------------------------------------------------------------------------------------
    // Swap entry format (pgtable_64.h, pgtable_64_types.h, include/linux/swap.h)
    // ---------------------------------------------------------------------------------------

    /** {@code _PAGE_SWP_SOFT_DIRTY} = {@code _PAGE_RW}, bit 1 (swap PTEs only). */
    public static final long SWP_SOFT_DIRTY = RW;
    /** {@code _PAGE_SWP_UFFD_WP} = {@code _PAGE_USER}, bit 2 (swap PTEs only). */
    public static final long SWP_UFFD_WP = USER;
    /** {@code _PAGE_SWP_EXCLUSIVE} = {@code _PAGE_PWT}, bit 3 (swap PTEs only). */
    public static final long SWP_EXCLUSIVE = PWT;
    /** {@code SWP_TYPE_BITS}. */
    public static final int SWP_TYPE_BITS = 5;
    /** {@code SWP_OFFSET_FIRST_BIT} = {@code _PAGE_BIT_PROTNONE + 1}. */
    public static final int SWP_OFFSET_FIRST_BIT = 9;
    /** {@code SWP_OFFSET_SHIFT}: the offset is shifted up this far, then down by the type bits. */
    public static final int SWP_OFFSET_SHIFT = SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS;
    /** Bits of swap offset the format holds (64 - 9 - 5). */
    public static final int SWP_OFFSET_BITS = 64 - SWP_OFFSET_SHIFT;
    /** Largest encodable swap offset. */
    public static final long MAX_SWP_OFFSET = (1L << SWP_OFFSET_BITS) - 1;
    /** Largest encodable type ({@code (1 << MAX_SWAPFILES_SHIFT) - 1}). */
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
     * {@code MAX_SWAPFILES} = 32 - 1 hwpoison - 3 migration - 3 device - 1 marker = 24 with the
     * distribution configuration (MEMORY_FAILURE, MIGRATION, DEVICE_PRIVATE all on): types
     * {@code 0..MAX_SWAPFILES-1} name swap devices, the rest are the reserved non-swap types.
     */
    public static final int MAX_SWAPFILES = SWP_HWPOISON;

    // ---------------------------------------------------------------------------------------
    // Upper-level table entries
    // ---------------------------------------------------------------------------------------

    /**
     * A user PGD/P4D/PUD/PMD entry pointing at the next-level table page, as
     * {@code pmd_populate} writes it: the table's physical address | {@code _PAGE_TABLE}.
     *
     * @throws IllegalArgumentException if {@code tablePfn} does not fit the 40-bit PFN field
     */
    public static long mkTableEntry(final long tablePfn) { return (checkPfn(tablePfn) << PAGE_SHIFT) | PAGE_TABLE; }

    /** The PFN of the table a (non-leaf) upper-level entry points to (the {@code pmd_pfn} mask). */
    public static long tableEntryPfn(final long entry) { return (entry & PFN_MASK) >>> PAGE_SHIFT; }

    /**
     * An upper-level entry that points at a table: P set and {@code _PAGE_PSE} (bit 7) clear, so a PMD leaf
     * ({@link X86Pmd}) is not taken for a table ({@code pmd_present && !pmd_leaf}).
     */
    public static boolean tableEntryPresent(final long entry) { return (entry & (PRESENT | PAT)) == PRESENT; }

    // ---------------------------------------------------------------------------------------
    // Tests on present PTEs (undefined for swap PTEs, as in the kernel)
    // ---------------------------------------------------------------------------------------

    /** Mirrors {@code pte_present}: P or PROTNONE, so PROT_NONE PTEs count as present. */
    public static boolean ptePresent(final long pte) { return (pte & (PRESENT | PROTNONE)) != 0; }

    /** Mirrors {@code pte_protnone}: PROTNONE set and P clear. */
    public static boolean pteProtnone(final long pte) { return (pte & (PROTNONE | PRESENT)) == PROTNONE; }

    /**
     * Mirrors {@code pte_none}: empty apart from A and D, which a Knights Landing erratum can set
     * on a cleared entry. The engine only ever writes 0 into an empty slot.
     */
    public static boolean pteNone(final long pte) { return (pte & ~KNL_ERRATUM_MASK) == 0; }

    /** Mirrors {@code pte_write} with user shadow stacks off: the RW bit. */
    public static boolean pteWrite(final long pte) { return (pte & RW) != 0; }

    /** Mirrors {@code pte_dirty}: D or SavedDirty. */
    public static boolean pteDirty(final long pte) { return (pte & DIRTY_BITS) != 0; }

    /** Mirrors {@code pte_young}: the accessed bit. */
    public static boolean pteYoung(final long pte) { return (pte & ACCESSED) != 0; }

    /** Mirrors {@code pte_special}. */
    public static boolean pteSpecial(final long pte) { return (pte & SPECIAL) != 0; }

    /** Mirrors {@code pte_uffd_wp}. */
    public static boolean pteUffdWp(final long pte) { return (pte & UFFD_WP) != 0; }

    /** Mirrors {@code pte_soft_dirty}. */
    public static boolean pteSoftDirty(final long pte) { return (pte & SOFT_DIRTY) != 0; }

    /** Mirrors {@code pte_same}: word equality. */
    public static boolean pteSame(final long a, final long b) { return a == b; }

    // ---------------------------------------------------------------------------------------
    // Modifiers on present PTEs
    // ---------------------------------------------------------------------------------------

    /**
     * Mirrors {@code mksaveddirty_shift}: when RW is clear, move D into SavedDirty so that no
     * Write=0,Dirty=1 word (a shadow-stack PTE to a CET CPU) is ever created.
     */
    private static long mksaveddirtyShift(final long v)
    {
        final long cond = (~v >>> BIT_RW) & 1;
        final long shifted = v | (((v >>> BIT_DIRTY) & cond) << BIT_SAVED_DIRTY);
        return shifted & ~(cond << BIT_DIRTY);
    }

    /** Mirrors {@code clear_saveddirty_shift}: when RW is set, move SavedDirty back into D. */
    private static long clearSaveddirtyShift(final long v)
    {
        final long cond = (v >>> BIT_RW) & 1;
        final long shifted = v | (((v >>> BIT_SAVED_DIRTY) & cond) << BIT_DIRTY);
        return shifted & ~(cond << BIT_SAVED_DIRTY);
    }

    /** Mirrors {@code pte_mkspecial}. */
    public static long pteMkspecial(final long pte) { return pte | SPECIAL; }

    /** Mirrors {@code pte_mkuffd_wp}: set UFFD_WP, then write-protect. */
    public static long pteMkuffdWp(final long pte) { return pteWrprotect(pte | UFFD_WP); }

    /** Mirrors {@code pte_clear_uffd_wp}: clears the marker only; RW stays as it is. */
    public static long pteClearUffdWp(final long pte) { return pte & ~UFFD_WP; }

    /** Mirrors {@code pte_mksoft_dirty}. */
    public static long pteMksoftDirty(final long pte) { return pte | SOFT_DIRTY; }

    /** Mirrors {@code pte_clear_soft_dirty}. */
    public static long pteClearSoftDirty(final long pte) { return pte & ~SOFT_DIRTY; }

    /**
     * Mirrors {@code pte_mkwrite(pte, vma)} for a VMA without {@code VM_SHADOW_STACK}
     * ({@code arch/x86/mm/pgtable.c}): set RW, then move SavedDirty back into D.
     */
    public static long pteMkwrite(final long pte) { return clearSaveddirtyShift(pte | RW); }

    /**
     * Mirrors {@code pte_wrprotect}: clear RW, then move D into SavedDirty. A write-protected dirty
     * PTE therefore reads D=0, SavedDirty=1 and still {@link #pteDirty}.
     */
    public static long pteWrprotect(final long pte)
    {
        // mksaveddirty_shift with RW just cleared: the condition is always true, so D always moves to SavedDirty
        // D shifted up in place (no 64-bit constant for C2 to rematerialise per PTE)
        return (pte & ~(RW | DIRTY)) | ((pte & DIRTY) << (BIT_SAVED_DIRTY - BIT_DIRTY));
    }

    /** Mirrors {@code pte_mkold}: clear A. */
    public static long pteMkold(final long pte) { return pte & ~ACCESSED; }

    /** Mirrors {@code pte_mkyoung}: set A. */
    public static long pteMkyoung(final long pte) { return pte | ACCESSED; }

    /** Mirrors {@code pte_mkdirty}: set D and soft-dirty; on a read-only PTE D lands in SavedDirty. */
    public static long pteMkdirty(final long pte) { return mksaveddirtyShift(pte | DIRTY | SOFT_DIRTY); }

    /** Mirrors {@code pte_mkclean}: clear D and SavedDirty (soft-dirty is kept). */
    public static long pteMkclean(final long pte) { return pte & ~DIRTY_BITS; }

    // ---------------------------------------------------------------------------------------
    // PFN and protection (pgtable.h, pgtable-invert.h)
    // ---------------------------------------------------------------------------------------

    /**
     * Mirrors {@code protnone_mask}: all ones for a non-zero word with P clear (the L1TF
     * mitigation stores such PFNs inverted), zero otherwise. The zero word is never inverted, and
     * no protection value is zero because even {@code PAGE_NONE} carries A.
     */
    private static long protnoneMask(final long v) { return (v != 0 && (v & PRESENT) == 0) ? -1L : 0L; }

    /** Mirrors {@code pte_pfn}: the PFN, undoing the PROT_NONE inversion. */
    public static long ptePfn(final long pte) { return ((pte ^ protnoneMask(pte)) & PFN_MASK) >>> PAGE_SHIFT; }

    /**
     * {@link #ptePfn} of a present entry ({@link #ptePresent}), -1 for any other: P set is the common present entry,
     * whose PFN is not inverted (one test of the word); a PROT_NONE entry (P clear, PROTNONE set, so not zero) has its
     * PFN inverted (L1TF, {@code protnone_mask}); an entry with neither is not present ({@code pte_none} included).
     */
    public static long presentPfn(final long pte)
    {
        if ((pte & PRESENT) != 0)
        {
            // (pte & PFN_MASK) >>> PAGE_SHIFT as a shift pair: no 64-bit mask for C2 to rematerialise per PTE
            return (pte << (Long.SIZE - PAGE_SHIFT - PFN_BITS)) >>> (Long.SIZE - PFN_BITS);
        }
        return (pte & PROTNONE) != 0 ? (~pte & PFN_MASK) >>> PAGE_SHIFT : -1;
    }

    /** Mirrors {@code pte_pgprot} = {@code pte_flags}: every bit except the PFN field. */
    public static long ptePgprot(final long pte) { return pte & FLAGS_MASK; }

    /**
     * Mirrors {@code pfn_pte}: the PFN shifted into place (inverted when {@code prot} is not
     * present, as {@code protnone_mask} does) or-ed with {@code prot}.
     *
     * @throws IllegalArgumentException if {@code pfn} does not fit 40 bits or {@code prot} has
     *                                  bits inside the PFN field
     */
    public static long pfnPte(final long pfn, final long prot)
    {
        checkPfn(pfn);
        if ((prot & PFN_MASK) != 0)
        {
            throw protOverlapsPfn(prot);
        }
        return (((pfn << PAGE_SHIFT) ^ protnoneMask(prot)) & PFN_MASK) | prot;
    }

    /**
     * Mirrors {@code pte_advance_pfn}: the same PTE for the PFN {@code nr} pages further on. An
     * inverted (PROT_NONE) PFN field moves the other way, so the word is decremented.
     *
     * @throws IllegalArgumentException if the resulting PFN does not fit 40 bits
     */
    public static long pteAdvancePfn(final long pte, final long nr)
    {
        // Checked here because the raw add/subtract would carry into the flag bits above bit 51.
        checkPfn(ptePfn(pte) + nr);
        long delta = nr << PAGE_SHIFT;
        return protnoneMask(pte) == 0 ? pte + delta : pte - delta;
    }

    // ---------------------------------------------------------------------------------------
    // Swap PTEs
    // ---------------------------------------------------------------------------------------

    /**
     * Mirrors {@code swp_entry_to_pte(swp_entry(type, offset))}: type in bits 59..63, offset
     * inverted in bits 9..58 (shifted up by 14 so the type bits fall off, then down by 5).
     *
     * @throws IllegalArgumentException if {@code type} is outside 0..31, {@code offset} does not
     *                                  fit 50 bits, or the pair would encode to the none PTE
     *                                  (type 0 with the all-ones offset, which the kernel never
     *                                  produces because swap areas are far smaller)
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
        long pte = ((~offset << SWP_OFFSET_SHIFT) >>> SWP_TYPE_BITS)
            | ((long) type << (64 - SWP_TYPE_BITS));
        if (pte == 0)
        {
            throw swapEntryIsNone(type, offset);
        }
        return pte;
    }

    /** Mirrors {@code __swp_type}: bits 59..63. */
    public static int pteSwpType(final long pte) { return (int) (pte >>> (64 - SWP_TYPE_BITS)); }

    /** Mirrors {@code __swp_offset}: invert, drop the type bits, shift down past bit 8. */
    public static long pteSwpOffset(final long pte) { return (~pte << SWP_TYPE_BITS) >>> SWP_OFFSET_SHIFT; }

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

    /** Mirrors {@code pte_swp_soft_dirty}. */
    public static boolean pteSwpSoftDirty(final long pte) { return (pte & SWP_SOFT_DIRTY) != 0; }

    /** Mirrors {@code pte_swp_mksoft_dirty}. */
    public static long pteSwpMksoftDirty(final long pte) { return pte | SWP_SOFT_DIRTY; }

    /** Mirrors {@code pte_swp_clear_soft_dirty}. */
    public static long pteSwpClearSoftDirty(final long pte) { return pte & ~SWP_SOFT_DIRTY; }

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

    private static IllegalArgumentException swapOffsetOutOfRange(final long offset)
    {
        return new IllegalArgumentException("swap offset out of range: offset=" + offset
            + " (must fit " + SWP_OFFSET_BITS + " bits)");
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
}
