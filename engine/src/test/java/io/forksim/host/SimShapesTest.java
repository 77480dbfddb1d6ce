package io.forksim.host;

import io.forksim.fork.Strategy;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The simulator twins at 4 MiB (1,024 pages: two PTE tables, and the child's PGD-level, PUD and PMD tables), in the
 * steady state of a fork loop. Features, in order: pte_table, zero_pte, small_folio_pte, large_folio_pte,
 * large_folio_call, large_folio, huge_pmd, pte_wrprotect.
 */
class SimShapesTest
{
    private static final long SIZE = 4L << 20;

    private static double[] features(final Shape s, final Strategy st)
    {
        return SimShapes.fork(s, SIZE, "x86_64", st).features();
    }

    @Test
    void order0CopiesEveryPteOfAnOrder0FolioAndWriteProtectsNothingInTheSteadyState()
    {
        assertThat(features(Shape.ORDER_0, Strategy.FOLIO_BATCH)).containsExactly(5, 0, 1024, 0, 0, 0, 0, 0);
        assertThat(features(Shape.ORDER_0_RO, Strategy.FOLIO_BATCH)).containsExactly(5, 0, 1024, 0, 0, 0, 0, 0);
        assertThat(features(Shape.ORDER_0, Strategy.LEGACY)).containsExactly(5, 0, 1024, 0, 0, 0, 0, 0);
    }

    @Test
    void pteMappedOrder9FolioBatchMakesOneCallPerFolioAndLegacyOnePerPte()
    {
        assertThat(features(Shape.ORDER_9_PTE, Strategy.FOLIO_BATCH)).containsExactly(5, 0, 0, 1024, 2, 2, 0, 0);
        assertThat(features(Shape.ORDER_9_PTE, Strategy.LEGACY)).containsExactly(5, 0, 0, 1024, 1024, 2, 0, 0);
        assertThat(features(Shape.ORDER_9_PTE, Strategy.ARCH_BATCH)).containsExactly(5, 0, 0, 1024, 1024, 2, 0, 0);
    }

    @Test
    void order4FolioBatchMakesOneCallPer64KFolio()
    {
        assertThat(features(Shape.mthp(4), Strategy.FOLIO_BATCH)).containsExactly(5, 0, 0, 1024, 64, 64, 0, 0);
    }

    @Test
    void sparseCopiesOnePtePerTableAndTheZeroPageTouchesNoFolio()
    {
        assertThat(features(Shape.ORDER_0_SPARSE, Strategy.FOLIO_BATCH)).containsExactly(5, 0, 2, 0, 0, 0, 0, 0);
        assertThat(features(Shape.ORDER_0_SPARSE16, Strategy.FOLIO_BATCH)).containsExactly(5, 0, 32, 0, 0, 0, 0, 0);
        final SimShapes.SimFork zero = SimShapes.fork(Shape.ZERO, SIZE, "x86_64", Strategy.FOLIO_BATCH);
        assertThat(zero.features()).containsExactly(5, 1024, 0, 0, 0, 0, 0, 0);
        assertThat(zero.events()).containsEntry("pte_store", 1024L).containsEntry("batches", 1024L).doesNotContainKey("refcount_update");
    }

    @Test
    void pmdMappedThpIsOneCopyHugePmdPer2MiBWhoseDepositedTableIsNotAPteTable()
    {
        final SimShapes.SimFork pmd = SimShapes.fork(Shape.ORDER_9_PMD, SIZE, "x86_64", Strategy.FOLIO_BATCH);
        // the child's PGD-level, PUD and PMD tables; the two deposited tables belong to huge_pmd
        assertThat(pmd.features()).containsExactly(3, 0, 0, 0, 0, 0, 2, 0);
        assertThat(pmd.events()).containsEntry("pmd_copy", 2L).containsEntry("pt_pages_alloc", 5L).doesNotContainKey("pte_store");
        assertThat(features(Shape.ORDER_9_PMD_HALF, Strategy.FOLIO_BATCH)).containsExactly(3, 0, 0, 0, 0, 0, 1, 0);
    }

    @Test
    void theHalfShapesMapEveryOtherPageAndOrder9PteHalfMakesOneCallPerPteOfAWholeLargeFolio()
    {
        assertThat(features(Shape.ORDER_0_HALF, Strategy.FOLIO_BATCH)).containsExactly(5, 0, 512, 0, 0, 0, 0, 0);
        assertThat(features(Shape.ZERO_HALF, Strategy.FOLIO_BATCH)).containsExactly(5, 512, 0, 0, 0, 0, 0, 0);
        final SimShapes.SimFork half = SimShapes.fork(Shape.ORDER_9_PTE_HALF, SIZE, "x86_64", Strategy.FOLIO_BATCH);
        assertThat(half.features()).containsExactly(5, 0, 0, 512, 512, 2, 0, 0);
        // folio_pte_batch reads the PTE after each mapped one to find the batch ends at 1
        assertThat(half.events()).containsEntry("batches", 512L).containsEntry("ptep_get", 1536L);
        assertThat(features(Shape.ORDER_9_PTE_HALF, Strategy.LEGACY)).containsExactly(5, 0, 0, 512, 512, 2, 0, 0);
    }

    @Test
    void theHolesShapesBreakEach2MiBFolioInto33BatchesOf7To15PtesOr129Of1To3()
    {
        // page 8 of every 16 zapped: [0..7], 31 x [9..23 + 16k], [505..511] per folio, 480 PTEs
        assertThat(features(Shape.ORDER_9_PTE_HOLES16, Strategy.FOLIO_BATCH)).containsExactly(5, 0, 0, 960, 66, 2, 0, 0);
        // page 2 of every 4 zapped: [0..1], 127 x [3..5 + 4k], [511] per folio, 384 PTEs
        assertThat(features(Shape.ORDER_9_PTE_HOLES4, Strategy.FOLIO_BATCH)).containsExactly(5, 0, 0, 768, 258, 2, 0, 0);
    }
}
