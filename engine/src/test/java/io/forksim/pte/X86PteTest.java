package io.forksim.pte;

import static io.forksim.pte.X86Pte.ACCESSED;
import static io.forksim.pte.X86Pte.DIRTY;
import static io.forksim.pte.X86Pte.MAX_PFN;
import static io.forksim.pte.X86Pte.MAX_SWAPFILES;
import static io.forksim.pte.X86Pte.MAX_SWP_OFFSET;
import static io.forksim.pte.X86Pte.MAX_SWP_TYPE;
import static io.forksim.pte.X86Pte.PAGE_COPY;
import static io.forksim.pte.X86Pte.PAGE_COPY_EXEC;
import static io.forksim.pte.X86Pte.PAGE_NONE;
import static io.forksim.pte.X86Pte.PAGE_READONLY;
import static io.forksim.pte.X86Pte.PAGE_READONLY_EXEC;
import static io.forksim.pte.X86Pte.PAGE_SHARED;
import static io.forksim.pte.X86Pte.PAGE_SHARED_EXEC;
import static io.forksim.pte.X86Pte.PAGE_TABLE;
import static io.forksim.pte.X86Pte.PFN_MASK;
import static io.forksim.pte.X86Pte.PRESENT;
import static io.forksim.pte.X86Pte.RW;
import static io.forksim.pte.X86Pte.SAVED_DIRTY;
import static io.forksim.pte.X86Pte.SWP_DEVICE_EXCLUSIVE;
import static io.forksim.pte.X86Pte.SWP_EXCLUSIVE;
import static io.forksim.pte.X86Pte.SWP_HWPOISON;
import static io.forksim.pte.X86Pte.SWP_MIGRATION_READ;
import static io.forksim.pte.X86Pte.SWP_MIGRATION_WRITE;
import static io.forksim.pte.X86Pte.SWP_PTE_MARKER;
import static io.forksim.pte.X86Pte.SWP_SOFT_DIRTY;
import static io.forksim.pte.X86Pte.SWP_UFFD_WP;
import static io.forksim.pte.X86Pte.isSwapPte;
import static io.forksim.pte.X86Pte.mkTableEntry;
import static io.forksim.pte.X86Pte.pfnPte;
import static io.forksim.pte.X86Pte.pteAdvancePfn;
import static io.forksim.pte.X86Pte.pteClearUffdWp;
import static io.forksim.pte.X86Pte.pteDirty;
import static io.forksim.pte.X86Pte.pteMkclean;
import static io.forksim.pte.X86Pte.pteMkdirty;
import static io.forksim.pte.X86Pte.pteMkold;
import static io.forksim.pte.X86Pte.pteMkuffdWp;
import static io.forksim.pte.X86Pte.pteMkwrite;
import static io.forksim.pte.X86Pte.pteMkyoung;
import static io.forksim.pte.X86Pte.pteNone;
import static io.forksim.pte.X86Pte.ptePfn;
import static io.forksim.pte.X86Pte.ptePgprot;
import static io.forksim.pte.X86Pte.ptePresent;
import static io.forksim.pte.X86Pte.pteProtnone;
import static io.forksim.pte.X86Pte.pteSame;
import static io.forksim.pte.X86Pte.pteSoftDirty;
import static io.forksim.pte.X86Pte.pteSwpClearExclusive;
import static io.forksim.pte.X86Pte.pteSwpClearSoftDirty;
import static io.forksim.pte.X86Pte.pteSwpClearUffdWp;
import static io.forksim.pte.X86Pte.pteSwpExclusive;
import static io.forksim.pte.X86Pte.pteSwpMkexclusive;
import static io.forksim.pte.X86Pte.pteSwpMksoftDirty;
import static io.forksim.pte.X86Pte.pteSwpMkuffdWp;
import static io.forksim.pte.X86Pte.pteSwpOffset;
import static io.forksim.pte.X86Pte.pteSwpSoftDirty;
import static io.forksim.pte.X86Pte.pteSwpType;
import static io.forksim.pte.X86Pte.pteSwpUffdWp;
import static io.forksim.pte.X86Pte.pteUffdWp;
import static io.forksim.pte.X86Pte.pteWrite;
import static io.forksim.pte.X86Pte.pteWrprotect;
import static io.forksim.pte.X86Pte.pteYoung;
import static io.forksim.pte.X86Pte.swpEntryToPte;
import static io.forksim.pte.X86Pte.tableEntryPfn;
import static io.forksim.pte.X86Pte.tableEntryPresent;
import static io.forksim.pte.X86Pte.vmGetPageProt;
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
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * x86-64 PTE helpers against the kernel's definitions. The algebraic part follows
 * {@code mm/debug_vm_pgtable.c} ({@code pte_basic_tests}): every {@code vm_get_page_prot} value,
 * made young/old and dirty/clean, must satisfy the inverse-pair laws. The exact words are
 * computed by hand from {@code pgtable_types.h} / {@code pgtable_64.h}; each says how.
 */
class X86PteTest
{

    /** Any PFN well inside the 40-bit field; debug_vm_pgtable uses a real kernel-text PFN. */
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
    private static final List<LongUnaryOperator> MODIFIERS = List.of(X86Pte::pteMkdirty,
        X86Pte::pteMkclean, X86Pte::pteWrprotect, X86Pte::pteMkwrite, X86Pte::pteMkold,
        X86Pte::pteMkyoung, X86Pte::pteMkuffdWp, X86Pte::pteClearUffdWp, X86Pte::pteMksoftDirty,
        X86Pte::pteClearSoftDirty, X86Pte::pteMkspecial);

    @Nested
    @DisplayName("debug_vm_pgtable laws, for every protection x young x dirty")
    class DebugVmPgtableLaws
    {

        @ParameterizedTest(name = "vm_flags {0}")
        @MethodSource("io.forksim.pte.X86PteTest#freshProts")
        void freshPteFromVmGetPageProtIsNotDirtyAfterWrprotect(final int idx, final long prot)
        {
            assertThat(pteDirty(pteWrprotect(pfnPte(FIXED_PFN, prot)))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.X86PteTest#sweep")
        void ptesAreSameAsThemselves(final Case c)
        {
            assertThat(pteSame(c.pte(), c.pte())).isTrue();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.X86PteTest#sweep")
        void mkyoungAfterMkoldIsYoungAndMkoldAfterMkyoungIsOld(final Case c)
        {
            assertThat(pteYoung(pteMkyoung(pteMkold(c.pte())))).isTrue();
            assertThat(pteYoung(pteMkold(pteMkyoung(c.pte())))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.X86PteTest#sweep")
        void mkdirtyAfterMkcleanIsDirtyAndMkcleanAfterMkdirtyIsClean(final Case c)
        {
            assertThat(pteDirty(pteMkdirty(pteMkclean(c.pte())))).isTrue();
            assertThat(pteDirty(pteMkclean(pteMkdirty(c.pte())))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.X86PteTest#sweep")
        void mkwriteIsWritableAndWrprotectAfterMkwriteIsNot(final Case c)
        {
            assertThat(pteWrite(pteMkwrite(c.pte()))).isTrue();
            assertThat(pteWrite(pteMkwrite(pteWrprotect(c.pte())))).isTrue();
            assertThat(pteWrite(pteWrprotect(pteMkwrite(c.pte())))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.X86PteTest#sweep")
        void dirtySurvivesWrprotectAndCleanStaysClean(final Case c)
        {
            assertThat(pteDirty(pteWrprotect(pteMkdirty(c.pte())))).isTrue();
            assertThat(pteDirty(pteWrprotect(pteMkclean(c.pte())))).isFalse();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.X86PteTest#sweep")
        void mkwriteKeepsDirtinessAsItWas(final Case c)
        {
            // The Oct 2025 additions to debug_vm_pgtable (written against pte_mkwrite_novma).
            assertThat(pteDirty(pteMkwrite(pteMkdirty(c.pte())))).isTrue();
            assertThat(pteDirty(pteMkwrite(pteMkclean(c.pte())))).isFalse();
            assertThat(pteWrite(pteMkdirty(pteMkwrite(c.pte())))).isTrue();
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.X86PteTest#sweep")
        void pfnSurvivesTheRoundTripThroughPfnPteAndPgprot(final Case c)
        {
            assertThat(ptePfn(c.pte())).isEqualTo(FIXED_PFN);
            assertThat(pfnPte(ptePfn(c.pte()), ptePgprot(c.pte()))).isEqualTo(c.pte());
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.X86PteTest#sweep")
        void advancePfnMovesOnlyThePfn(final Case c)
        {
            for (long n : new long[] {1, 15, 16, 511})
            {
                long next = pteAdvancePfn(c.pte(), n);
                assertThat(ptePfn(next)).isEqualTo(FIXED_PFN + n);
                assertThat(ptePgprot(next)).isEqualTo(ptePgprot(c.pte()));
                assertThat(next).isEqualTo(pfnPte(FIXED_PFN + n, ptePgprot(c.pte())));
            }
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("io.forksim.pte.X86PteTest#sweep")
        void dirtyLivesInDWhileWritableAndInSavedDirtyWhileNot(final Case c)
        {
            // Write=0,Dirty=1 is a shadow-stack PTE to a CET CPU, so no helper may create it;
            // and a writable PTE keeps its dirtiness in D, never in SavedDirty.
            for (LongUnaryOperator first : MODIFIERS)
            {
                for (LongUnaryOperator second : MODIFIERS)
                {
                    long p = second.applyAsLong(first.applyAsLong(c.pte()));
                    assertThat(p & (RW | DIRTY)).as("RW|D of 0x%x", p).isNotEqualTo(DIRTY);
                    assertThat(p & (RW | SAVED_DIRTY)).as("RW|SVD of 0x%x", p)
                        .isNotEqualTo(RW | SAVED_DIRTY);
                }
            }
        }
    }

    @Nested
    @DisplayName("exact words from the kernel definitions")
    class ExactWords
    {

        @Test
        void protectionConstantsMatchPgtableTypes()
        {
            // PAGE_NONE = _PAGE_PROTNONE(0x100) | _PAGE_ACCESSED(0x20)
            assertThat(PAGE_NONE).isEqualTo(0x120L);
            // P(1) | US(4) | A(0x20) | NX(1<<63)
            assertThat(PAGE_READONLY).isEqualTo(0x8000000000000025L);
            assertThat(PAGE_COPY).isEqualTo(0x8000000000000025L);
            // ... | RW(2)
            assertThat(PAGE_SHARED).isEqualTo(0x8000000000000027L);
            // the _EXEC variants drop NX
            assertThat(PAGE_READONLY_EXEC).isEqualTo(0x25L);
            assertThat(PAGE_COPY_EXEC).isEqualTo(0x25L);
            assertThat(PAGE_SHARED_EXEC).isEqualTo(0x27L);
            // _PAGE_TABLE = P | RW | US | A | D(0x40)
            assertThat(PAGE_TABLE).isEqualTo(0x67L);
            assertThat(SAVED_DIRTY).isEqualTo(0x0400000000000000L);
            assertThat(PFN_MASK).isEqualTo(0x000FFFFFFFFFF000L);
        }

        @Test
        void presentPfnIsPtePfnOfAPresentEntryAndMinusOneOfAnyOther()
        {
            assertThat(X86Pte.presentPfn(pfnPte(0x1234, PAGE_COPY))).isEqualTo(0x1234L);
            assertThat(X86Pte.presentPfn(pfnPte(0x1234, PAGE_NONE))).isEqualTo(0x1234L);   // PROT_NONE: inverted PFN
            assertThat(X86Pte.presentPfn(0L)).isEqualTo(-1L);
            assertThat(X86Pte.presentPfn(ACCESSED | DIRTY)).isEqualTo(-1L);                 // pte_none's erratum bits
            final SplittableRandom random = new SplittableRandom(15);
            for (int n = 0; n < 100_000; n++)
            {
                final long pte = random.nextLong();
                assertThat(X86Pte.presentPfn(pte)).as("0x%x", pte).isEqualTo(ptePresent(pte) ? ptePfn(pte) : -1L);
            }
        }

        @Test
        void vmGetPageProtFollowsProtectionMap()
        {
            assertThat(vmGetPageProt(false, false, false, false)).isEqualTo(PAGE_NONE);
            assertThat(vmGetPageProt(true, false, false, false)).isEqualTo(PAGE_READONLY);
            assertThat(vmGetPageProt(true, true, false, false)).isEqualTo(PAGE_COPY);
            assertThat(vmGetPageProt(false, true, false, false)).isEqualTo(PAGE_COPY);
            assertThat(vmGetPageProt(true, false, true, false)).isEqualTo(PAGE_READONLY_EXEC);
            assertThat(vmGetPageProt(true, true, true, false)).isEqualTo(PAGE_COPY_EXEC);
            assertThat(vmGetPageProt(false, false, false, true)).isEqualTo(PAGE_NONE);
            assertThat(vmGetPageProt(true, false, false, true)).isEqualTo(PAGE_READONLY);
            assertThat(vmGetPageProt(true, true, false, true)).isEqualTo(PAGE_SHARED);
            assertThat(vmGetPageProt(false, true, false, true)).isEqualTo(PAGE_SHARED);
            assertThat(vmGetPageProt(true, false, true, true)).isEqualTo(PAGE_READONLY_EXEC);
            assertThat(vmGetPageProt(true, true, true, true)).isEqualTo(PAGE_SHARED_EXEC);
        }

        @Test
        void privateWritableMappingsStartReadOnlyAndSharedWritableOnesWritable()
        {
            assertThat(pteWrite(pfnPte(FIXED_PFN, vmGetPageProt(true, true, false, false)))).isFalse();
            assertThat(pteWrite(pfnPte(FIXED_PFN, vmGetPageProt(true, true, false, true)))).isTrue();
        }

        @Test
        void pfnPteOfPageCopyPutsPfnAtBit12UnderTheProtection()
        {
            // 0x1234 << 12 = 0x1234000, | PAGE_COPY 0x8000000000000025
            assertThat(pfnPte(0x1234, PAGE_COPY)).isEqualTo(0x8000000001234025L);
            // | PAGE_SHARED 0x8000000000000027
            assertThat(pfnPte(0x1234, PAGE_SHARED)).isEqualTo(0x8000000001234027L);
        }

        @Test
        void mkTableEntryIsThePhysicalAddressUnderPageTable()
        {
            // 0x5678 << 12 = 0x5678000, | _PAGE_TABLE 0x67
            long e = mkTableEntry(0x5678);
            assertThat(e).isEqualTo(0x5678067L);
            assertThat(tableEntryPfn(e)).isEqualTo(0x5678L);
            assertThat(tableEntryPresent(e)).isTrue();
            assertThat(tableEntryPresent(0)).isFalse();
        }
    }

    @Nested
    @DisplayName("SavedDirty (bit 58) keeps dirtiness while RW is clear")
    class SavedDirty
    {

        /** A dirty, writable shared PTE as the CPU leaves it: 0x8000000001234027 | D(0x40). */
        private static final long DIRTY_WRITABLE = 0x8000000001234067L;

        @Test
        void wrprotectOfDirtyPteMovesDirtyIntoSavedDirty()
        {
            // clear RW (2) -> ...065; D (0x40) moves to bit 58 (0x0400000000000000) -> ...025
            long p = pteWrprotect(DIRTY_WRITABLE);
            assertThat(p).isEqualTo(0x8400000001234025L);
            assertThat(p & DIRTY).isZero();
            assertThat(p & SAVED_DIRTY).isEqualTo(SAVED_DIRTY);
            assertThat(pteDirty(p)).isTrue();
            assertThat(pteWrite(p)).isFalse();
        }

        @Test
        void mkwriteMovesSavedDirtyBackIntoDirty()
        {
            long p = pteMkwrite(0x8400000001234025L);
            assertThat(p).isEqualTo(DIRTY_WRITABLE);
        }

        @Test
        void wrprotectOfCleanPteOnlyClearsRw()
        {
            assertThat(pteWrprotect(0x8000000001234027L)).isEqualTo(0x8000000001234025L);
        }

        @Test
        void mkdirtyOnReadOnlyPteSetsSavedDirtyAndSoftDirtyButNotD()
        {
            // PAGE_COPY pte 0x8000000001234025 | D | SOFT_DIRTY(0x800) = ...865, D -> bit 58
            long p = pteMkdirty(pfnPte(0x1234, PAGE_COPY));
            assertThat(p).isEqualTo(0x8400000001234825L);
            assertThat(pteSoftDirty(p)).isTrue();
        }

        @Test
        void mkdirtyOnWritablePteSetsDAndSoftDirty()
        {
            assertThat(pteMkdirty(0x8000000001234027L)).isEqualTo(0x8000000001234867L);
        }

        @Test
        void mkcleanClearsBothDirtyBitsButKeepsSoftDirty()
        {
            long p = pteMkclean(0x8400000001234825L);
            assertThat(p).isEqualTo(0x8000000001234825L);
            assertThat(pteDirty(pteMkclean(DIRTY_WRITABLE))).isFalse();
        }

        @Test
        void mkuffdWpMarksAndWriteProtectsKeepingDirtiness()
        {
            // | UFFD_WP (0x400), clear RW, D -> SavedDirty
            long p = pteMkuffdWp(DIRTY_WRITABLE);
            assertThat(p).isEqualTo(0x8400000001234425L);
            assertThat(pteUffdWp(p)).isTrue();
            assertThat(pteClearUffdWp(p)).isEqualTo(0x8400000001234025L);
        }
    }

    @Nested
    @DisplayName("PROT_NONE stores the PFN inverted (L1TF)")
    class ProtNone
    {

        @Test
        void pfnPteOfPageNoneInvertsThePfnField()
        {
            // ~(0x1234 << 12) & PFN_MASK = 0x000FFFFFFEDCB000, | PAGE_NONE 0x120
            long p = pfnPte(0x1234, PAGE_NONE);
            assertThat(p).isEqualTo(0x000FFFFFFEDCB120L);
            assertThat(ptePfn(p)).isEqualTo(0x1234L);
            assertThat(ptePresent(p)).isTrue();
            assertThat(pteProtnone(p)).isTrue();
            assertThat(isSwapPte(p)).isFalse();
        }

        @Test
        void advancePfnOnAnInvertedPteDecrementsTheWord()
        {
            long p = pfnPte(0x1234, PAGE_NONE);
            long next = pteAdvancePfn(p, 1);
            assertThat(next).isEqualTo(p - 0x1000);
            assertThat(next).isEqualTo(pfnPte(0x1235, PAGE_NONE));
        }

        @Test
        void theZeroWordIsNeverInverted()
        {
            assertThat(ptePfn(0)).isZero();
            assertThat(pteNone(0)).isTrue();
        }

        @Test
        void presentPtesAreNotProtnone()
        {
            assertThat(pteProtnone(pfnPte(0x1234, PAGE_COPY))).isFalse();
        }
    }

    @Nested
    @DisplayName("pte_none")
    class None
    {

        @Test
        void noneIgnoresAccessedAndDirtyLikeTheKnightsLandingErratumWorkaround()
        {
            assertThat(pteNone(ACCESSED | DIRTY)).isTrue();
            assertThat(pteNone(PRESENT)).isFalse();
            assertThat(isSwapPte(ACCESSED)).isFalse();
        }
    }

    @Nested
    @DisplayName("swap entries")
    class Swap
    {

        @Test
        void typeZeroOffsetZeroIsAllOnesInTheOffsetField()
        {
            // ~0 << 14 >>> 5 = bits 9..58 set; type 0
            assertThat(swpEntryToPte(0, 0)).isEqualTo(0x07FFFFFFFFFFFE00L);
        }

        @Test
        void typeOneOffsetOne()
        {
            // ~1 << 14 >>> 5 = 0x07FFFFFFFFFFFC00, | 1 << 59
            assertThat(swpEntryToPte(1, 1)).isEqualTo(0x0FFFFFFFFFFFFC00L);
        }

        @Test
        void typeThirtyOneOffset0x123()
        {
            // (~0x123 & (2^50-1)) << 9 = 0x07FFFFFFFFFDB800, | 31 << 59 = 0xF800000000000000
            assertThat(swpEntryToPte(31, 0x123)).isEqualTo(0xFFFFFFFFFFFDB800L);
        }

        @Test
        void maxSwapfilesLeavesTheTopEightTypesToNonSwapEntries()
        {
            assertThat(MAX_SWAPFILES).isEqualTo(24);
            assertThat(SWP_HWPOISON).isEqualTo(MAX_SWAPFILES);
            assertThat(SWP_MIGRATION_WRITE).isEqualTo(27);
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
                    if (!(t == 0 && o == MAX_SWP_OFFSET))
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
            for (int flags = 0; flags < 8; flags++)
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
                if ((flags & 4) != 0)
                {
                    p = pteSwpMksoftDirty(p);
                }
                assertThat(isSwapPte(p)).as("isSwapPte 0x%x", p).isTrue();
                assertThat(ptePresent(p)).isFalse();
                assertThat(pteSwpType(p)).isEqualTo(type);
                assertThat(pteSwpOffset(p)).isEqualTo(offset);
                assertThat(pteSwpExclusive(p)).isEqualTo((flags & 1) != 0);
                assertThat(pteSwpUffdWp(p)).isEqualTo((flags & 2) != 0);
                assertThat(pteSwpSoftDirty(p)).isEqualTo((flags & 4) != 0);
                long cleared = pteSwpClearSoftDirty(pteSwpClearUffdWp(pteSwpClearExclusive(p)));
                assertThat(cleared).isEqualTo(base);
            }
        }

        @Test
        void swapFlagsSitInBitsOneToThree()
        {
            assertThat(SWP_SOFT_DIRTY).isEqualTo(1L << 1);
            assertThat(SWP_UFFD_WP).isEqualTo(1L << 2);
            assertThat(SWP_EXCLUSIVE).isEqualTo(1L << 3);
            assertThat(swpEntryToPte(1, 1) & 0x1FFL).isZero();
        }
    }

    @Nested
    @DisplayName("bad input is rejected with the value in the message")
    class BadInput
    {

        @ParameterizedTest
        @ValueSource(longs = {1L << 40, -1L, Long.MAX_VALUE})
        void pfnThatDoesNotFitFortyBits(final long pfn)
        {
            assertThatThrownBy(() -> pfnPte(pfn, PAGE_COPY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pfn=" + pfn);
            assertThatThrownBy(() -> mkTableEntry(pfn))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pfn=" + pfn);
        }

        @Test
        void largestPfnIsAccepted()
        {
            assertThat(ptePfn(pfnPte(MAX_PFN, PAGE_COPY))).isEqualTo(MAX_PFN);
        }

        @Test
        void advancingPastTheLargestPfn()
        {
            long p = pfnPte(MAX_PFN, PAGE_COPY);
            assertThatThrownBy(() -> pteAdvancePfn(p, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pfn=" + (MAX_PFN + 1));
        }

        @Test
        void protWithPfnBits()
        {
            assertThatThrownBy(() -> pfnPte(1, PAGE_COPY | 0x1000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prot=0x8000000000001025");
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
            assertThatThrownBy(() -> swpEntryToPte(0, MAX_SWP_OFFSET))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset=" + MAX_SWP_OFFSET);
        }
    }

    // -------------------------------------------------------------------------------------------
    // Randomised round trips (fixed seed, so a failure reproduces)
    // -------------------------------------------------------------------------------------------

    @Test
    void anyEncodableSwapEntryRoundTrips()
    {
        SplittableRandom rnd = new SplittableRandom(0x5EED_0001L);
        for (int i = 0; i < 20_000; i++)
        {
            int type = rnd.nextInt(MAX_SWP_TYPE + 1);
            long offset = rnd.nextLong(MAX_SWP_OFFSET + 1) >>> rnd.nextInt(50);
            if (type == 0 && offset == MAX_SWP_OFFSET)
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
        SplittableRandom rnd = new SplittableRandom(0x5EED_0002L);
        for (int i = 0; i < 20_000; i++)
        {
            long pfn = rnd.nextLong(MAX_PFN + 1) >>> rnd.nextInt(40);
            int idx = rnd.nextInt(16);
            long prot = vmGetPageProt((idx & 1) != 0, (idx & 2) != 0, (idx & 4) != 0, (idx & 8) != 0);
            long p = pfnPte(pfn, prot);
            assertThat(ptePfn(p)).as("pfn %d prot 0x%x", pfn, prot).isEqualTo(pfn);
            assertThat(ptePgprot(p)).isEqualTo(prot);
            assertThat(ptePresent(p)).isTrue();
        }
    }
}
