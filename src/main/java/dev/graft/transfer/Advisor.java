package dev.graft.transfer;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Examples;
import dev.graft.data.ImageDataset;
import dev.graft.data.Labelled;
import dev.graft.data.Normalization;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.train.Evaluation;
import dev.graft.train.Progress;
import dev.graft.train.Seeds;
import dev.graft.train.TrainConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code graft advise}: which strategy, and where to cut, answered by measurement.
 *
 * <ol>
 *   <li>The <em>transferability curve</em>: a logistic-regression probe on the codes of every
 *       stage, scored by stratified cross-validation on the labelled target images.
 *   <li>How far the target is from the source: per stage, the proxy A-distance between source
 *       and target codes ({@code 2 (1 - 2 err)} of a classifier telling them apart; 0 = the
 *       same distribution, 2 = fully separable). It needs no target labels.
 *   <li>The textbook guide: <em>small</em> when there are fewer than {@value #LARGE_PER_CLASS}
 *       labels per class; <em>similar</em> when the top stage's A-distance is below
 *       {@value #SIMILAR_DISTANCE} (without source data: when the top stage's probe is within a
 *       point of the best stage's). Each quadrant names two candidate strategies.
 *   <li>A pilot: each candidate trained on half of the labelled images and scored on the other
 *       half, and the other way round. The better candidate is recommended; within half a
 *       point, the one with fewer trainable parameters.
 * </ol>
 *
 * With a single label per class nothing can be held out: the guide's first candidate stands,
 * and the curve is not measured.
 */
public final class Advisor {

    /** Labels per class from which a target counts as large. */
    public static final int LARGE_PER_CLASS = 1000;

    /** Top-stage A-distance below which the target counts as similar to the source. */
    public static final double SIMILAR_DISTANCE = 1.0;

    /** Codes per class used for the curve and the distance, at most: the measure stays cheap. */
    static final int CURVE_PER_CLASS = 200;
    static final int DISTANCE_IMAGES = 1000;

    /**
     * @param shots labelled images per class the target has (null: the whole pool)
     * @param pilot run the pilot (otherwise the guide's first candidate stands)
     * @param train the training recipe of the pilot, as in {@code graft transfer}
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("classes") String classes,
            @JsonProperty("shots") Integer shots,
            @JsonProperty("disjoint") boolean disjoint,
            @JsonProperty("pilot") boolean pilot,
            @JsonProperty("min_steps_per_epoch") int minStepsPerEpoch,
            @JsonProperty("train") TrainConfig train) {}

    /** What one stage offers the target. */
    public record StageEvidence(
            @JsonProperty("stage") String stage,
            @JsonProperty("dim") int dim,
            @JsonProperty("probe_accuracy") Double probeAccuracy,
            @JsonProperty("domain_distance") Double domainDistance) {}

    /** One candidate's pilot score. */
    public record Pilot(
            @JsonProperty("strategy") Strategy strategy,
            @JsonProperty("accuracy") double accuracy,
            @JsonProperty("trainable_parameters") long trainableParameters,
            @JsonProperty("seconds") double seconds) {}

    /** The recommendation and the evidence behind it. */
    public record Advice(
            @JsonProperty("labels_per_class") int labelsPerClass,
            @JsonProperty("classes") int classes,
            @JsonProperty("curve") List<StageEvidence> curve,
            @JsonProperty("best_stage") String bestStage,
            @JsonProperty("small") boolean small,
            @JsonProperty("similar") boolean similar,
            @JsonProperty("quadrant") String quadrant,
            @JsonProperty("candidates") List<Strategy> candidates,
            @JsonProperty("pilots") List<Pilot> pilots,
            @JsonProperty("strategy") Strategy strategy,
            @JsonProperty("cut_stage") String cutStage,
            @JsonProperty("reasons") List<String> reasons,
            @JsonProperty("seconds") double seconds) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Advisor(Consumer<String> log) {
        this.log = log;
    }

    public Advisor progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Advice advise(Config c) {
        TargetTask task = TargetTask.load(c.model(), c.data(), c.classes(), c.disjoint(), log);
        if (c.shots() != null) {
            task.checkBudgets(Arrays.asList(c.shots()));
        }
        return advise(c, task);
    }

    /** As {@link #advise(Config)} with the task already loaded. */
    public Advice advise(Config c, TargetTask task) {
        long started = System.nanoTime();
        long seed = c.train().seed();
        Labelled labelled = task.budget(c.shots(), Seeds.derive(seed, "shots"));
        int perClass = Arrays.stream(labelled.classCounts()).min().orElse(0);
        List<String> stages = task.stages();
        List<StageEvidence> curve = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            StagedNet net = task.loadSource(manager);
            Labelled curveSet = perClass > CURVE_PER_CLASS
                    ? labelled.sampleShots(CURVE_PER_CLASS, Seeds.derive(seed, "curve")) : labelled;
            Labelled sourceExamples = sourceExamples(task, seed);
            Labelled targetExamples = sample(task.pool(), DISTANCE_IMAGES,
                    Seeds.derive(seed, "target-sample"));
            Normalization norm = task.spec().normalization();
            try (Examples labelledT = task.examples(curveSet, norm, manager);
                    Examples srcT = sourceExamples == null ? null : task.examples(
                            sourceExamples, norm, manager);
                    Examples tgtT = task.examples(targetExamples, norm, manager)) {
                progress.start("transferability curve", stages.size());
                for (String stage : stages) {
                    FeatureCodes codes = FeatureCodes.extract(net, labelledT, stage,
                            Pooling.AVERAGE, curveSet.classNames(), manager);
                    Double probe = perClass >= 2 ? crossValidated(codes, Math.min(5, perClass),
                            Seeds.derive(seed, "cv-" + stage)) : null;
                    Double distance = srcT == null ? null : domainDistance(net, srcT, tgtT, stage,
                            Seeds.derive(seed, "distance-" + stage), manager);
                    curve.add(new StageEvidence(stage, codes.dim(), probe, distance));
                    progress.step(() -> stage);
                }
                progress.finish("done");
            }
        }
        return decide(c, task, labelled, perClass, curve, started);
    }

    private Advice decide(Config c, TargetTask task, Labelled labelled, int perClass,
            List<StageEvidence> curve, long started) {
        List<String> reasons = new ArrayList<>();
        StageEvidence top = curve.get(curve.size() - 1);
        StageEvidence best = curve.stream().filter(e -> e.probeAccuracy() != null)
                .max(java.util.Comparator.comparingDouble(StageEvidence::probeAccuracy))
                .orElse(null);
        boolean small = perClass < LARGE_PER_CLASS;
        reasons.add(String.format("%d labelled examples per class: %s (large from %d)", perClass,
                small ? "small" : "large", LARGE_PER_CLASS));
        boolean similar;
        if (top.domainDistance() != null) {
            similar = top.domainDistance() < SIMILAR_DISTANCE;
            reasons.add(String.format("a classifier tells source from target %s codes apart"
                    + " with A-distance %.2f (below %.1f counts as similar): the target is %s",
                    top.stage(), top.domainDistance(), SIMILAR_DISTANCE, similar ? "similar"
                            : "different"));
        } else if (best != null) {
            similar = top.probeAccuracy() >= best.probeAccuracy() - 0.01;
            reasons.add("no source data to compare codes with: similarity judged by the curve");
        } else {
            similar = false;
            reasons.add("neither labels to cross-validate nor source data to compare with:"
                    + " assuming the target is different");
        }
        if (best != null) {
            reasons.add(String.format("probe accuracy peaks at %s (%.1f%%); the top stage %s"
                    + " gives %.1f%%", best.stage(), 100 * best.probeAccuracy(), top.stage(),
                    100 * top.probeAccuracy()));
        }
        if (top.domainDistance() != null) {
            reasons.add(String.format("A-distance per stage: %s",
                    String.join(", ", curve.stream().map(e -> String.format("%s %.2f",
                            e.stage(), e.domainDistance())).toList())));
        }
        String quadrant = (small ? "small" : "large") + " and " + (similar ? "similar"
                : "different");
        List<Strategy> candidates = small
                ? (similar ? List.of(Strategy.PROBE, Strategy.LAST_STAGE)
                        : List.of(Strategy.LAST_STAGE, Strategy.FULL))
                : (similar ? List.of(Strategy.LAST_STAGE, Strategy.FULL)
                        : List.of(Strategy.FULL, task.isText() ? Strategy.TFIDF
                                : Strategy.SCRATCH));
        reasons.add("the guide's candidates for a " + quadrant + " target: " + String.join(
                " or ", candidates.stream().map(Strategy::id).toList()));
        List<Pilot> pilots = new ArrayList<>();
        Strategy choice = candidates.get(0);
        if (c.pilot() && perClass >= 2) {
            for (Strategy s : candidates) {
                pilots.add(pilot(c, task, labelled, s));
            }
            Pilot winner = pilots.get(0);
            for (Pilot p : pilots) {
                boolean better = p.accuracy() > winner.accuracy() + 0.005;
                boolean tieButSmaller = Math.abs(p.accuracy() - winner.accuracy()) <= 0.005
                        && p.trainableParameters() < winner.trainableParameters();
                if (better || tieButSmaller) {
                    winner = p;
                }
            }
            choice = winner.strategy();
            reasons.add("pilot on two halves of the labels: " + String.join(", ", pilots.stream()
                    .map(p -> String.format("%s %.1f%%", p.strategy().id(), 100 * p.accuracy()))
                    .toList()));
        } else if (c.pilot()) {
            reasons.add("one label per class leaves nothing to pilot on: the guide's first"
                    + " candidate stands");
        }
        List<String> stages = task.stages();
        FineTunePolicy policy = choice.policy(stages);
        String cut = choice == Strategy.PROBE ? stages.get(stages.size() - 1)
                : policy == null ? null : policy.freezeTo();
        return new Advice(perClass, labelled.numClasses(), curve,
                best == null ? null : best.stage(), small, similar, quadrant, candidates, pilots,
                choice, cut, reasons, (System.nanoTime() - started) / 1e9);
    }

    /** Trains {@code s} on each half of the labels and scores it on the other half. */
    private Pilot pilot(Config c, TargetTask task, Labelled labelled, Strategy s) {
        long started = System.nanoTime();
        long seed = Seeds.derive(c.train().seed(), "pilot");
        int[][] halves = LinearProbe.stratifiedSplit(labelled.labels(), labelled.numClasses(),
                0.5, new SplittableRandom(seed));
        long correct = 0;
        long seen = 0;
        long trainable = 0;
        for (int fold = 0; fold < 2; fold++) {
            Labelled fit = labelled.select(halves[fold]);
            Labelled held = labelled.select(halves[1 - fold]);
            if (s == Strategy.TFIDF) {
                TfIdf.Result r = TfIdf.run(TargetTask.texts(fit, "tfidf"),
                        TargetTask.texts(held, "tfidf"), Seeds.derive(seed, "fold" + fold));
                trainable = r.parameters(labelled.numClasses());
                correct += Math.round(r.testAccuracy() * held.size());
                seen += held.size();
                continue;
            }
            try (NDManager manager = NDManager.newBaseManager()) {
                Comparison.Trained t = Comparison.train(task, s, fit, c.train(),
                        Seeds.derive(seed, "fold" + fold), c.minStepsPerEpoch(), Progress.SILENT,
                        manager);
                trainable = t.trainableParameters();
                try (Examples h = task.examples(held, t.normalization(), manager)) {
                    Evaluation ev = Evaluation.of(t.net(), h, null, manager);
                    correct += Math.round(ev.accuracy() * held.size());
                    seen += held.size();
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        log.accept(String.format("pilot %-10s %.2f%% (%.1f s)", s.id(), 100.0 * correct / seen,
                seconds));
        return new Pilot(s, (double) correct / seen, trainable, seconds);
    }

    /** Mean accuracy of a logistic-regression probe over stratified folds. */
    static double crossValidated(FeatureCodes codes, int folds, long seed) {
        int[] fold = new int[codes.count()];
        int[] nextFold = new int[codes.numClasses()];
        for (int i : ImageDataset.permutation(codes.count(), new SplittableRandom(seed))) {
            int y = codes.labels()[i];
            fold[i] = nextFold[y]++ % folds;
        }
        long correct = 0;
        for (int f = 0; f < folds; f++) {
            int ff = f;
            int[] fit = java.util.stream.IntStream.range(0, fold.length)
                    .filter(i -> fold[i] != ff).toArray();
            int[] held = java.util.stream.IntStream.range(0, fold.length)
                    .filter(i -> fold[i] == ff).toArray();
            FeatureCodes heldCodes = codes.select(held);
            double acc = LinearProbe.fit(codes.select(fit), heldCodes, LinearProbe.Config
                    .defaults(LinearProbe.Classifier.LOGREG, seed + f)).testAccuracy();
            correct += Math.round(acc * held.length);
        }
        return (double) correct / codes.count();
    }

    /**
     * Proxy A-distance at {@code stage}: a logistic regression tells source codes (label 0)
     * from target codes (label 1), fitted on one half and scored on the other.
     */
    static double domainDistance(StagedNet net, Examples source, Examples target,
            String stage, long seed, NDManager manager) {
        FeatureCodes s = FeatureCodes.extract(net, source, stage, Pooling.AVERAGE, null,
                manager);
        FeatureCodes t = FeatureCodes.extract(net, target, stage, Pooling.AVERAGE, null,
                manager);
        int n = s.count() + t.count();
        float[] v = new float[n * s.dim()];
        System.arraycopy(s.values(), 0, v, 0, s.values().length);
        System.arraycopy(t.values(), 0, v, s.values().length, t.values().length);
        int[] y = new int[n];
        Arrays.fill(y, s.count(), n, 1);
        FeatureCodes both = new FeatureCodes(v, n, s.dim(), y, List.of("source", "target"));
        int[][] halves = LinearProbe.stratifiedSplit(y, 2, 0.5, new SplittableRandom(seed));
        double acc = LinearProbe.fit(both.select(halves[0]), both.select(halves[1]),
                LinearProbe.Config.defaults(LinearProbe.Classifier.LOGREG, seed))
                .testAccuracy();
        return Math.max(0, Math.min(2, 2 * (1 - 2 * (1 - acc))));
    }

    /**
     * Up to {@value #DISTANCE_IMAGES} test examples of the source task, or null if unavailable.
     */
    private Labelled sourceExamples(TargetTask task, long seed) {
        Labelled test = TargetTask.sourceTestSet(task.spec(), "domain distance", log);
        return test == null ? null : sample(test, DISTANCE_IMAGES,
                Seeds.derive(seed, "source-sample"));
    }

    private static Labelled sample(Labelled d, int max, long seed) {
        if (d.size() <= max) {
            return d;
        }
        int[] perm = ImageDataset.permutation(d.size(), new SplittableRandom(seed));
        return d.select(Arrays.copyOf(perm, max));
    }
}
