package io.forksim.host;

import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.ArrayRealVector;
import org.hipparchus.linear.RealMatrix;
import org.hipparchus.linear.RealVector;
import org.hipparchus.linear.SingularValueDecomposition;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A linear cost model of the host kernel's fork(): one non-negative cost in ns per simulated event kind, so that
 * Σ cost × events per page ≈ the kernel's ns per page of each shape.
 *
 * <p>The fit is non-negative least squares (Lawson and Hanson's active-set method; each unconstrained subproblem is
 * solved by Hipparchus's SVD least-squares solver, which also copes with columns that are collinear among the shapes
 * left in a leave-one-out fit). Hipparchus has no NNLS of its own: its quadratic-programming optimizer
 * ({@code ADMMQPOptimizer}, hipparchus-optim 4.0.2) solves the same problem only to its tolerance, and its polishing
 * step, which would make the answer exact, throws "matrix is singular" whenever a bound is active, i.e. whenever a
 * cost is zero. So the exact active-set method stays here, and {@code NnlsCrossCheckTest} checks it against that library
 * optimizer on random problems. Each shape's residual is weighted by 1 / its kernel ns/page, so the fit minimises
 * relative errors, the measure the report gives. Columns are scaled to unit norm first (NNLS does not depend on
 * that scaling; the SVD's rank decision does).
 *
 * <p>Columns enter in {@link #priority} order, and only when they raise the rank of the shapes' event matrix, and
 * never more than shapes − 1: a column that is zero for every shape (e.g. pte_wrprotect in the steady state) or a
 * multiple of the ones before it cannot be told apart by these shapes and is left out (its cost reported as not fitted).
 */
public final class CostModel
{
    /** Relative singular-value threshold below which a column adds no rank. */
    static final double RANK_TOL = 1e-9;

    /**
     * A fitted model.
     *
     * @param names the event kinds (all candidates)
     * @param costs ns per event, by {@code names}; NaN for a kind not fitted
     * @param predicted model ns/page per shape
     * @param r2 coefficient of determination of the model ns/page against the kernel's
     */
    public record Fit(String[] names, double[] costs, double[] predicted, double r2)
    {
        /** ns/page the model gives for events per page {@code x}. */
        public double predict(final double[] x)
        {
            double s = 0;
            for (int j = 0; j < costs.length; j++)
            {
                if (!Double.isNaN(costs[j]))
                {
                    s += costs[j] * x[j];
                }
            }
            return s;
        }
    }

    private CostModel()
    {
    }

    /**
     * The columns the fit uses: in {@code priority} order, each that adds rank, at most {@code rows - 1}.
     *
     * @param x events per page, one row per shape
     * @param priority column indexes, most important first
     */
    public static int[] selectColumns(final double[][] x, final int[] priority)
    {
        final List<Integer> chosen = new ArrayList<>();
        for (final int c : priority)
        {
            if (chosen.size() >= x.length - 1)
            {
                break;
            }
            final List<Integer> trial = new ArrayList<>(chosen);
            trial.add(c);
            final int[] t = trial.stream().mapToInt(Integer::intValue).toArray();
            if (rank(normalized(sub(x, t, allRows(x.length)))) == t.length)
            {
                chosen.add(c);
            }
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Fits the costs on every row.
     *
     * <p>Preconditions: {@code x} has one row per shape, {@code y[i] > 0} (kernel ns/page); {@code cols} from
     * {@link #selectColumns}.
     */
    public static Fit fit(final String[] names, final double[][] x, final double[] y, final int[] cols)
    {
        final double[] costs = solve(x, y, cols, allRows(x.length));
        final double[] pred = new double[x.length];
        final Fit f0 = new Fit(names, costs, pred, Double.NaN);
        for (int i = 0; i < x.length; i++)
        {
            pred[i] = f0.predict(x[i]);
        }
        return new Fit(names, costs, pred, r2(y, pred));
    }

    /** Leave-one-out: for each row, the % error of its prediction by a fit on every other row. */
    public static double[] leaveOneOutErrorPct(final double[][] x, final double[] y, final int[] cols)
    {
        final double[] err = new double[x.length];
        for (int i = 0; i < x.length; i++)
        {
            final int[] rows = new int[x.length - 1];
            for (int r = 0, k = 0; r < x.length; r++)
            {
                if (r != i)
                {
                    rows[k++] = r;
                }
            }
            final double[] costs = solve(x, y, cols, rows);
            double p = 0;
            for (final int c : cols)
            {
                p += costs[c] * x[i][c];
            }
            err[i] = 100 * (p - y[i]) / y[i];
        }
        return err;
    }

    /** NNLS on the given rows and columns; returns costs by all columns (NaN where not fitted). */
    private static double[] solve(final double[][] x, final double[] y, final int[] cols, final int[] rows)
    {
        final double[][] a = sub(x, cols, rows);
        final double[] b = new double[rows.length];
        for (int k = 0; k < rows.length; k++)
        {
            final double w = 1 / y[rows[k]];
            b[k] = 1;
            for (int j = 0; j < cols.length; j++)
            {
                a[k][j] *= w;
            }
        }
        final double[] scale = new double[cols.length];
        for (int j = 0; j < cols.length; j++)
        {
            double s = 0;
            for (final double[] row : a)
            {
                s += row[j] * row[j];
            }
            scale[j] = s == 0 ? 1 : Math.sqrt(s);
            for (final double[] row : a)
            {
                row[j] /= scale[j];
            }
        }
        final double[] z = nnls(new Array2DRowRealMatrix(a, false), new ArrayRealVector(b, false));
        final double[] costs = new double[x[0].length];
        Arrays.fill(costs, Double.NaN);
        for (int j = 0; j < cols.length; j++)
        {
            costs[cols[j]] = z[j] / scale[j];
        }
        return costs;
    }

    /**
     * Non-negative least squares, min ||A z - b|| subject to z >= 0 (Lawson and Hanson 1974, algorithm NNLS); the
     * least-squares subproblems on the passive set use Hipparchus's SVD solver.
     */
    static double[] nnls(final RealMatrix a, final RealVector b)
    {
        final int n = a.getColumnDimension();
        final double tol = 1e-12 * Math.max(1, a.getNorm1()) * n;
        final boolean[] passive = new boolean[n];
        RealVector z = new ArrayRealVector(n);
        RealVector w = a.transpose().operate(b.subtract(a.operate(z)));
        for (int outer = 0; outer < 30 * n + 30; outer++)
        {
            int t = -1;
            for (int j = 0; j < n; j++)
            {
                if (!passive[j] && w.getEntry(j) > tol && (t < 0 || w.getEntry(j) > w.getEntry(t)))
                {
                    t = j;
                }
            }
            if (t < 0)
            {
                break;
            }
            passive[t] = true;
            while (true)
            {
                final RealVector s = passiveSolve(a, b, passive);
                boolean allPositive = true;
                for (int j = 0; j < n; j++)
                {
                    if (passive[j] && s.getEntry(j) <= 0)
                    {
                        allPositive = false;
                        break;
                    }
                }
                if (allPositive)
                {
                    z = s;
                    break;
                }
                double alpha = Double.POSITIVE_INFINITY;
                for (int j = 0; j < n; j++)
                {
                    if (passive[j] && s.getEntry(j) <= 0)
                    {
                        alpha = Math.min(alpha, z.getEntry(j) / (z.getEntry(j) - s.getEntry(j)));
                    }
                }
                z = z.add(s.subtract(z).mapMultiply(alpha));
                for (int j = 0; j < n; j++)
                {
                    if (passive[j] && z.getEntry(j) <= tol)
                    {
                        passive[j] = false;
                        z.setEntry(j, 0);
                    }
                }
            }
            w = a.transpose().operate(b.subtract(a.operate(z)));
        }
        return z.toArray();
    }

    private static RealVector passiveSolve(final RealMatrix a, final RealVector b, final boolean[] passive)
    {
        final int[] idx = java.util.stream.IntStream.range(0, passive.length).filter(j -> passive[j]).toArray();
        final int[] rows = java.util.stream.IntStream.range(0, a.getRowDimension()).toArray();
        final RealMatrix ap = a.getSubMatrix(rows, idx);
        final RealVector sp = new SingularValueDecomposition(ap).getSolver().solve(b);
        final RealVector s = new ArrayRealVector(passive.length);
        for (int k = 0; k < idx.length; k++)
        {
            s.setEntry(idx[k], sp.getEntry(k));
        }
        return s;
    }

    static double r2(final double[] y, final double[] p)
    {
        double mean = 0;
        for (final double v : y)
        {
            mean += v;
        }
        mean /= y.length;
        double ssRes = 0;
        double ssTot = 0;
        for (int i = 0; i < y.length; i++)
        {
            ssRes += (y[i] - p[i]) * (y[i] - p[i]);
            ssTot += (y[i] - mean) * (y[i] - mean);
        }
        return ssTot == 0 ? Double.NaN : 1 - ssRes / ssTot;
    }

    private static int rank(final double[][] m)
    {
        final double[] sv = new SingularValueDecomposition(new Array2DRowRealMatrix(m, false)).getSingularValues();
        int r = 0;
        for (final double s : sv)
        {
            if (s > RANK_TOL * sv[0])
            {
                r++;
            }
        }
        return r;
    }

    private static double[][] normalized(final double[][] m)
    {
        for (int j = 0; j < m[0].length; j++)
        {
            double s = 0;
            for (final double[] row : m)
            {
                s += row[j] * row[j];
            }
            if (s == 0)
            {
                continue;
            }
            final double n = Math.sqrt(s);
            for (final double[] row : m)
            {
                row[j] /= n;
            }
        }
        return m;
    }

    private static double[][] sub(final double[][] x, final int[] cols, final int[] rows)
    {
        final double[][] a = new double[rows.length][cols.length];
        for (int k = 0; k < rows.length; k++)
        {
            for (int j = 0; j < cols.length; j++)
            {
                a[k][j] = x[rows[k]][cols[j]];
            }
        }
        return a;
    }

    private static int[] allRows(final int n)
    {
        return java.util.stream.IntStream.range(0, n).toArray();
    }
}
