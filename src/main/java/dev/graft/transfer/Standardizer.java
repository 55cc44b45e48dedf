package dev.graft.transfer;

/**
 * Per-dimension standardization {@code z = (x - mean) / std}, fitted on training codes and applied
 * unchanged to validation and test codes. A constant dimension (std 0) is only centred.
 */
record Standardizer(double[] mean, double[] std) {

    static Standardizer fit(FeatureCodes codes) {
        int d = codes.dim();
        double[] sum = new double[d];
        double[] sumSq = new double[d];
        float[] v = codes.values();
        for (int i = 0; i < codes.count(); i++) {
            for (int j = 0; j < d; j++) {
                double x = v[i * d + j];
                sum[j] += x;
                sumSq[j] += x * x;
            }
        }
        double[] mean = new double[d];
        double[] std = new double[d];
        int n = Math.max(1, codes.count());
        for (int j = 0; j < d; j++) {
            mean[j] = sum[j] / n;
            double var = sumSq[j] / n - mean[j] * mean[j];
            std[j] = var > 1e-12 ? Math.sqrt(var) : 1;
        }
        return new Standardizer(mean, std);
    }

    FeatureCodes apply(FeatureCodes codes) {
        int d = codes.dim();
        float[] v = codes.values();
        float[] out = new float[v.length];
        for (int i = 0; i < codes.count(); i++) {
            for (int j = 0; j < d; j++) {
                out[i * d + j] = (float) ((v[i * d + j] - mean[j]) / std[j]);
            }
        }
        return new FeatureCodes(out, codes.count(), d, codes.labels(), codes.classNames());
    }
}
