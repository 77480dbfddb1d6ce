package io.forksim.host;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CostModelTest
{
    private static final String[] NAMES = SimShapes.FEATURES;

    private static final double T = 515 / 262144.0;
    private static final double S = 512 / 262144.0;

    /**
     * Events per page of eight shapes at 1 GiB (folio-batch, steady state), columns in SimShapes.FEATURES order:
     * pte_table, pte, pte_wrprotect, batch, folio_ref, large_folio_page.
     */
    private static final double[][] X = {
        {T, 1, 0, 1, 1, 0},                 // order-0
        {T, 1, 0, 1 / 512.0, 1 / 512.0, 1}, // order-9-pte
        {T, 1, 0, 1 / 16.0, 1 / 16.0, 1},   // order-4
        {T, S, 0, S, S, 0},                 // order-0-sparse
        {T, 1, 0, 1, 0, 0},                 // zero
        {T, 1, 0, 1 / 4.0, 1 / 4.0, 1},     // order-2
        {T, 1, 0, 1, 1, 0},                 // order-0-ro
        {T, 16 * S, 0, 16 * S, 16 * S, 0},  // order-0-sparse16
    };

    private static double[] kernel(final double table, final double pte, final double batch, final double folio, final double page)
    {
        final double[] y = new double[X.length];
        for (int i = 0; i < X.length; i++)
        {
            y[i] = table * X[i][0] + pte * X[i][1] + batch * X[i][3] + folio * X[i][4] + page * X[i][5];
        }
        return y;
    }

    @Test
    void costsThatMadeTheNumbersAreFoundAgain()
    {
        final double[] y = kernel(2000, 25, 9, 4, 3);
        final int[] cols = CostModel.selectColumns(X, KernelFit.PRIORITY);
        assertThat(cols).containsExactly(1, 3, 0, 4, 5);
        final CostModel.Fit f = CostModel.fit(NAMES, X, y, cols);
        assertThat(f.costs()[0]).isCloseTo(2000, within(1e-6));
        assertThat(f.costs()[1]).isCloseTo(25, within(1e-9));
        assertThat(f.costs()[2]).isNaN();
        assertThat(f.costs()[3]).isCloseTo(9, within(1e-9));
        assertThat(f.costs()[4]).isCloseTo(4, within(1e-9));
        assertThat(f.costs()[5]).isCloseTo(3, within(1e-9));
        assertThat(f.r2()).isCloseTo(1, within(1e-12));
        final double[] loo = CostModel.leaveOneOutErrorPct(X, y, cols);
        for (int i = 0; i < loo.length; i++)
        {
            if (i != 4)
            {
                assertThat(loo[i]).as("shape %d", i).isCloseTo(0, within(1e-6));
            }
        }
        // without the zero page nothing tells a batch from a folio update: its own prediction is off (the sparse
        // shapes stand in for each other)
        assertThat(Math.abs(loo[4])).isGreaterThan(1);
    }

    @Test
    void aCostThatLeastSquaresWouldMakeNegativeIsZero()
    {
        // the order-9-pte and order-4 shapes cost less than zero would: an unconstrained fit gives the large folio
        // page a negative cost; NNLS puts it at 0
        final double[] y = kernel(2000, 25, 9, 4, 0);
        y[1] -= 2;
        y[2] -= 2;
        y[5] -= 2;
        final CostModel.Fit f = CostModel.fit(NAMES, X, y, CostModel.selectColumns(X, KernelFit.PRIORITY));
        assertThat(f.costs()[5]).isEqualTo(0);
        for (final double c : f.costs())
        {
            assertThat(Double.isNaN(c) || c >= 0).isTrue();
        }
        assertThat(f.r2()).isLessThan(1).isGreaterThan(0.9);
    }

    @Test
    void aZeroColumnAndAColumnTheShapesCannotTellApartAreLeftOut()
    {
        // pte_wrprotect (column 2) is 0 everywhere; order-0, its read-only twin and zero have one PTE and one batch
        // per page and the same tables (batch and pte_table are multiples of pte), and differ in folio_ref alone
        final double[][] x = {X[0], X[4], X[6]};
        assertThat(CostModel.selectColumns(x, KernelFit.PRIORITY)).containsExactly(1, 4);
    }

    @Test
    void neverAsManyCostsAsShapes()
    {
        final double[][] x = {X[0], X[1], X[3], X[4]};
        assertThat(CostModel.selectColumns(x, KernelFit.PRIORITY)).containsExactly(1, 3, 0);
        assertThat(CostModel.selectColumns(new double[][] {X[0], X[3], X[7]}, KernelFit.PRIORITY)).containsExactly(1, 0);
    }
}
