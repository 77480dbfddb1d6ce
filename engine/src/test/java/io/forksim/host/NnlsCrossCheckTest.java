package io.forksim.host;

import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.ArrayRealVector;
import org.hipparchus.linear.MatrixUtils;
import org.hipparchus.linear.RealMatrix;
import org.hipparchus.linear.RealVector;
import org.hipparchus.optim.InitialGuess;
import org.hipparchus.optim.MaxIter;
import org.hipparchus.optim.nonlinear.scalar.ObjectiveFunction;
import org.hipparchus.optim.nonlinear.vector.constrained.ADMMQPOptimizer;
import org.hipparchus.optim.nonlinear.vector.constrained.ADMMQPOption;
import org.hipparchus.optim.nonlinear.vector.constrained.LinearBoundedConstraint;
import org.hipparchus.optim.nonlinear.vector.constrained.QuadraticFunction;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The cost model's NNLS (Lawson and Hanson) against a library solver of the same problem: Hipparchus's ADMM
 * quadratic-programming optimizer, min ½ zᵀ(AᵀA)z − (Aᵀb)ᵀz subject to z ≥ 0, on random problems of the model's size
 * (20 shapes, 7 costs, unit-norm columns as CostModel scales them), many with costs forced to the zero bound.
 */
class NnlsCrossCheckTest
{
    @Test
    void lawsonHansonAgreesWithHipparchusQuadraticProgrammingOnRandomProblems()
    {
        final Random random = new Random(13);
        int withZeroCosts = 0;
        for (int trial = 0; trial < 40; trial++)
        {
            final int m = 20;
            final int n = 7;
            final double[][] a = new double[m][n];
            final double[] b = new double[m];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    a[i][j] = random.nextDouble();
                }
                b[i] = random.nextDouble() * 2 - 0.5;   // some targets no non-negative combination reaches
            }
            normaliseColumns(a);
            final RealMatrix am = new Array2DRowRealMatrix(a);
            final RealVector bv = new ArrayRealVector(b);

            final double[] lh = CostModel.nnls(am, bv);
            final double[] qp = admm(am, bv);

            for (int j = 0; j < n; j++)
            {
                assertThat(lh[j]).as("trial %d cost %d", trial, j).isGreaterThanOrEqualTo(0).isCloseTo(qp[j], within(1e-6));
                if (lh[j] == 0)
                {
                    withZeroCosts++;
                }
            }
        }
        assertThat(withZeroCosts).as("the problems exercise the zero bound").isPositive();
    }

    private static double[] admm(final RealMatrix a, final RealVector b)
    {
        final int n = a.getColumnDimension();
        final RealMatrix at = a.transpose();
        final QuadraticFunction objective = new QuadraticFunction(at.multiply(a), at.operate(b).mapMultiply(-1), 0.5 * b.dotProduct(b));
        final LinearBoundedConstraint nonNegative = new LinearBoundedConstraint(MatrixUtils.createRealIdentityMatrix(n),
            new ArrayRealVector(n), new ArrayRealVector(n, 1e30));
        final ADMMQPOption option = new ADMMQPOption();
        option.setEps(1e-10);
        option.setPolishing(false);   // the polish step throws "matrix is singular" when a bound is active
        final ADMMQPOptimizer optimizer = new ADMMQPOptimizer();
        final double[] z = optimizer.optimize(new ObjectiveFunction(objective), nonNegative, option, new MaxIter(200_000),
            new InitialGuess(new double[n])).getX().toArray();
        assertThat(optimizer.isConverged()).isTrue();
        return z;
    }

    private static void normaliseColumns(final double[][] a)
    {
        for (int j = 0; j < a[0].length; j++)
        {
            double s = 0;
            for (final double[] row : a)
            {
                s += row[j] * row[j];
            }
            for (final double[] row : a)
            {
                row[j] /= Math.sqrt(s);
            }
        }
    }
}
