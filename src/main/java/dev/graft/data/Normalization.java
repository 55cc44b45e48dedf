package dev.graft.data;

import java.util.Arrays;
import java.util.List;

/**
 * Per-channel input normalization {@code x' = (x / 255 - mean) / std}, fitted on a training
 * split and stored with the model so evaluation and transfer see inputs the same way.
 */
public record Normalization(float[] mean, float[] std) {

    public Normalization {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std need one value per channel, got "
                    + mean.length + " and " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be positive, got " + s);
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** No change beyond scaling to [0, 1]. */
    public static Normalization identity(int channels) {
        float[] m = new float[channels];
        float[] s = new float[channels];
        Arrays.fill(s, 1f);
        return new Normalization(m, s);
    }

    /** Mean and (population) standard deviation of each channel of {@code data}, in [0, 1] units. */
    public static Normalization fit(ImageDataset data) {
        return fit(List.of(data));
    }

    /** As {@link #fit(ImageDataset)}, over the pixels of several datasets of one image shape. */
    public static Normalization fit(List<ImageDataset> datasets) {
        ImageDataset first = datasets.get(0);
        int c = first.channels();
        int plane = first.height() * first.width();
        double[] sum = new double[c];
        double[] sumSq = new double[c];
        double n = 0;
        for (ImageDataset data : datasets) {
            byte[] px = data.rawPixels();
            for (int i = 0; i < px.length; i++) {
                int ch = (i / plane) % c;
                double v = (px[i] & 0xff) / 255.0;
                sum[ch] += v;
                sumSq[ch] += v * v;
            }
            n += (double) data.size() * plane;
        }
        float[] mean = new float[c];
        float[] std = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double m = sum[ch] / n;
            mean[ch] = (float) m;
            std[ch] = (float) Math.sqrt(Math.max(sumSq[ch] / n - m * m, 1e-12));
        }
        return new Normalization(mean, std);
    }

    public int channels() {
        return mean.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean)
                && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std)
                + "]";
    }
}
