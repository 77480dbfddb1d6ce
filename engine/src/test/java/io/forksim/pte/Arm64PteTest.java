package io.forksim.pte;

import static io.forksim.pte.Arm64Pte.ADDR_MASK;
import static io.forksim.pte.Arm64Pte.CONT_PTES;
import static io.forksim.pte.Arm64Pte.CONT_PTE_MASK;
import static io.forksim.pte.Arm64Pte.CONT_PTE_SIZE;
import static io.forksim.pte.Arm64Pte.DBM;
import static io.forksim.pte.Arm64Pte.DIRTY;
import static io.forksim.pte.Arm64Pte.MAX_PFN;
import static io.forksim.pte.Arm64Pte.MAX_SWAPFILES;
import static io.forksim.pte.Arm64Pte.MAX_SWP_OFFSET;
import static io.forksim.pte.Arm64Pte.MAX_SWP_TYPE;
import static io.forksim.pte.Arm64Pte.MT_DEVICE_NGNRE;
import static io.forksim.pte.Arm64Pte.MT_NORMAL_TAGGED;
import static io.forksim.pte.Arm64Pte.NG;
import static io.forksim.pte.Arm64Pte.PAGE_DEFAULT;
import static io.forksim.pte.Arm64Pte.PAGE_EXECONLY;
import static io.forksim.pte.Arm64Pte.PAGE_NONE;
import static io.forksim.pte.Arm64Pte.PAGE_READONLY;
import static io.forksim.pte.Arm64Pte.PAGE_READONLY_EXEC;
import static io.forksim.pte.Arm64Pte.PAGE_SHARED;
import static io.forksim.pte.Arm64Pte.PAGE_SHARED_EXEC;
import static io.forksim.pte.Arm64Pte.PAGE_SHIFT;
import static io.forksim.pte.Arm64Pte.PRESENT_INVALID;
import static io.forksim.pte.Arm64Pte.PXN;
import static io.forksim.pte.Arm64Pte.RDONLY;
import static io.forksim.pte.Arm64Pte.SWBITS_MASK;
import static io.forksim.pte.Arm64Pte.SWP_DEVICE_EXCLUSIVE;
import static io.forksim.pte.Arm64Pte.SWP_HWPOISON;
import static io.forksim.pte.Arm64Pte.SWP_MIGRATION_READ;
import static io.forksim.pte.Arm64Pte.SWP_MIGRATION_WRITE;
import static io.forksim.pte.Arm64Pte.SWP_PTE_MARKER;
import static io.forksim.pte.Arm64Pte.TABLE_BIT;
import static io.forksim.pte.Arm64Pte.USER;
import static io.forksim.pte.Arm64Pte.UXN;
import static io.forksim.pte.Arm64Pte.VALID;
import static io.forksim.pte.Arm64Pte.WRITE;
import static io.forksim.pte.Arm64Pte.attrIndx;
import static io.forksim.pte.Arm64Pte.isSwapPte;
import static io.forksim.pte.Arm64Pte.mkTableEntry;
import static io.forksim.pte.Arm64Pte.pfnPte;
import static io.forksim.pte.Arm64Pte.pteAdvancePfn;
import static io.forksim.pte.Arm64Pte.pteClearSoftDirty;
import static io.forksim.pte.Arm64Pte.pteClearUffdWp;
import static io.forksim.pte.Arm64Pte.pteCont;
import static io.forksim.pte.Arm64Pte.pteDirty;
import static io.forksim.pte.Arm64Pte.pteHwDirty;
import static io.forksim.pte.Arm64Pte.pteMkclean;
import static io.forksim.pte.Arm64Pte.pteMkcont;
import static io.forksim.pte.Arm64Pte.pteMkdirty;
import static io.forksim.pte.Arm64Pte.pteMknoncont;
import static io.forksim.pte.Arm64Pte.pteMkold;
import static io.forksim.pte.Arm64Pte.pteMksoftDirty;
import static io.forksim.pte.Arm64Pte.pteMkuffdWp;
import static io.forksim.pte.Arm64Pte.pteMkwrite;
import static io.forksim.pte.Arm64Pte.pteMkyoung;
import static io.forksim.pte.Arm64Pte.ptePfn;
import static io.forksim.pte.Arm64Pte.ptePgprot;
import static io.forksim.pte.Arm64Pte.ptePresent;
import static io.forksim.pte.Arm64Pte.ptePresentInvalid;
import static io.forksim.pte.Arm64Pte.pteProtnone;
import static io.forksim.pte.Arm64Pte.pteSame;
import static io.forksim.pte.Arm64Pte.pteSoftDirty;
import static io.forksim.pte.Arm64Pte.pteSwDirty;
import static io.forksim.pte.Arm64Pte.pteSwpClearExclusive;
import static io.forksim.pte.Arm64Pte.pteSwpClearSoftDirty;
import static io.forksim.pte.Arm64Pte.pteSwpClearUffdWp;
import static io.forksim.pte.Arm64Pte.pteSwpExclusive;
import static io.forksim.pte.Arm64Pte.pteSwpMkexclusive;
import static io.forksim.pte.Arm64Pte.pteSwpMksoftDirty;
import static io.forksim.pte.Arm64Pte.pteSwpMkuffdWp;
import static io.forksim.pte.Arm64Pte.pteSwpOffset;
import static io.forksim.pte.Arm64Pte.pteSwpSoftDirty;
import static io.forksim.pte.Arm64Pte.pteSwpType;
import static io.forksim.pte.Arm64Pte.pteSwpUffdWp;
import static io.forksim.pte.Arm64Pte.pteUffdWp;
import static io.forksim.pte.Arm64Pte.pteValid;
import static io.forksim.pte.Arm64Pte.pteValidCont;
import static io.forksim.pte.Arm64Pte.pteWrite;
import static io.forksim.pte.Arm64Pte.pteWrprotect;
import static io.forksim.pte.Arm64Pte.pteYoung;
import static io.forksim.pte.Arm64Pte.swpEntryToPte;
import static io.forksim.pte.Arm64Pte.tableEntryPfn;
import static io.forksim.pte.Arm64Pte.tableEntryPresent;
import static io.forksim.pte.Arm64Pte.vmGetPageProt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * arm64 PTE helpers against the kernel's definitions (4 KiB granule, !D128, !LPA2, 6.10+ swap
 * layout). The algebraic part follows {@code mm/debug_vm_pgtable.c} ({@code pte_basic_tests});
 * the exact words are computed by hand from {@code pgtable-hwdef.h} / {@code pgtable-prot.h} /
 * {@code pgtable.h}, and each says how.
 */
class Arm64PteTest
{

    private static final long FIXED_PFN = 0x1234;

    /** One starting PTE of the debug_vm_pgtable sweep, named for the test report. */
    record Case(String name, long pte)
    {
        @Override
        public String toString()
        {
            return name + " = 0x" + Long.toHexString(pte);
        }
    }

    /** The 16 protection_map entries x young/old x dirty/clean, built like the kernel test does. */
    static Stream<Case> sweep()
    {
        List<Case> cases = new ArrayList<>();
        for (int idx = 0; idx < 16; idx++)
        {
            boolean r = (idx & 1) != 0, w = (idx & 2) != 0, x = (idx & 4) != 0, s = (idx & 8) != 0;
            long base = pfnPte(FIXED_PFN, vmGetPageProt(r, w, x, s));
            for (int yd = 0; yd < 4; yd++)
            {
                boolean young = (yd & 1) != 0, dirty = (yd & 2) != 0;
                long p = young ? pteMkyoung(base) : pteMkold(base);
                p = dirty ? pteMkdirty(p) : pteMkclean(p);
                String name = (s ? "shared " : "private ") + (r ? "r" : "-") + (w ? "w" : "-")
                    + (x ? "x" : "-") + (young ? " young" : " old") + (dirty ? " dirty" : " clean");
                cases.add(new Case(name, p));
            }
        }
        return cases.stream();
    }

    static Stream<Arguments> freshProts()
    {
        List<Arguments> args = new ArrayList<>();
        for (int idx = 0; idx < 16; idx++)
        {
            long prot = vmGetPageProt((idx & 1) != 0, (idx & 2) != 0, (idx & 4) != 0, (idx & 8) != 0);
            args.add(Arguments.of(idx, prot));
        }
        return args.stream();
    }

    /** Every present-PTE modifier, for the pairwise invariant checks. */
    private static final List<LongUnaryOperator> MODIFIERS = List.of(Arm64Pte::pteMkdirty,
        Arm64Pte::pteMkclean, Arm64Pte::pteWrprotect, Arm64Pte::pteMkwrite, Arm64Pte::pteMkold,
        Arm64Pte::pteMkyoung, Arm64Pte::pteMkuffdWp, Arm64Pte::pteClearUffdWp,
        Arm64Pte::pteMkcont, Arm64Pte::pteMknoncont, Arm64Pte::pteMkspecial);

    @Nested
    @DisplayName("debug_vm_pgtable laws, for every protection x young x dirty")
    class DebugVmPgtableLaws
    {

        @ParameterizedTest(name = "vm_flags {0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#freshProts")
        void freshPteFromVmGetPageProtIsNotDirtyAfterWrprotect(final int idx, final long prot)
        {
            // The kernel's reason for this check: on arm64 !RDONLY means dirty, so a protection
            // that forgot RDONLY would make every new PTE dirty.
            assertThat(pteDirty(pteWrprotect(pfnPte(FIXED_PFN, prot)))).isFalse();
            assertThat(pteDirty(pfnPte(FIXED_PFN, prot))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void ptesAreSameAsThemselves(final Case c)
        {
            assertThat(pteSame(c.pte(), c.pte())).isTrue();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void mkyoungAfterMkoldIsYoungAndMkoldAfterMkyoungIsOld(final Case c)
        {
            assertThat(pteYoung(pteMkyoung(pteMkold(c.pte())))).isTrue();
            assertThat(pteYoung(pteMkold(pteMkyoung(c.pte())))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void mkdirtyAfterMkcleanIsDirtyAndMkcleanAfterMkdirtyIsClean(final Case c)
        {
            assertThat(pteDirty(pteMkdirty(pteMkclean(c.pte())))).isTrue();
            assertThat(pteDirty(pteMkclean(pteMkdirty(c.pte())))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void mkwriteIsWritableAndWrprotectAfterMkwriteIsNot(final Case c)
        {
            assertThat(pteWrite(pteMkwrite(c.pte()))).isTrue();
            assertThat(pteWrite(pteMkwrite(pteWrprotect(c.pte())))).isTrue();
            assertThat(pteWrite(pteWrprotect(pteMkwrite(c.pte())))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void dirtySurvivesWrprotectAndCleanStaysClean(final Case c)
        {
            assertThat(pteDirty(pteWrprotect(pteMkdirty(c.pte())))).isTrue();
            assertThat(pteDirty(pteWrprotect(pteMkclean(c.pte())))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void mkwriteKeepsDirtinessAsItWas(final Case c)
        {
            // The Oct 2025 additions to debug_vm_pgtable, prompted by an arm64 pte_mkwrite_novma
            // bug: dirty is partly encoded as !RDONLY, so mkwrite must not invent or lose it.
            assertThat(pteDirty(pteMkwrite(pteMkdirty(c.pte())))).isTrue();
            assertThat(pteDirty(pteMkwrite(pteMkclean(c.pte())))).isFalse();
            assertThat(pteWrite(pteMkdirty(pteMkwrite(c.pte())))).isTrue();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void pfnSurvivesTheRoundTripThroughPfnPteAndPgprot(final Case c)
        {
            assertThat(ptePfn(c.pte())).isEqualTo(FIXED_PFN);
            assertThat(pfnPte(ptePfn(c.pte()), ptePgprot(c.pte()))).isEqualTo(c.pte());
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void advancePfnMovesOnlyThePfn(final Case c)
        {
            for (long n : new long[] {1, 15, 16, 511})
            {
                long next = pteAdvancePfn(c.pte(), n);
                assertThat(ptePfn(next)).isEqualTo(FIXED_PFN + n);
                assertThat(ptePgprot(next)).isEqualTo(ptePgprot(c.pte()));
                assertThat(next).isEqualTo(c.pte() + (n << PAGE_SHIFT));
            }
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void aWritableSoftwareDirtyPteIsAlwaysHardwareDirtyToo(final Case c)
        {
            // The "dirty, writable" row of the DBM table: RDONLY must be clear, otherwise the
            // first write faults (or, with DBM, the CPU sees a clean page).
            for (LongUnaryOperator first : MODIFIERS)
            {
                for (LongUnaryOperator second : MODIFIERS)
                {
                    long p = second.applyAsLong(first.applyAsLong(c.pte()));
                    assertThat(p & (WRITE | DIRTY | RDONLY)).as("WRITE|DIRTY|RDONLY of 0x%x", p)
                        .isNotEqualTo(WRITE | DIRTY | RDONLY);
                }
            }
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.Arm64PteTest#sweep")
        void softDirtyHelpersAreNoOps(final Case c)
        {
            assertThat(pteSoftDirty(c.pte())).isFalse();
            assertThat(pteMksoftDirty(c.pte())).isEqualTo(c.pte());
            assertThat(pteClearSoftDirty(c.pte())).isEqualTo(c.pte());
        }
    }

    @Nested
    @DisplayName("exact words from the kernel definitions")
    class ExactWords
    {

        @Test
        void protectionConstantsMatchPgtableProt()
        {
            // _PAGE_DEFAULT = TYPE_PAGE(0b11) | AF(0x400) | SHARED(0x300) | AttrIndx(MT_NORMAL=0)
            assertThat(PAGE_DEFAULT).isEqualTo(0x703L);
            // + USER(0x40) | RDONLY(0x80) | NG(0x800) | PXN(1<<53) | UXN(1<<54)
            assertThat(PAGE_READONLY).isEqualTo(0x0060000000000FC3L);
            // PAGE_READONLY without UXN
            assertThat(PAGE_READONLY_EXEC).isEqualTo(0x0020000000000FC3L);
            // PAGE_READONLY | WRITE(1<<51): clean writable (RDONLY still set)
            assertThat(PAGE_SHARED).isEqualTo(0x0068000000000FC3L);
            assertThat(PAGE_SHARED_EXEC).isEqualTo(0x0028000000000FC3L);
            // no USER: _PAGE_DEFAULT | RDONLY | NG | PXN
            assertThat(PAGE_EXECONLY).isEqualTo(0x0020000000000F83L);
            // (_PAGE_DEFAULT & ~VALID) | PRESENT_INVALID(=NG) | RDONLY | NG | PXN | UXN, no USER
            assertThat(PAGE_NONE).isEqualTo(0x0060000000000F82L);
        }

        @Test
        void bitConstantsMatchPgtableHwdef()
        {
            assertThat(ADDR_MASK).isEqualTo(0x0003FFFFFFFFF000L);
            assertThat(WRITE).isEqualTo(DBM).isEqualTo(1L << 51);
            assertThat(PRESENT_INVALID).isEqualTo(NG).isEqualTo(1L << 11);
            assertThat(SWBITS_MASK).isEqualTo(0x8780000000000000L);
            assertThat(attrIndx(MT_NORMAL_TAGGED)).isEqualTo(0x4L);
            assertThat(attrIndx(MT_DEVICE_NGNRE)).isEqualTo(0x10L);
        }

        @Test
        void contiguousRangeIsSixteenEntriesOf4KiB()
        {
            assertThat(CONT_PTES).isEqualTo(16);
            assertThat(CONT_PTE_SIZE).isEqualTo(64 * 1024L);
            assertThat(CONT_PTE_MASK).isEqualTo(0xFFFFFFFFFFFF0000L);
        }

        @Test
        void vmGetPageProtFollowsProtectionMap()
        {
            assertThat(vmGetPageProt(false, false, false, false)).isEqualTo(PAGE_NONE);
            assertThat(vmGetPageProt(true, false, false, false)).isEqualTo(PAGE_READONLY);
            assertThat(vmGetPageProt(true, true, false, false)).isEqualTo(PAGE_READONLY);
            assertThat(vmGetPageProt(false, true, false, false)).isEqualTo(PAGE_READONLY);
            assertThat(vmGetPageProt(false, false, true, false)).isEqualTo(PAGE_READONLY_EXEC);
            assertThat(vmGetPageProt(true, true, true, false)).isEqualTo(PAGE_READONLY_EXEC);
            assertThat(vmGetPageProt(false, false, false, true)).isEqualTo(PAGE_NONE);
            assertThat(vmGetPageProt(true, false, false, true)).isEqualTo(PAGE_READONLY);
            assertThat(vmGetPageProt(true, true, false, true)).isEqualTo(PAGE_SHARED);
            assertThat(vmGetPageProt(false, true, false, true)).isEqualTo(PAGE_SHARED);
            assertThat(vmGetPageProt(false, false, true, true)).isEqualTo(PAGE_READONLY_EXEC);
            assertThat(vmGetPageProt(true, true, true, true)).isEqualTo(PAGE_SHARED_EXEC);
        }

        @Test
        void pfnPteOrsTheOutputAddressIntoTheProtection()
        {
            // 0x1234 << 12 = 0x1234000 | 0x0060000000000FC3
            assertThat(pfnPte(0x1234, PAGE_READONLY)).isEqualTo(0x0060000001234FC3L);
            assertThat(pfnPte(0x1234, PAGE_SHARED)).isEqualTo(0x0068000001234FC3L);
        }

        @Test
        void mkTableEntryIsWhatPmdPopulateWritesForAUserTable()
        {
            // 0x5678 << 12 | TABLE(0b11) | TABLE_AF(1<<10) | TABLE_PXN(1<<59)
            long e = mkTableEntry(0x5678);
            assertThat(e).isEqualTo(0x0800000005678403L);
            assertThat(tableEntryPfn(e)).isEqualTo(0x5678L);
            assertThat(tableEntryPresent(e)).isTrue();
            assertThat(tableEntryPresent(0)).isFalse();
            assertThat(tableEntryPresent(e & ~TABLE_BIT)).as("block descriptor").isFalse();
        }

        @Test
        void pageNoneIsPresentButNotValid()
        {
            long p = pfnPte(0x1234, PAGE_NONE);
            assertThat(p).isEqualTo(0x0060000001234F82L);
            assertThat(ptePresent(p)).isTrue();
            assertThat(pteValid(p)).isFalse();
            assertThat(ptePresentInvalid(p)).isTrue();
            assertThat(pteProtnone(p)).isTrue();
            assertThat(ptePfn(p)).as("arm64 does not invert").isEqualTo(0x1234L);
            assertThat(pteProtnone(pfnPte(0x1234, PAGE_READONLY))).isFalse();
        }
    }

    @Nested
    @DisplayName("dirty = sw DIRTY || (WRITE && !RDONLY), the DBM table of pgtable.h")
    class DirtyEncoding
    {

        @ParameterizedTest(name = "RDONLY={0} WRITE={1} DIRTY={2} -> dirty={3} writable={4}")
        @CsvSource({
            // the four rows of the kernel's table, with "x" expanded
            "1, 0, 0, false, false",   // clean, read-only
            "1, 1, 0, false, true",    // clean, writable (hardware clears RDONLY on first write)
            "1, 0, 1, true,  false",   // dirty, read-only
            "0, 1, 0, true,  true",    // dirty, writable: hardware dirty only
            "0, 1, 1, true,  true",    // dirty, writable: both
        })
        void dirtyAndWritableFollowTheKernelTable(final int rdonly, final int write, final int dirty,
                                                  final boolean expectDirty, final boolean expectWritable)
        {
            long p = pfnPte(0x1234, PAGE_DEFAULT | USER | NG | PXN | UXN)
                | (rdonly == 1 ? RDONLY : 0) | (write == 1 ? WRITE : 0) | (dirty == 1 ? DIRTY : 0);
            assertThat(pteDirty(p)).isEqualTo(expectDirty);
            assertThat(pteWrite(p)).isEqualTo(expectWritable);
            assertThat(pteHwDirty(p)).isEqualTo(rdonly == 0 && write == 1);
            assertThat(pteSwDirty(p)).isEqualTo(dirty == 1);
        }

        @Test
        void wrprotectOfHardwareDirtyPteMovesDirtinessIntoSoftwareDirty()
        {
            // PAGE_SHARED pte after a hardware write: RDONLY (0x80) cleared -> 0x0068000001234F43.
            // wrprotect: DIRTY(1<<55) set, WRITE(1<<51) cleared, RDONLY set.
            long hwDirty = 0x0068000001234F43L;
            assertThat(pteHwDirty(hwDirty)).isTrue();
            long p = pteWrprotect(hwDirty);
            assertThat(p).isEqualTo(0x00E0000001234FC3L);
            assertThat(pteDirty(p)).isTrue();
            assertThat(pteWrite(p)).isFalse();
        }

        @Test
        void wrprotectOfCleanWritablePteJustDropsWrite()
        {
            assertThat(pteWrprotect(0x0068000001234FC3L)).isEqualTo(0x0060000001234FC3L);
        }

        @Test
        void mkdirtyOfWritablePteClearsRdonly()
        {
            // | DIRTY(0x0080...) and WRITE is set, so RDONLY(0x80) goes
            assertThat(pteMkdirty(0x0068000001234FC3L)).isEqualTo(0x00E8000001234F43L);
        }

        @Test
        void mkdirtyOfReadOnlyPteKeepsRdonly()
        {
            assertThat(pteMkdirty(0x0060000001234FC3L)).isEqualTo(0x00E0000001234FC3L);
        }

        @Test
        void mkwriteOfSoftwareDirtyPteMakesItHardwareDirty()
        {
            // 0x00E0000001234FC3 | WRITE -> 0x00E8000001234FC3, DIRTY set so RDONLY cleared
            assertThat(pteMkwrite(0x00E0000001234FC3L)).isEqualTo(0x00E8000001234F43L);
        }

        @Test
        void mkwriteOfCleanPteLeavesItClean()
        {
            long p = pteMkwrite(0x0060000001234FC3L);
            assertThat(p).isEqualTo(0x0068000001234FC3L);
            assertThat(pteDirty(p)).isFalse();
        }

        @Test
        void mkcleanClearsDirtyAndSetsRdonly()
        {
            assertThat(pteMkclean(0x00E8000001234F43L)).isEqualTo(0x0068000001234FC3L);
        }

        @Test
        void mkuffdWpMarksAndWriteProtects()
        {
            // | UFFD_WP(1<<58), then the wrprotect above
            long p = pteMkuffdWp(0x0068000001234F43L);
            assertThat(p).isEqualTo(0x04E0000001234FC3L);
            assertThat(pteUffdWp(p)).isTrue();
            assertThat(pteClearUffdWp(p)).isEqualTo(0x00E0000001234FC3L);
        }
    }

    @Nested
    @DisplayName("contiguous bit")
    class Cont
    {

        @Test
        void validContNeedsBothValidAndCont()
        {
            long p = pfnPte(0x1230, PAGE_READONLY);
            assertThat(pteValidCont(p)).isFalse();
            assertThat(pteValidCont(pteMkcont(p))).isTrue();
            assertThat(pteCont(pteMkcont(p))).isTrue();
            assertThat(pteMknoncont(pteMkcont(p))).isEqualTo(p);
            assertThat(pteValidCont(pteMkcont(pfnPte(0x1230, PAGE_NONE)))).isFalse();
        }

        @Test
        void advancingThroughABlockKeepsTheContBit()
        {
            long p = pteMkcont(pfnPte(0x1230, PAGE_READONLY));
            for (int i = 0; i < CONT_PTES; i++)
            {
                long q = pteAdvancePfn(p, i);
                assertThat(pteCont(q)).isTrue();
                assertThat(ptePfn(q)).isEqualTo(0x1230L + i);
            }
        }
    }

    @Nested
    @DisplayName("swap entries (6.10+ layout)")
    class Swap
    {

        @Test
        void typeAndOffsetSitInBits6To10And12To61NotInverted()
        {
            // 3 << 6 = 0xC0, 0x1234 << 12 = 0x1234000
            assertThat(swpEntryToPte(3, 0x1234)).isEqualTo(0x12340C0L);
            // exclusive bit 2, uffd-wp bit 3
            assertThat(pteSwpMkexclusive(0x12340C0L)).isEqualTo(0x12340C4L);
            assertThat(pteSwpMkuffdWp(0x12340C4L)).isEqualTo(0x12340CCL);
            // 31 << 6 = 0x7C0, (2^50-1) << 12 = 0x3FFFFFFFFFFFF000
            assertThat(swpEntryToPte(31, MAX_SWP_OFFSET)).isEqualTo(0x3FFFFFFFFFFFF7C0L);
        }

        @Test
        void maxSwapfilesLeavesTheTopEightTypesToNonSwapEntries()
        {
            assertThat(MAX_SWAPFILES).isEqualTo(24).isEqualTo(X86Pte.MAX_SWAPFILES);
            assertThat(SWP_PTE_MARKER).isEqualTo(31);
        }

        static Stream<Arguments> extremes()
        {
            int[] types = {0, 1, MAX_SWAPFILES - 1, SWP_HWPOISON, SWP_MIGRATION_READ,
                SWP_MIGRATION_WRITE, SWP_DEVICE_EXCLUSIVE, SWP_PTE_MARKER};
            long[] offsets = {0, 1, 0x12345, 0xFFFF_FFFFL, MAX_SWP_OFFSET - 1, MAX_SWP_OFFSET};
            List<Arguments> args = new ArrayList<>();
            for (int t : types)
            {
                for (long o : offsets)
                {
                    if (!(t == 0 && o == 0))
                    {
                        args.add(Arguments.of(t, o));
                    }
                }
            }
            return args.stream();
        }

        @ParameterizedTest(name = "type {0} offset {1}")
        @MethodSource("extremes")
        void typeAndOffsetRoundTripUnderEveryFlagCombination(final int type, final long offset)
        {
            long base = swpEntryToPte(type, offset);
            for (int flags = 0; flags < 4; flags++)
            {
                long p = base;
                if ((flags & 1) != 0)
                {
                    p = pteSwpMkexclusive(p);
                }
                if ((flags & 2) != 0)
                {
                    p = pteSwpMkuffdWp(p);
                }
                assertThat(isSwapPte(p)).as("isSwapPte 0x%x", p).isTrue();
                assertThat(ptePresent(p)).isFalse();
                assertThat(p & (VALID | TABLE_BIT | PRESENT_INVALID)).isZero();
                assertThat(pteSwpType(p)).isEqualTo(type);
                assertThat(pteSwpOffset(p)).isEqualTo(offset);
                assertThat(pteSwpExclusive(p)).isEqualTo((flags & 1) != 0);
                assertThat(pteSwpUffdWp(p)).isEqualTo((flags & 2) != 0);
                assertThat(pteSwpSoftDirty(p)).isFalse();
                assertThat(pteSwpMksoftDirty(p)).isEqualTo(p);
                assertThat(pteSwpClearSoftDirty(p)).isEqualTo(p);
                assertThat(pteSwpClearUffdWp(pteSwpClearExclusive(p))).isEqualTo(base);
            }
        }
    }

    @Nested
    @DisplayName("bad input is rejected with the value in the message")
    class BadInput
    {

        @ParameterizedTest
        @ValueSource(longs = {1L << 38, -1L, Long.MAX_VALUE})
        void pfnThatDoesNotFitTheOutputAddressField(final long pfn)
        {
            assertThatThrownBy(() -> pfnPte(pfn, PAGE_READONLY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pfn=" + pfn);
            assertThatThrownBy(() -> mkTableEntry(pfn))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pfn=" + pfn);
        }

        @Test
        void largestPfnIsAccepted()
        {
            assertThat(ptePfn(pfnPte(MAX_PFN, PAGE_READONLY))).isEqualTo(MAX_PFN);
        }

        @Test
        void advancingPastTheLargestPfn()
        {
            long p = pfnPte(MAX_PFN, PAGE_READONLY);
            assertThatThrownBy(() -> pteAdvancePfn(p, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pfn=" + (MAX_PFN + 1));
        }

        @Test
        void protWithAddressBits()
        {
            assertThatThrownBy(() -> pfnPte(1, PAGE_READONLY | 0x1000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prot=0x60000000001fc3");
        }

        @ParameterizedTest
        @ValueSource(longs = {1L << 50, -1L})
        void swapOffsetThatDoesNotFitFiftyBits(final long offset)
        {
            assertThatThrownBy(() -> swpEntryToPte(1, offset))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("swap offset out of range: offset=" + offset);
        }

        @ParameterizedTest
        @ValueSource(ints = {32, -1, Integer.MIN_VALUE})
        void swapTypeOutsideFiveBits(final int type)
        {
            assertThatThrownBy(() -> swpEntryToPte(type, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("type=" + type);
        }

        @Test
        void swapEntryThatWouldReadAsNone()
        {
            assertThatThrownBy(() -> swpEntryToPte(0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("type=0 offset=0");
        }

        @ParameterizedTest
        @ValueSource(ints = {8, -1})
        void memoryTypeOutsideThreeBits(final int t)
        {
            assertThatThrownBy(() -> attrIndx(t))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("memoryType=" + t);
        }
    }

    // -------------------------------------------------------------------------------------------
    // Randomised round trips (fixed seed, so a failure reproduces)
    // -------------------------------------------------------------------------------------------

    @Test
    void anyEncodableSwapEntryRoundTrips()
    {
        SplittableRandom rnd = new SplittableRandom(0x5EED_0003L);
        for (int i = 0; i < 20_000; i++)
        {
            int type = rnd.nextInt(MAX_SWP_TYPE + 1);
            long offset = rnd.nextLong(MAX_SWP_OFFSET + 1) >>> rnd.nextInt(50);
            if (type == 0 && offset == 0)
            {
                continue; // would encode to the none PTE; rejected, tested above
            }
            long p = swpEntryToPte(type, offset);
            assertThat(isSwapPte(p)).as("type %d offset %d", type, offset).isTrue();
            assertThat(pteSwpType(p)).isEqualTo(type);
            assertThat(pteSwpOffset(p)).isEqualTo(offset);
        }
    }

    @Test
    void anyPfnRoundTripsUnderAnyProtection()
    {
        SplittableRandom rnd = new SplittableRandom(0x5EED_0004L);
        for (int i = 0; i < 20_000; i++)
        {
            long pfn = rnd.nextLong(MAX_PFN + 1) >>> rnd.nextInt(38);
            int idx = rnd.nextInt(16);
            long prot = vmGetPageProt((idx & 1) != 0, (idx & 2) != 0, (idx & 4) != 0, (idx & 8) != 0);
            long p = pfnPte(pfn, prot);
            assertThat(ptePfn(p)).as("pfn %d prot 0x%x", pfn, prot).isEqualTo(pfn);
            assertThat(ptePgprot(p)).isEqualTo(prot);
            assertThat(ptePresent(p)).isTrue();
        }
    }
}
