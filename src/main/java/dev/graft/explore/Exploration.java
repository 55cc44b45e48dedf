package dev.graft.explore;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.ImageDataset;
import dev.graft.io.GraftException;
import dev.graft.train.RunFolder;
import dev.graft.transfer.FeatureCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Explores cached codes without training anything: for each folder of codes (one stage each,
 * from {@code graft extract}), k-means with k given or chosen by silhouette, NMI and adjusted
 * Rand index of the clusters against the labels, and 2-D projections (PCA, t-SNE) to look at.
 */
public final class Exploration {

    /** k-means runs per k, the lowest inertia kept. */
    static final int RESTARTS = 3;
    /** Rows the silhouette is computed on, at most (it is quadratic). */
    static final int SILHOUETTE_SAMPLE = 2000;

    /**
     * @param codes folders written by {@code graft extract}, typically one per stage
     * @param split which split of each folder to read
     * @param k clusters, or null to choose from 2..{@code kMax} by silhouette
     * @param sample rows clustered, at most (a seeded random sample)
     * @param projectionSample rows projected to 2-D, at most (t-SNE is quadratic)
     */
    public record Config(
            @JsonProperty("codes") List<Path> codes,
            @JsonProperty("split") String split,
            @JsonProperty("k") Integer k,
            @JsonProperty("k_max") int kMax,
            @JsonProperty("sample") int sample,
            @JsonProperty("projection_sample") int projectionSample,
            @JsonProperty("seed") long seed) {

        public Config {
            codes = List.copyOf(codes);
            if (codes.isEmpty()) {
                throw new IllegalArgumentException("--codes names no folder");
            }
            if (k != null && k < 2) {
                throw new IllegalArgumentException("--k must be at least 2, got " + k);
            }
            if (kMax < 2) {
                throw new IllegalArgumentException("--k-max must be at least 2, got " + kMax);
            }
            if (sample < 10 || projectionSample < 10) {
                throw new IllegalArgumentException("--sample and --projection-sample must be"
                        + " at least 10");
            }
        }
    }

    /**
     * One folder's codes explored.
     *
     * @param silhouetteByK mean silhouette of each k tried (only the chosen one when k given)
     * @param nmi normalized mutual information of clusters and labels (null without labels)
     * @param ari adjusted Rand index of clusters and labels (null without labels)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Stage(
            @JsonProperty("codes") String codes,
            @JsonProperty("stage") String stage,
            @JsonProperty("dim") int dim,
            @JsonProperty("rows") int rows,
            @JsonProperty("classes") int classes,
            @JsonProperty("k") int k,
            @JsonProperty("k_chosen_by") String kChosenBy,
            @JsonProperty("silhouette") double silhouette,
            @JsonProperty("silhouette_by_k") Map<Integer, Double> silhouetteByK,
            @JsonProperty("nmi") Double nmi,
            @JsonProperty("ari") Double ari,
            @JsonProperty("pca_explained") double pcaExplained,
            @JsonProperty("seconds") double seconds) {}

    /** The 2-D pictures of one folder (for the report; not in the JSON). */
    public record Pictures(String stage, double[][] pca, double[][] tsne, int[] labels,
            int[] clusters, List<String> classNames) {}

    /** The outcome; {@code best} is the stage with the highest NMI (silhouette without labels). */
    public record Result(
            @JsonProperty("stages") List<Stage> stages,
            @JsonProperty("best") String best,
            @JsonProperty("best_by") String bestBy,
            @JsonProperty("run") String run) {}

    private final Consumer<String> log;
    private final List<Pictures> pictures = new ArrayList<>();

    public Exploration(Consumer<String> log) {
        this.log = log;
    }

    /** The pictures of the last {@link #run}, one per folder. */
    public List<Pictures> pictures() {
        return List.copyOf(pictures);
    }

    /**
     * Explores every folder and writes {@code dir}/report.html and run.json; {@code dir} must be
     * new or empty (checked before any work).
     */
    public Result run(Config c, Path dir) {
        pictures.clear();
        try (RunFolder run = RunFolder.open(dir, true)) {
            List<Stage> stages = new ArrayList<>();
            for (Path folder : c.codes()) {
                stages.add(explore(c, folder));
            }
            boolean labelled = stages.stream().allMatch(s -> s.nmi() != null);
            Stage best = stages.stream().max(java.util.Comparator.comparingDouble(
                    s -> labelled ? s.nmi() : s.silhouette())).orElseThrow();
            Result r = new Result(stages, best.stage(), labelled ? "nmi" : "silhouette",
                    dir.toString());
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "explore");
            runJson.put("config", c);
            runJson.put("status", "finished");
            runJson.put("result", r);
            run.writeRun(runJson);
            ExploreReport.write(run.resolve(dev.graft.report.Report.FILE), c, r, pictures);
            return r;
        }
    }

    private Stage explore(Config c, Path folder) {
        long started = System.nanoTime();
        if (!Files.isRegularFile(folder.resolve(FeatureCodes.INFO))) {
            throw new GraftException(folder + " has no " + FeatureCodes.INFO + "; --codes takes"
                    + " folders written by graft extract");
        }
        FeatureCodes.Info info = FeatureCodes.readInfo(folder);
        if (!info.splits().contains(c.split())) {
            throw new GraftException(folder + " holds the splits " + info.splits() + ", not '"
                    + c.split() + "'; choose one with --split");
        }
        FeatureCodes all = FeatureCodes.load(folder.resolve(c.split() + ".safetensors"),
                info.classNames());
        SplittableRandom rng = new SplittableRandom(c.seed());
        FeatureCodes codes = sample(all, c.sample(), rng);
        int n = codes.count();
        int d = codes.dim();
        if (n < 3) {
            throw new GraftException(folder + " holds " + n + " codes in " + c.split()
                    + "; clustering needs at least 3");
        }
        FeatureCodes forSilhouette = sample(codes, SILHOUETTE_SAMPLE, rng.split());
        Map<Integer, Double> byK = new LinkedHashMap<>();
        Clusters.KMeans chosen = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        int from = c.k() != null ? c.k() : 2;
        int to = c.k() != null ? c.k() : Math.min(c.kMax(), n - 1);
        if (from > n - 1) {
            throw new GraftException("--k " + c.k() + " clusters of " + n + " codes: at most "
                    + (n - 1));
        }
        log.accept(String.format("%s (%s, %,d codes of %d): k-means for k = %d..%d", folder,
                info.stage(), n, d, from, to));
        for (int k = from; k <= to; k++) {
            Clusters.KMeans km = Clusters.kMeans(codes.values(), n, d, k, RESTARTS,
                    c.seed() + k);
            double s = Clusters.silhouette(forSilhouette.values(), forSilhouette.count(), d,
                    assign(km, forSilhouette));
            byK.put(k, s);
            if (s > bestScore) {
                bestScore = s;
                chosen = km;
            }
        }
        boolean labelled = info.classNames().size() > 1;
        Double nmi = labelled ? Clusters.nmi(codes.labels(), chosen.assignment()) : null;
        Double ari = labelled ? Clusters.ari(codes.labels(), chosen.assignment()) : null;
        FeatureCodes shown = sample(codes, c.projectionSample(), rng.split());
        Pca pca = Pca.fit(shown.values(), shown.count(), d, Math.min(2, d));
        log.accept(String.format("%s: k = %d, silhouette %.3f%s; t-SNE of %,d codes",
                info.stage(), chosen.k(), bestScore, labelled ? String.format(", NMI %.3f,"
                        + " ARI %.3f", nmi, ari) : "", shown.count()));
        pictures.add(new Pictures(info.stage(), pca.project(shown.values(), shown.count()),
                Tsne.embed(shown.values(), shown.count(), d), shown.labels(), assign(chosen,
                        shown), info.classNames()));
        return new Stage(folder.toString(), info.stage(), d, n, info.classNames().size(),
                chosen.k(), c.k() != null ? "given" : "silhouette", bestScore, byK, nmi, ari,
                pca.explained(), (System.nanoTime() - started) / 1e9);
    }

    /** At most {@code max} rows of {@code codes}, a seeded random choice (all when fewer). */
    static FeatureCodes sample(FeatureCodes codes, int max, SplittableRandom rng) {
        if (codes.count() <= max) {
            return codes;
        }
        int[] idx = Arrays.copyOf(ImageDataset.permutation(codes.count(), rng), max);
        Arrays.sort(idx);
        return codes.select(idx);
    }

    /** The nearest centre of every row of {@code codes}. */
    static int[] assign(Clusters.KMeans km, FeatureCodes codes) {
        int d = codes.dim();
        int[] out = new int[codes.count()];
        for (int i = 0; i < out.length; i++) {
            double best = Double.POSITIVE_INFINITY;
            for (int c = 0; c < km.k(); c++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    double v = codes.values()[i * d + j] - km.centres()[c][j];
                    s += v * v;
                }
                if (s < best) {
                    best = s;
                    out[i] = c;
                }
            }
        }
        return out;
    }
}
