package io.forksim.host;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CostModelTest
{
    private static final String[] NAMES = SimShapes.FEATURES;

    private static final double T = 515 / 262144.0;
    private static final double U = 3 / 262144.0;
    private static final double S = 512 / 262144.0;

    /**
     * Events per page of thirteen shapes at 1 GiB (folio-batch, steady state), columns in SimShapes.FEATURES order:
     * pte_table, zero_pte, small_folio_pte, large_folio_pte, large_folio_call, large_folio, huge_pmd, pte_wrprotect.
     */
    private static final double[][] X = {
        {T, 0, 1, 0, 0, 0, 0, 0},                           // 0 order-0
        {T, 0, 0, 1, 1 / 512.0, 1 / 512.0, 0, 0},           // 1 order-9-pte
        {T, 0, 0, 1, 1 / 16.0, 1 / 16.0, 0, 0},             // 2 order-4
        {T, 0, S, 0, 0, 0, 0, 0},                           // 3 order-0-sparse
        {T, 1, 0, 0, 0, 0, 0, 0},                           // 4 zero
        {T, 0, 0, 1, 1 / 4.0, 1 / 4.0, 0, 0},               // 5 order-2
        {T, 0, 1, 0, 0, 0, 0, 0},                           // 6 order-0-ro
        {T, 0, 16 * S, 0, 0, 0, 0, 0},                      // 7 order-0-sparse16
        {U, 0, 0, 0, 0, 0, S, 0},                           // 8 order-9-pmd
        {T, 0.5, 0, 0, 0, 0, 0, 0},                         // 9 zero-half
        {T, 0, 0, 0.5, 0.5, 1 / 512.0, 0, 0},               // 10 order-9-pte-half
        {U, 0, 0, 0, 0, 0, S / 2, 0},                       // 11 order-9-pmd-half
        {T, 0, 0, 15 / 16.0, 33 / 512.0, 1 / 512.0, 0, 0},  // 12 order-9-pte-holes
    };

    private static double[] kernel(final double[][] x, final double... costs)
    {
        final double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++)
        {
            for (int j = 0; j < costs.length; j++)
            {
                y[i] += costs[j] * x[i][j];
            }
        }
        return y;
    }

    @Test
    void costsThatMadeTheNumbersAreFoundAgainAndEveryShapeIsPredictedByTheOthers()
    {
        final double[] y = kernel(X, 2000, 40, 110, 30, 20, 200, 900);
        final int[] cols = CostModel.selectColumns(X, KernelFit.PRIORITY);
        assertThat(cols).containsExactly(2, 3, 4, 0, 1, 5, 6);
        final CostModel.Fit f = CostModel.fit(NAMES, X, y, cols);
        assertThat(f.costs()[0]).isCloseTo(2000, within(1e-6));
        assertThat(f.costs()[1]).isCloseTo(40, within(1e-9));
        assertThat(f.costs()[2]).isCloseTo(110, within(1e-9));
        assertThat(f.costs()[3]).isCloseTo(30, within(1e-9));
        assertThat(f.costs()[4]).isCloseTo(20, within(1e-6));
        assertThat(f.costs()[5]).isCloseTo(200, within(1e-6));
        assertThat(f.costs()[6]).isCloseTo(900, within(1e-6));
        assertThat(f.costs()[7]).isNaN();
        assertThat(f.r2()).isCloseTo(1, within(1e-12));
        for (final double e : CostModel.leaveOneOutErrorPct(X, y, cols))
        {
            assertThat(e).isCloseTo(0, within(1e-6));
        }
    }

    @Test
    void aCostThatRestsOnOneShapeAloneCannotPredictThatShape()
    {
        // without zero-half, nothing but zero has a zero-page PTE: left out, its cost is 0 and zero's prediction is
        // only its tables
        final double[][] x = Arrays.copyOf(X, 9);
        final double[] y = kernel(x, 2000, 40, 110, 30, 20, 200, 900);
        final double[] loo = CostModel.leaveOneOutErrorPct(x, y, CostModel.selectColumns(x, KernelFit.PRIORITY));
        assertThat(loo[4]).isCloseTo(100 * (2000 * T - y[4]) / y[4], within(1e-6));
        assertThat(loo[8]).as("order-9-pmd without its half").isCloseTo(100 * (2000 * U - y[8]) / y[8], within(1e-6));
        assertThat(loo[0]).isCloseTo(0, within(1e-6));
    }

    @Test
    void aCostThatLeastSquaresWouldMakeNegativeIsZero()
    {
        // the shapes whose holes break folio batches cost less than their PTEs alone would: an unconstrained fit gives
        // the call on a large folio a negative cost; NNLS puts it at 0
        final double[] y = kernel(X, 2000, 40, 110, 30, 0, 200, 900);
        y[10] -= 6;
        y[12] -= 1;
        final CostModel.Fit f = CostModel.fit(NAMES, X, y, CostModel.selectColumns(X, KernelFit.PRIORITY));
        assertThat(f.costs()[4]).isEqualTo(0);
        for (final double c : f.costs())
        {
            assertThat(Double.isNaN(c) || c >= 0).isTrue();
        }
        assertThat(f.r2()).isLessThan(1).isGreaterThan(0.9);
    }

    @Test
    void aZeroColumnAndAColumnTheShapesCannotTellApartAreLeftOut()
    {
        // order-0, its read-only twin and zero: three shapes, so two costs at most; large_folio_pte and
        // large_folio_call are zero columns here, pte_table enters second and zero_pte finds no room
        final double[][] x = {X[0], X[4], X[6]};
        assertThat(CostModel.selectColumns(x, KernelFit.PRIORITY)).containsExactly(2, 0);
    }

    @Test
    void neverAsManyCostsAsShapes()
    {
        // order-0, order-9-pte, order-0-sparse, zero: large_folio_call is a multiple of large_folio_pte here
        final double[][] x = {X[0], X[1], X[3], X[4]};
        assertThat(CostModel.selectColumns(x, KernelFit.PRIORITY)).containsExactly(2, 3, 0);
        assertThat(CostModel.selectColumns(new double[][] {X[0], X[3], X[7]}, KernelFit.PRIORITY)).containsExactly(2, 0);
    }
}
