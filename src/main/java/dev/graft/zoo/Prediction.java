package dev.graft.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.data.EvalTransform;
import dev.graft.data.Normalization;
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
        if (k < 1) {
            throw new IllegalArgumentException("--top must be at least 1, got " + k);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(model, manager);
            StagedNet net = loaded.net();
            ModelSpec spec = loaded.spec();
            EvalTransform transform = EvalTransform.forInput(spec.inputShape());
            Normalization norm = spec.normalization() != null ? spec.normalization()
                    : Normalization.identity(spec.inputShape()[0]);
            int size = transform.channels() * transform.height() * transform.width();
            int plane = transform.height() * transform.width();
            int top = Math.min(k, net.numClasses());
            List<Result> out = new ArrayList<>();
            int batch = net.inferenceBatchSize();
            ParameterStore ps = new ParameterStore(manager, false);
            for (int from = 0; from < images.size(); from += batch) {
                List<Path> chunk = images.subList(from, Math.min(images.size(), from + batch));
                float[] x = new float[chunk.size() * size];
                IntStream.range(0, chunk.size()).parallel().forEach(i -> {
                    byte[] px = transform.read(chunk.get(i));
                    for (int j = 0; j < size; j++) {
                        int c = j / plane;
                        x[i * size + j] = ((px[j] & 0xff) / 255f - norm.mean()[c]) / norm.std()[c];
                    }
                });
                try (NDManager step = manager.newSubManager()) {
                    NDArray input = step.create(x, net.batchInputShape(chunk.size()));
                    float[] p = net.forward(ps, new NDList(input), false).head().softmax(1)
                            .toFloatArray();
                    int n = net.numClasses();
                    for (int i = 0; i < chunk.size(); i++) {
                        int row = i;
                        List<Guess> guesses = IntStream.range(0, n).boxed()
                                .sorted(Comparator.comparingDouble(c -> -p[row * n + c]))
                                .limit(top).map(c -> new Guess(c, name(spec, c),
                                        p[row * n + c])).toList();
                        out.add(new Result(chunk.get(i).toString(), guesses));
                    }
                }
            }
            return out;
        }
    }

    private static String name(ModelSpec spec, int c) {
        return spec.classNames() != null && c < spec.classNames().size()
                ? spec.classNames().get(c) : Integer.toString(c);
    }
}
