package dev.graft.train;

import dev.graft.data.Batch;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Augmentation;
import dev.graft.data.DatasetResolver;
import dev.graft.data.Examples;
import dev.graft.data.ImageDataset;
import dev.graft.data.Normalization;
import dev.graft.data.TensorDataset;
import dev.graft.model.Architecture;
import dev.graft.model.ModelOptions;
import dev.graft.model.StagedNet;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * Throughput and memory of graft's own training loop: a few epochs over {@code steps} batches of
 * real data (the first epoch is warm-up), then an inference pass over the same images.
 */
public final class Benchmark {

    /**
     * @param steps optimizer steps per epoch (inference only: batches per pass)
     * @param epochs epochs to run; the first is warm-up unless it is the only one (inference
     *     only: timed passes after one warm-up batch, the best reported)
     * @param inputSize 0: the dataset's images; else random RGB images of this side and no
     *     training, only inference (e.g. 224 for ImageNet models)
     * @param profile where to write libtorch's operator trace of the timed epochs, or null
     */
    public record Config(String data, String architecture, ModelOptions options, int batchSize,
            int steps, int epochs, long seed, int inputSize, java.nio.file.Path profile) {
        public Config {
            if (steps < 1 || epochs < 1 || batchSize < 1 || inputSize < 0) {
                throw new IllegalArgumentException("--steps, --epochs and --batch-size must be"
                        + " positive, --input-size positive or 0");
            }
        }
    }

    /** The figures. */
    public record Result(
            @JsonProperty("architecture") String architecture,
            @JsonProperty("batch_size") int batchSize,
            @JsonProperty("parameters") long parameters,
            @JsonProperty("train_images_per_second") double trainImagesPerSecond,
            @JsonProperty("inference_images_per_second") double inferenceImagesPerSecond,
            @JsonProperty("peak_rss_mb") double peakRssMb,
            @JsonProperty("minor_page_faults_per_step") double minorFaultsPerStep,
            @JsonProperty("epochs") List<EpochMetrics> epochs,
            @JsonProperty("engine") String engine,
            @JsonProperty("cpus") int cpus,
            @JsonProperty("profile") StepProfile.Summary profile) {}

    private Benchmark() {}

    /**
     * Inference throughput of {@code net} over every image of {@code data} (predicted classes
     * copied to the host), after one warm-up batch.
     */
    public static double inferenceImagesPerSecond(StagedNet net, Examples data,
            int batchSize, NDManager manager) {
        inferenceSeconds(net, data, Math.min(batchSize, data.size()), batchSize, manager);
        return data.size() / inferenceSeconds(net, data, data.size(), batchSize, manager);
    }

    /**
     * Seconds {@code net} takes over the first {@code images} examples of {@code data} in its
     * inference order (texts shortest first; predicted classes copied to the host), no
     * warm-up.
     */
    public static double inferenceSeconds(StagedNet net, Examples data, int images,
            int batchSize, NDManager manager) {
        ParameterStore ps = new ParameterStore(manager, false);
        int[] order = data.inferenceOrder();
        long started = System.nanoTime();
        for (int from = 0; from < images; from += batchSize) {
            try (NDManager step = manager.newSubManager()) {
                Batch b = data.batch(java.util.Arrays.copyOfRange(order, from, Math.min(images,
                        from + batchSize)), step);
                net.forward(ps, b.inputs(), false).head().argMax(1).toLongArray();
            }
        }
        return (System.nanoTime() - started) / 1e9;
    }

    /**
     * How many times longer {@code candidate} takes than {@code baseline}, measured side by
     * side: the two alternate for {@code rounds} rounds, so both see the same load on a shared
     * machine; the first round is warm-up and the answer is the median of the later rounds'
     * ratios.
     *
     * @param baseline runs one chunk of work and returns its seconds
     * @param candidate the same amount of the other work, returning its seconds
     */
    public static double sideBySideRatio(DoubleSupplier baseline, DoubleSupplier candidate,
            int rounds) {
        if (rounds < 2) {
            throw new IllegalArgumentException("side-by-side timing needs a warm-up round and"
                    + " at least one more, got " + rounds + " rounds");
        }
        double[] ratios = new double[rounds - 1];
        for (int r = 0; r < rounds; r++) {
            double base = baseline.getAsDouble();
            double other = candidate.getAsDouble();
            if (r > 0) {
                ratios[r - 1] = other / base;
            }
        }
        Arrays.sort(ratios);
        int mid = ratios.length / 2;
        return ratios.length % 2 == 1 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
    }

    /**
     * Inference alone on {@code steps x batch} random RGB images of {@code inputSize} pixels (the
     * speed of a forward pass does not depend on the pixels): one warm-up batch, then
     * {@code epochs} timed passes, the fastest reported (the least disturbed on a shared
     * machine).
     */
    static Result inferenceOnly(Architecture arch, Config c, Consumer<String> log) {
        int n = c.steps() * c.batchSize();
        int side = c.inputSize();
        byte[] px = new byte[n * 3 * side * side];
        new java.util.SplittableRandom(c.seed()).nextBytes(px);
        ImageDataset images = new ImageDataset("random", px, new int[n], 3, side, side,
                List.of("a", "b"));
        try (NDManager manager = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(images, Normalization.fit(images),
                        manager)) {
            StagedNet net = arch.build(images.imageShape(), 1000, c.options())
                    .initialize(manager, c.seed());
            log.accept(String.format("%s at %dx%d, batch %d: %d passes over %d images after a"
                    + " warm-up batch", arch.id(), side, side, c.batchSize(), c.epochs(), n));
            inferenceSeconds(net, data, c.batchSize(), c.batchSize(), manager);
            double best = Double.POSITIVE_INFINITY;
            for (int e = 0; e < c.epochs(); e++) {
                double s = inferenceSeconds(net, data, n, c.batchSize(), manager);
                log.accept(String.format("pass %d: %.1f images/s", e + 1, n / s));
                best = Math.min(best, s);
            }
            return new Result(arch.id(), c.batchSize(), net.parameterCount(), Double.NaN,
                    n / best, MemoryProbe.peakRssMb(), Double.NaN, List.of(),
                    GraftVersion.engine(),
                    Runtime.getRuntime().availableProcessors(), null);
        }
    }

    public static Result run(Config c, Consumer<String> log, Progress progress) {
        Architecture arch = Architecture.byId(c.architecture());
        if (c.inputSize() > 0) {
            return inferenceOnly(arch, c, log);
        }
        DatasetResolver.Resolved r = new DatasetResolver().resolve(c.data(), log);
        int n = c.steps() * c.batchSize();
        ImageDataset train = r.train();
        if (train.size() < n) {
            throw new IllegalArgumentException("--steps " + c.steps() + " x --batch-size "
                    + c.batchSize() + " = " + n + " images, but " + c.data() + " from "
                    + r.source() + " has only " + train.size() + "; use fewer steps");
        }
        int[] first = new int[n];
        for (int i = 0; i < n; i++) {
            first[i] = i;
        }
        train = train.select(first);
        TrainConfig tc = new TrainConfig(c.epochs(), c.batchSize(), OptimizerConfig.adam(1e-3),
                new LrSchedule.Constant(), Augmentation.NONE, c.seed(), 0, List.of());
        try (NDManager manager = NDManager.newBaseManager();
                TensorDataset data = TensorDataset.of(train, Normalization.fit(train), manager)) {
            StagedNet net = arch.build(train.imageShape(), train.numClasses(), c.options())
                    .initialize(manager, c.seed());
            TrainingLoop.Outcome out;
            // page faults and the profile cover the timed epochs: after the warm-up's last step
            long timedFrom = c.epochs() > 1 ? c.steps() : 0;
            long[] faultsFrom = new long[1];
            long[] profileStart = new long[1];
            Runnable startTimed = () -> {
                faultsFrom[0] = MemoryProbe.minorFaults();
                if (c.profile() != null) {
                    StepProfile.start();
                    profileStart[0] = System.nanoTime();
                }
            };
            try (TrainingLoop loop = new TrainingLoop(net, tc, manager)) {
                loop.progress(progress);
                if (timedFrom == 0) {
                    startTimed.run();
                } else {
                    loop.hook((m, epoch, globalStep, step) -> {
                        if (globalStep == timedFrom) {
                            startTimed.run();
                        }
                    });
                }
                out = loop.fit(data, null, 1, Double.NEGATIVE_INFINITY, (m, improved) -> { });
            }
            long timedSteps = (long) c.steps() * c.epochs() - timedFrom;
            long faultsTo = MemoryProbe.minorFaults();
            double faultsPerStep = faultsTo < 0 || faultsFrom[0] < 0 ? Double.NaN
                    : (double) (faultsTo - faultsFrom[0]) / timedSteps;
            StepProfile.Summary profile = null;
            if (c.profile() != null) {
                double wallMs = (System.nanoTime() - profileStart[0]) / 1e6;
                StepProfile.stop(c.profile());
                profile = StepProfile.summarize(c.profile(), timedSteps, wallMs);
            }
            List<EpochMetrics> measured = out.history().size() > 1
                    ? out.history().subList(1, out.history().size()) : out.history();
            double trainIps = measured.stream().mapToDouble(EpochMetrics::imagesPerSecond)
                    .average().orElse(Double.NaN);
            double peak = out.history().stream().mapToDouble(EpochMetrics::peakRssMb).max()
                    .orElse(Double.NaN);
            double inferIps = inferenceImagesPerSecond(net, data, c.batchSize(), manager);
            return new Result(arch.id(), c.batchSize(), net.parameterCount(), trainIps, inferIps,
                    peak, faultsPerStep, out.history(), GraftVersion.engine(),
                    Runtime.getRuntime().availableProcessors(), profile);
        }
    }
}
