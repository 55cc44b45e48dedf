package dev.graft.adapt;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.explore.Pca;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.transfer.FeatureCodes;
import dev.graft.transfer.LinearProbe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How far apart a network holds two domains, stage by stage, on equal samples of their held-out
 * images (average-pooled codes):
 *
 * <ul>
 *   <li>the proxy A-distance (Ben-David et al. 2007, as Ganin et al. 2016 measure it): a linear
 *       SVM learns to tell the domains apart on half of the codes (LIBLINEAR, C chosen as
 *       {@code graft probe} does), its error {@code e} on the other half gives {@code 2 (1 - 2
 *       e)}, from 0 (indistinguishable) to 2 (separable); below 0 is reported as 0;
 *   <li>the multi-kernel MMD DAN minimizes ({@link AdaptLosses#mkMmd}) between the codes.
 * </ul>
 *
 * <p>And a picture: the top stage's codes of both domains projected on their first two
 * principal components, with each code's domain and class (the class of a target code is its
 * evaluation label: the picture is an evaluation, as the target accuracy is).
 */
public final class DomainGap {

    /** Codes drawn from each domain, at most. */
    public static final int SAMPLE = 1000;

    /** One stage's gap. */
    public record Stage(@JsonProperty("stage") String stage,
            @JsonProperty("proxy_a_distance") double proxyADistance,
            @JsonProperty("mmd") double mmd) {}

    /**
     * Codes projected to 2-D; row {@code i} is {@code (x[i], y[i])} of domain {@code
     * target[i]} and class {@code label[i]}.
     */
    public record Projection(double[] x, double[] y, boolean[] target, int[] label,
            double explained) {}

    private DomainGap() {}

    /** Equal random samples of both domains' images. */
    record Samples(TensorDataset source, TensorDataset target) implements AutoCloseable {
        @Override
        public void close() {
            source.close();
            target.close();
        }
    }

    static Samples sample(TensorDataset source, TensorDataset target, long seed, NDManager m) {
        int n = Math.min(SAMPLE, Math.min(source.size(), target.size()));
        SplittableRandom rng = new SplittableRandom(seed);
        return new Samples(source.subset(Arrays.copyOf(ImageDataset.permutation(source.size(),
                rng), n), m), target.subset(Arrays.copyOf(ImageDataset.permutation(
                        target.size(), rng), n), m));
    }

    /** The gap at every stage of {@code net}. */
    static List<Stage> measure(StagedNet net, Samples s, long seed, NDManager manager) {
        List<Stage> out = new ArrayList<>();
        for (String stage : net.stageNames()) {
            try (NDManager m = manager.newSubManager()) {
                NDArray a = codes(net, s.source(), stage, m);
                NDArray b = codes(net, s.target(), stage, m);
                out.add(new Stage(stage, proxyADistance(a.toFloatArray(), b.toFloatArray(),
                        (int) a.getShape().get(1), seed), AdaptLosses.mkMmd(a, b)
                                .getFloat()));
            }
        }
        return out;
    }

    /** The top stage's codes of both samples on their two principal axes. */
    static Projection project(StagedNet net, Samples s, NDManager manager) {
        String top = net.stageNames().get(net.stageNames().size() - 1);
        try (NDManager m = manager.newSubManager()) {
            float[] a = codes(net, s.source(), top, m).toFloatArray();
            float[] b = codes(net, s.target(), top, m).toFloatArray();
            int n = s.source().size();
            int d = a.length / n;
            float[] all = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, all, a.length, b.length);
            Pca pca = Pca.fit(all, 2 * n, d, 2);
            double[][] xy = pca.project(all, 2 * n);
            double[] x = new double[2 * n];
            double[] y = new double[2 * n];
            boolean[] target = new boolean[2 * n];
            int[] label = new int[2 * n];
            for (int i = 0; i < 2 * n; i++) {
                x[i] = xy[i][0];
                y[i] = xy[i][1];
                target[i] = i >= n;
                label[i] = i < n ? s.source().label(i) : s.target().label(i - n);
            }
            return new Projection(x, y, target, label, pca.explained());
        }
    }

    private static NDArray codes(StagedNet net, TensorDataset data, String stage,
            NDManager m) {
        ParameterStore ps = new ParameterStore(m, false);
        List<NDArray> parts = new ArrayList<>();
        int batch = net.inferenceBatchSize();
        for (int from = 0; from < data.size(); from += batch) {
            parts.add(net.features(ps, data.range(from, Math.min(data.size(), from + batch), m)
                    .x(), stage, Pooling.AVERAGE));
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0);
    }

    /**
     * {@code 2 (1 - 2 e)}, {@code e} the held-out error of a linear SVM telling rows of {@code a}
     * from rows of {@code b} (equal counts): trained on the first half of each, tested on the
     * second.
     */
    static double proxyADistance(float[] a, float[] b, int d, long seed) {
        int n = a.length / d;
        int half = n / 2;
        if (half < 2) {
            return Double.NaN;
        }
        FeatureCodes train = domains(a, b, d, 0, half);
        FeatureCodes test = domains(a, b, d, half, n);
        LinearProbe.LinearMap map = LinearProbe.fitLinear(train, LinearProbe.Config.defaults(
                LinearProbe.Classifier.SVM, seed));
        LinearHead head = new LinearHead(map.weight(), map.bias(), "");
        int[] predicted = head.predict(new Codes(test.values(), test.count(), d));
        int wrong = 0;
        for (int i = 0; i < predicted.length; i++) {
            wrong += predicted[i] != test.labels()[i] ? 1 : 0;
        }
        double error = (double) wrong / predicted.length;
        return Math.max(0, 2 * (1 - 2 * error));
    }

    /** Rows {@code [from, to)} of both, labelled 0 (source) and 1 (target). */
    private static FeatureCodes domains(float[] a, float[] b, int d, int from, int to) {
        int n = to - from;
        float[] v = new float[2 * n * d];
        System.arraycopy(a, from * d, v, 0, n * d);
        System.arraycopy(b, from * d, v, n * d, n * d);
        int[] y = new int[2 * n];
        Arrays.fill(y, n, 2 * n, 1);
        return new FeatureCodes(v, 2 * n, d, y, List.of("source", "target"));
    }
}
