package dev.graft.compress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.model.Checkpoint;
import dev.graft.model.StagedNet;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.RunTraining;
import dev.graft.train.Seeds;
import dev.graft.train.StepHook;
import dev.graft.train.TrainConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft cluster}: weight sharing (Han et al. 2016, "Deep Compression"). The weights of
 * each linear and convolution layer are clustered by one-dimensional k-means (centroids
 * initialized evenly between the smallest and largest weight, which keeps the rare large
 * weights represented) and replaced by their centroid, so a layer holds at most k distinct
 * values: stored as a codebook and {@code log2 k}-bit indices. Fine-tuning keeps the sharing:
 * after every optimizer step each centroid becomes the mean of its members, which are set to it
 * (the assignments stay fixed).
 */
public final class Clustering {

    /**
     * @param clusters shared values per layer, 2 to 256
     * @param fineTune training with the sharing held; null for none
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("clusters") int clusters,
            @JsonProperty("val_fraction") double valFraction,
            @JsonProperty("fine_tune") TrainConfig fineTune,
            @JsonProperty("seed") long seed) {

        public Config {
            if (clusters < 2 || clusters > 256) {
                throw new IllegalArgumentException("--clusters must be in [2, 256] (indices of"
                        + " at most 8 bits), got " + clusters);
            }
            if (!(valFraction >= 0 && valFraction < 1)) {
                throw new IllegalArgumentException("--val-fraction must be in [0, 1), got "
                        + valFraction);
            }
        }
    }

    /**
     * What a clustering run produced.
     *
     * @param sharedBytes the clustered layers stored as float32 codebooks and packed
     *     {@code ceil(log2 k)}-bit indices, plus every other parameter as float32
     * @param denseBytes every parameter as float32
     */
    public record Result(
            @JsonProperty("given_accuracy") double givenAccuracy,
            @JsonProperty("clustered_accuracy") double clusteredAccuracy,
            @JsonProperty("accuracy") double accuracy,
            @JsonProperty("clusters") int clusters,
            @JsonProperty("distinct_values") Map<String, Integer> distinctValues,
            @JsonProperty("dense_bytes") long denseBytes,
            @JsonProperty("shared_bytes") long sharedBytes,
            @JsonProperty("checkpoint") String checkpoint,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("run") String run) {}

    /** A layer's centroids and each weight's cluster. */
    record Codebook(float[] centroids, int[] assignment) {}

    /** Lloyd's iterations of 1-D k-means run at most. */
    static final int ITERATIONS = 30;

    /**
     * One-dimensional k-means with linear initialization; ends when no weight changes cluster.
     */
    static Codebook kmeans(float[] w, int k) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float v : w) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float[] c = new float[k];
        for (int j = 0; j < k; j++) {
            c[j] = k == 1 ? lo : lo + (hi - lo) * j / (k - 1);
        }
        int[] a = new int[w.length];
        Arrays.fill(a, -1);
        for (int it = 0; it < ITERATIONS; it++) {
            boolean moved = false;
            float[] sorted = c.clone();
            int[] rank = order(c);
            for (int j = 0; j < k; j++) {
                sorted[j] = c[rank[j]];
            }
            for (int i = 0; i < w.length; i++) {
                int nearest = rank[nearest(sorted, w[i])];
                if (nearest != a[i]) {
                    a[i] = nearest;
                    moved = true;
                }
            }
            if (!moved) {
                break;
            }
            double[] sum = new double[k];
            int[] count = new int[k];
            for (int i = 0; i < w.length; i++) {
                sum[a[i]] += w[i];
                count[a[i]]++;
            }
            for (int j = 0; j < k; j++) {
                if (count[j] > 0) {
                    c[j] = (float) (sum[j] / count[j]);
                }
            }
        }
        return new Codebook(c, a);
    }

    private static int[] order(float[] c) {
        Integer[] idx = new Integer[c.length];
        for (int j = 0; j < idx.length; j++) {
            idx[j] = j;
        }
        Arrays.sort(idx, (x, y) -> Float.compare(c[x], c[y]));
        int[] out = new int[idx.length];
        for (int j = 0; j < idx.length; j++) {
            out[j] = idx[j];
        }
        return out;
    }

    /** Index in ascending {@code sorted} of the value closest to {@code v}. */
    private static int nearest(float[] sorted, float v) {
        int pos = Arrays.binarySearch(sorted, v);
        if (pos >= 0) {
            return pos;
        }
        int ins = -pos - 1;
        if (ins == 0) {
            return 0;
        }
        if (ins == sorted.length) {
            return sorted.length - 1;
        }
        return v - sorted[ins - 1] <= sorted[ins] - v ? ins - 1 : ins;
    }

    /** Every weight set to its centroid's value, the centroids being its members' mean. */
    static float[] share(float[] w, int[] assignment, int k) {
        double[] sum = new double[k];
        int[] count = new int[k];
        for (int i = 0; i < w.length; i++) {
            sum[assignment[i]] += w[i];
            count[assignment[i]]++;
        }
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = (float) (sum[assignment[i]] / count[assignment[i]]);
        }
        return out;
    }

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Clustering(Consumer<String> log) {
        this.log = log;
    }

    public Clustering progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Result run(Config c, Path runDir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(c.model(), manager);
            StagedNet net = loaded.net();
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "cluster");
            runJson.put("config", c);
            try (ModelTask task = ModelTask.load(c.model(), loaded.spec(), c.data(),
                    c.valFraction(), Seeds.derive(c.seed(), "split"), log, manager);
                    RunFolder run = RunFolder.open(runDir, true)) {
                runJson.put("status", "running");
                run.writeRun(runJson);
                double given = task.accuracy(net, manager);
                Map<String, int[]> assignments = new LinkedHashMap<>();
                for (Map.Entry<String, Parameter> e : MagnitudePruning.prunable(net).entrySet()) {
                    NDArray w = e.getValue().getArray();
                    Codebook book = kmeans(w.toFloatArray(), c.clusters());
                    assignments.put(e.getKey(), book.assignment());
                    w.set(share(w.toFloatArray(), book.assignment(), c.clusters()));
                }
                double clustered = task.accuracy(net, manager);
                log.accept(String.format(Locale.ROOT, "%d shared values per layer: test accuracy"
                        + " %.2f%% -> %.2f%%", c.clusters(), 100 * given, 100 * clustered));
                String command = "cluster " + c.clusters();
                double acc = clustered;
                if (c.fineTune() != null) {
                    StepHook hold = (n, epoch, globalStep, step) -> {
                        Map<String, Parameter> p = n.namedParameters();
                        assignments.forEach((name, a) -> {
                            NDArray w = p.get(name).getArray();
                            w.set(share(w.toFloatArray(), a, c.clusters()));
                        });
                    };
                    RunTraining.Outcome o = task.fineTune(run.resolve("finetune"),
                            "cluster fine-tune", net, task.derivedSpec(net, c.model(),
                                    c.seed(), command), c.fineTune(), new RunTraining.Extras(
                                            null, List.of(hold), null, null), progress, log,
                            manager);
                    net = o.best();
                    acc = o.test().accuracy();
                }
                Map<String, Integer> distinct = new LinkedHashMap<>();
                long shared = 0;
                long dense = 0;
                int bits = 32 - Integer.numberOfLeadingZeros(c.clusters() - 1);
                for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
                    long n = e.getValue().getArray().size();
                    if (!e.getValue().requiresGradient()) {
                        continue; // running statistics are not parameters
                    }
                    dense += 4 * n;
                    if (assignments.containsKey(e.getKey())) {
                        float[] w = e.getValue().getArray().toFloatArray();
                        distinct.put(e.getKey(), (int) java.util.stream.IntStream
                                .range(0, w.length).mapToDouble(i -> w[i]).distinct().count());
                        shared += 4L * c.clusters() + (n * bits + 7) / 8;
                    } else {
                        shared += 4 * n;
                    }
                }
                Checkpoint.save(run.resolve(RunTraining.MODEL), net, task.derivedSpec(net,
                        c.model(), c.seed(), command), null);
                Result r = new Result(given, clustered, acc, c.clusters(), distinct, dense,
                        shared, run.resolve(RunTraining.MODEL).toString(), task.source(),
                        runDir.toString());
                runJson.put("status", "finished");
                runJson.put("result", r);
                run.writeRun(runJson);
                return r;
            }
        }
    }

    /** The outcome for the terminal. */
    public static String text(Result r) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "test accuracy %.2f%% -> %.2f%% clustered -> %.2f%%"
                + " at the end (%+.2f points)", 100 * r.givenAccuracy(),
                100 * r.clusteredAccuracy(), 100 * r.accuracy(),
                100 * (r.accuracy() - r.givenAccuracy())));
        lines.add(String.format(Locale.ROOT, "%d shared values per layer; distinct values: %s",
                r.clusters(), r.distinctValues()));
        lines.add(String.format(Locale.ROOT, "stored as codebooks and %d-bit indices: %,d bytes"
                + " instead of %,d (%.1fx smaller)", 32 - Integer.numberOfLeadingZeros(
                        r.clusters() - 1), r.sharedBytes(), r.denseBytes(),
                (double) r.denseBytes() / r.sharedBytes()));
        lines.add("checkpoint: " + r.checkpoint());
        return String.join("\n", lines) + "\n";
    }
}
