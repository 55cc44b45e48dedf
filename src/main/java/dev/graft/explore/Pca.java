package dev.graft.explore;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Principal components of rows: the leading eigenvectors of their covariance.
 *
 * @param axes {@code [k][d]} unit vectors, largest variance first
 * @param mean {@code [d]}
 * @param explained share of the total variance the axes hold
 */
public record Pca(double[][] axes, double[] mean, double explained) {

    /** The {@code k} leading components of {@code n} rows of {@code d} ({@code rows} row-major). */
    public static Pca fit(float[] rows, int n, int d, int k) {
        if (n < 1 || k < 1 || k > d) {
            throw new IllegalArgumentException("PCA of " + n + " rows of " + d + " into " + k
                    + " components");
        }
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                mean[j] += rows[i * d + j] / (double) n;
            }
        }
        DMatrixRMaj cov = new DMatrixRMaj(d, d);
        double[] u = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                u[j] = rows[i * d + j] - mean[j];
            }
            for (int p = 0; p < d; p++) {
                if (u[p] == 0) {
                    continue;
                }
                for (int q = p; q < d; q++) {
                    cov.add(p, q, u[p] * u[q] / n);
                }
            }
        }
        double trace = 0;
        for (int p = 0; p < d; p++) {
            trace += cov.get(p, p);
            for (int q = 0; q < p; q++) {
                cov.set(p, q, cov.get(q, p));
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(cov)) {
            throw new IllegalStateException("the rows' covariance has no eigen-decomposition");
        }
        Integer[] order = new Integer[d];
        for (int i = 0; i < d; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (i, j) -> Double.compare(eig.getEigenvalue(j).getReal(),
                eig.getEigenvalue(i).getReal()));
        double[][] axes = new double[k][];
        double held = 0;
        for (int c = 0; c < k; c++) {
            axes[c] = eig.getEigenVector(order[c]).getData().clone();
            held += eig.getEigenvalue(order[c]).getReal();
        }
        return new Pca(axes, mean, trace > 0 ? held / trace : 0);
    }

    /** Each row's coordinates on the axes, {@code [n][k]}. */
    public double[][] project(float[] rows, int n) {
        int d = mean.length;
        double[][] out = new double[n][axes.length];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < axes.length; c++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += (rows[i * d + j] - mean[j]) * axes[c][j];
                }
                out[i][c] = s;
            }
        }
        return out;
    }
}
