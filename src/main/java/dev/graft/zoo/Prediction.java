package dev.graft.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.data.EvalTransform;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The most probable classes of image files under a checkpoint: each image through the
 * evaluation transform for the model's input size ({@link EvalTransform#forInput}) and the
 * checkpoint's normalization, the network in inference mode, softmax, the top {@code k}.
 */
public final class Prediction {

    /** One class and its probability. */
    public record Guess(int index, String className, double probability) {}

    /** The guesses for one image, most probable first. */
    public record Result(String image, List<Guess> top) {}

    private Prediction() {}

    /** Top-{@code k} classes of every image, in the order given. */
    public static List<Result> run(Path model, List<Path> images, int k) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("give at least one image file");
        }
        try (Predictor p = Predictor.open(model, k)) {
            return p.predict(images.stream().map(Path::toString).toList(), p.transform()
                    .readAll(images));
        }
    }

    /**
     * A checkpoint opened for prediction: its evaluation transform, normalization and class
     * names, the network in inference mode. The Spark job keeps one per executor.
     */
    public static final class Predictor implements AutoCloseable {
        private final NDManager manager;
        private final StagedNet net;
        private final ModelSpec spec;
        private final EvalTransform transform;
        private final Normalization norm;
        private final List<String> names;
        private final int top;

        private Predictor(NDManager manager, Checkpoint.Loaded loaded, int k) {
            this.manager = manager;
            this.net = loaded.net();
            this.spec = loaded.spec();
            this.transform = EvalTransform.forInput(spec.inputShape());
            this.norm = spec.normalization() != null ? spec.normalization()
                    : Normalization.identity(spec.inputShape()[0]);
            this.names = IntStream.range(0, net.numClasses()).mapToObj(c -> name(spec, c))
                    .toList();
            this.top = Math.min(k, net.numClasses());
        }

        /** Opens {@code model} for the top {@code k} classes of each image. */
        public static Predictor open(Path model, int k) {
            if (k < 1) {
                throw new IllegalArgumentException("--top must be at least 1, got " + k);
            }
            NDManager manager = NDManager.newBaseManager();
            try {
                return new Predictor(manager, Checkpoint.load(model, manager), k);
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        }

        /** How image files become the network's input. */
        public EvalTransform transform() {
            return transform;
        }

        /**
         * The top classes of images already transformed ({@link EvalTransform}), in order.
         *
         * @param images names the images in the results
         * @param pixels {@code [images, channels, height, width]}
         */
        public List<Result> predict(List<String> images, byte[] pixels) {
            dev.graft.train.Autograd.recordOnlyInCollectors();
            int[] shape = spec.inputShape();
            // the images as a dataset (labels unused): normalized as every dataset is
            ImageDataset pictures = new ImageDataset("images", pixels, new int[images.size()],
                    shape[0], shape[1], shape[2], names);
            List<Result> out = new ArrayList<>();
            int batch = net.inferenceBatchSize();
            ParameterStore ps = new ParameterStore(manager, false);
            try (TensorDataset data = TensorDataset.of(pictures, norm, manager)) {
                for (int from = 0; from < images.size(); from += batch) {
                    int to = Math.min(images.size(), from + batch);
                    try (NDManager step = manager.newSubManager()) {
                        NDArray input = data.range(from, to, step).x();
                        float[] p = net.forward(ps, new NDList(input), false).head().softmax(1)
                                .toFloatArray();
                        int n = net.numClasses();
                        for (int i = 0; i < to - from; i++) {
                            int row = i;
                            out.add(new Result(images.get(from + i), IntStream.range(0, n)
                                    .boxed().sorted(Comparator.comparingDouble(
                                            c -> -p[row * n + c])).limit(top)
                                    .map(c -> new Guess(c, names.get(c), p[row * n + c]))
                                    .toList()));
                        }
                    }
                }
            }
            return out;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    private static String name(ModelSpec spec, int c) {
        return spec.classNames() != null && c < spec.classNames().size()
                ? spec.classNames().get(c) : Integer.toString(c);
    }
}
