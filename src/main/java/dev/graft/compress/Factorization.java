package dev.graft.compress;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.train.Mask;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.RunTraining;
import dev.graft.train.Seeds;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft lowrank}: replaces layers of a checkpoint by their truncated-SVD factorization
 * ({@link LowRank}), the rank of each chosen by a share of its weights or of its spectrum's
 * energy, then optionally fine-tunes. The result is a checkpoint whose {@code model.json} lists
 * the ranks, so it loads anywhere as itself.
 */
public final class Factorization {

    /**
     * @param layers layer paths ({@code stage3.1}); empty: every factorizable linear layer
     * @param weightShare each layer's pair keeps at most this share of its weights (null: use
     *     {@code energy})
     * @param energy each layer keeps the smallest rank whose singular values hold this share of
     *     the squared sum (null: use {@code weightShare})
     * @param fineTune training after factorizing; null for none
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("layers") List<String> layers,
            @JsonProperty("weight_share") Double weightShare,
            @JsonProperty("energy") Double energy,
            @JsonProperty("val_fraction") double valFraction,
            @JsonProperty("fine_tune") TrainConfig fineTune,
            @JsonProperty("seed") long seed) {

        public Config {
            layers = List.copyOf(layers);
            if ((weightShare == null) == (energy == null)) {
                throw new IllegalArgumentException("give one of --weights (share of each"
                        + " layer's weights kept, e.g. 0.5) and --energy (share of the"
                        + " spectrum kept, e.g. 0.9)");
            }
            if (weightShare != null && !(weightShare > 0 && weightShare < 1)) {
                throw new IllegalArgumentException("--weights must be in (0, 1), got "
                        + weightShare);
            }
            if (energy != null && !(energy > 0 && energy <= 1)) {
                throw new IllegalArgumentException("--energy must be in (0, 1], got " + energy);
            }
            if (!(valFraction >= 0 && valFraction < 1)) {
                throw new IllegalArgumentException("--val-fraction must be in [0, 1), got "
                        + valFraction);
            }
        }
    }

    /**
     * One factorized layer.
     *
     * @param energy share of the squared singular values the rank keeps
     */
    public record LayerRank(
            @JsonProperty("layer") String layer,
            @JsonProperty("matrix") String matrix,
            @JsonProperty("rank") int rank,
            @JsonProperty("max_rank") int maxRank,
            @JsonProperty("energy") double energy,
            @JsonProperty("weights_before") long weightsBefore,
            @JsonProperty("weights_after") long weightsAfter) {}

    /** What a factorization run produced. */
    public record Result(
            @JsonProperty("given_accuracy") double givenAccuracy,
            @JsonProperty("factorized_accuracy") double factorizedAccuracy,
            @JsonProperty("accuracy") double accuracy,
            @JsonProperty("layers") List<LayerRank> layers,
            @JsonProperty("parameters_before") long parametersBefore,
            @JsonProperty("parameters_after") long parametersAfter,
            @JsonProperty("multiply_adds_before") long multiplyAddsBefore,
            @JsonProperty("multiply_adds_after") long multiplyAddsAfter,
            @JsonProperty("speed") InferenceSpeed speed,
            @JsonProperty("checkpoint") String checkpoint,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("run") String run) {

        /** Test accuracy change from the model as given, in points. */
        public double accuracyChange() {
            return 100 * (accuracy - givenAccuracy);
        }
    }

    /** Convolution ranks are rounded down to a multiple of this (see {@code OneDnnCheck}). */
    static final int CONV_RANK_STEP = 16;

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Factorization(Consumer<String> log) {
        this.log = log;
    }

    public Factorization progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Result run(Config c, Path runDir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(c.model(), manager);
            StagedNet given = loaded.net();
            ModelSpec spec = loaded.spec();
            if (Files.isRegularFile(c.model().resolve(Mask.FILE))) {
                log.accept("note: " + c.model() + " carries a pruning mask; the factors are"
                        + " dense, so the factorized layers lose their zeros");
            }
            Map<String, LowRank.Layer> available = LowRank.layers(given);
            List<String> names = LowRank.chosen(given, c.layers());
            if (names.isEmpty()) {
                throw new GraftException("--model " + c.model() + " (" + given.architecture()
                        .id() + ") has no layer to factorize; factorizable layers: "
                        + given.architecture().factorizableLayers());
            }
            Map<String, Integer> ranks = new LinkedHashMap<>();
            List<LayerRank> rows = new ArrayList<>();
            for (String name : names) {
                LowRank.Layer l = available.get(name);
                if (l == null) {
                    throw new GraftException("--layers " + name + " is not a factorizable"
                            + " layer of " + c.model() + "; choose from " + available.keySet());
                }
                LowRank.Svd svd = LowRank.svd(given.namedParameters().get(name + ".weight")
                        .getArray().toFloatArray(), l.rows(), l.cols());
                int r = c.weightShare() != null ? LowRank.rankForWeights(l, c.weightShare())
                        : LowRank.rankForEnergy(svd.singular(), c.energy());
                r = Math.min(r, svd.singular().length);
                if (l.shape().length == 4 && r > CONV_RANK_STEP) {
                    // the 1 x 1 convolution reads r channels: a multiple of 16 suits oneDNN's
                    // kernels (and libtorch 2.7.1's AVX-512 backward pass needs one)
                    r = r / CONV_RANK_STEP * CONV_RANK_STEP;
                }
                if (l.factorizedWeights(r) >= (long) l.rows() * l.cols()) {
                    throw new GraftException(String.format(Locale.ROOT, "%s (%d x %d) at rank %d"
                            + " would have %,d weights, no fewer than its %,d: a factorization"
                            + " only saves weights below rank %d; ask for less %s", name,
                            l.rows(), l.cols(), r, l.factorizedWeights(r),
                            (long) l.rows() * l.cols(), (long) l.rows() * l.cols()
                                    / (l.rows() + l.cols()) + 1,
                            c.energy() != null ? "--energy" : "--weights"));
                }
                ranks.put(name, r);
                rows.add(new LayerRank(name, l.rows() + " x " + l.cols(), r,
                        svd.singular().length, LowRank.energy(svd.singular(), r),
                        (long) l.rows() * l.cols(), l.factorizedWeights(r)));
            }
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "lowrank");
            runJson.put("config", c);
            try (ModelTask task = ModelTask.load(c.model(), spec, c.data(), c.valFraction(),
                    Seeds.derive(c.seed(), "split"), log, manager);
                    RunFolder run = RunFolder.open(runDir, true)) {
                runJson.put("status", "running");
                run.writeRun(runJson);
                double givenAccuracy = task.accuracy(given, manager);
                StagedNet net = LowRank.factorize(given, ranks, manager);
                double factorized = task.accuracy(net, manager);
                for (LayerRank row : rows) {
                    log.accept(String.format(Locale.ROOT, "%s (%s): rank %d of %d keeps %.1f%%"
                            + " of the energy, %,d -> %,d weights", row.layer(), row.matrix(),
                            row.rank(), row.maxRank(), 100 * row.energy(), row.weightsBefore(),
                            row.weightsAfter()));
                }
                log.accept(String.format(Locale.ROOT, "test accuracy %.2f%% -> %.2f%% factorized",
                        100 * givenAccuracy, 100 * factorized));
                String command = "lowrank " + ranks;
                double acc = factorized;
                if (c.fineTune() != null) {
                    RunTraining.Outcome o = task.fineTune(run.resolve("finetune"),
                            "lowrank fine-tune", net, task.derivedSpec(net, c.model(), c.seed(),
                                    command), c.fineTune(), RunTraining.Extras.NONE, progress,
                            log, manager);
                    net = o.best();
                    acc = o.test().accuracy();
                }
                Checkpoint.save(run.resolve(RunTraining.MODEL), net, task.derivedSpec(net,
                        c.model(), c.seed(), command), null);
                InferenceSpeed speed = InferenceSpeed.measure(given, net, task.test, manager);
                Result r = new Result(givenAccuracy, factorized, acc, rows,
                        given.parameterCount(), net.parameterCount(), given.multiplyAdds(),
                        net.multiplyAdds(), speed, run.resolve(RunTraining.MODEL).toString(),
                        task.source, runDir.toString());
                runJson.put("status", "finished");
                runJson.put("result", r);
                run.writeRun(runJson);
                FactorizationReport.write(run.resolve(dev.graft.report.Report.FILE), c, r);
                return r;
            }
        }
    }
}
