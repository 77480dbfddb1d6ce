package io.forksim.host;

import io.forksim.fork.Strategy;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The simulator twins at 4 MiB (1,024 pages, two PTE tables plus the PMD, PUD and PGD pages of the child), in the
 * steady state of a fork loop. Features: pte_table, pte, pte_wrprotect, batch, folio_ref, large_folio_page.
 */
class SimShapesTest
{
    private static final long SIZE = 4L << 20;

    private static double[] features(final Shape s, final Strategy st)
    {
        return SimShapes.fork(s, SIZE, "x86_64", st).features();
    }

    @Test
    void order0CopiesEveryPteWithOneFolioUpdateEachAndWriteProtectsNothingInTheSteadyState()
    {
        assertThat(features(Shape.ORDER_0, Strategy.FOLIO_BATCH)).containsExactly(5, 1024, 0, 1024, 1024, 0);
        assertThat(features(Shape.ORDER_0_RO, Strategy.FOLIO_BATCH)).containsExactly(5, 1024, 0, 1024, 1024, 0);
    }

    @Test
    void pteMappedOrder9FolioBatchUpdatesEachFolioOnceAndTouchesEveryPage()
    {
        assertThat(features(Shape.ORDER_9_PTE, Strategy.FOLIO_BATCH)).containsExactly(5, 1024, 0, 2, 2, 1024);
        assertThat(features(Shape.ORDER_9_PTE, Strategy.LEGACY)).containsExactly(5, 1024, 0, 1024, 1024, 1024);
        assertThat(features(Shape.ORDER_9_PTE, Strategy.ARCH_BATCH)).containsExactly(5, 1024, 0, 1024, 1024, 1024);
    }

    @Test
    void order4FolioBatchUpdatesEach64KFolioOnce()
    {
        assertThat(features(Shape.mthp(4), Strategy.FOLIO_BATCH)).containsExactly(5, 1024, 0, 64, 64, 1024);
    }

    @Test
    void sparseCopiesOnePtePerTableAndTheZeroPageNoFolio()
    {
        assertThat(features(Shape.ORDER_0_SPARSE, Strategy.FOLIO_BATCH)).containsExactly(5, 2, 0, 2, 2, 0);
        assertThat(features(Shape.ORDER_0_SPARSE16, Strategy.FOLIO_BATCH)).containsExactly(5, 32, 0, 32, 32, 0);
        final SimShapes.SimFork zero = SimShapes.fork(Shape.ZERO, SIZE, "x86_64", Strategy.FOLIO_BATCH);
        assertThat(zero.features()).containsExactly(5, 1024, 0, 1024, 0, 0);
        assertThat(zero.events()).containsEntry("pte_store", 1024L).doesNotContainKey("refcount_update");
    }

    @Test
    void pmdMappedThpHasNoTwinYet()
    {
        assertThat(SimShapes.hasTwin(Shape.ORDER_9_PMD)).isFalse();
        assertThatThrownBy(() -> SimShapes.fork(Shape.ORDER_9_PMD, SIZE, "x86_64", Strategy.FOLIO_BATCH))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("the cost model has no twin of order-9-pmd (no feature for copy_huge_pmd's work yet)");
    }
}
