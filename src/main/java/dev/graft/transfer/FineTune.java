package dev.graft.transfer;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Examples;
import dev.graft.data.ImageDataset;
import dev.graft.data.Labelled;
import dev.graft.data.TensorDataset;
import dev.graft.data.TextData;
import dev.graft.data.TextTokenizer;
import dev.graft.data.TokenizedText;
import dev.graft.io.GraftException;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.train.EpochMetrics;
import dev.graft.train.Evaluation;
import dev.graft.train.GraftVersion;
import dev.graft.train.LrSchedule;
import dev.graft.train.Mask;
import dev.graft.train.ParamGroup;
import dev.graft.train.Pretrain;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.RunTraining;
import dev.graft.train.Seeds;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft finetune}: a pretrained checkpoint's trunk under a fresh head for the target
 * classes, trained with a {@link FineTunePolicy}. Reports the target accuracy and, as a
 * catastrophic-forgetting check, the source task's accuracy through its original head before and
 * after.
 */
public final class FineTune {

    /**
     * @param data target dataset (null: the source model's)
     * @param classes target classes, relabelled 0..k-1 (null: all)
     * @param shots labelled target images per class (null: all)
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("classes") String classes,
            @JsonProperty("shots") Integer shots,
            @JsonProperty("val_fraction") double valFraction,
            @JsonProperty("policy") FineTunePolicy policy,
            @JsonProperty("train") TrainConfig train,
            @JsonProperty("fields") TextData.Fields fields) {

        public Config {
            fields = fields == null ? TextData.Fields.DEFAULT : fields;
        }

        /** Fine-tuning on images, or on text files with the default fields. */
        public Config(Path model, String data, String classes, Integer shots, double valFraction,
                FineTunePolicy policy, TrainConfig train) {
            this(model, data, classes, shots, valFraction, policy, train, null);
        }
    }

    /** What a fine-tuning run produced. */
    public record Result(
            @JsonProperty("test_accuracy") double testAccuracy,
            @JsonProperty("source_accuracy_before") Double sourceAccuracyBefore,
            @JsonProperty("source_accuracy_after") Double sourceAccuracyAfter,
            @JsonProperty("policy") FineTunePolicy policy,
            @JsonProperty("trainable_parameters") long trainableParameters,
            @JsonProperty("epochs") int epochs,
            @JsonProperty("best_epoch") int bestEpoch,
            @JsonProperty("train_images_per_second") double trainImagesPerSecond,
            @JsonProperty("train_examples") int trainExamples,
            @JsonProperty("checkpoint") String checkpoint,
            @JsonProperty("run") String run,
            @JsonProperty("history") List<EpochMetrics> history,
            @JsonProperty("test") Evaluation test) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public FineTune(Consumer<String> log) {
        this.log = log;
    }

    public FineTune progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Result run(Config c, Path runDir, boolean resume) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded source = Checkpoint.load(c.model(), manager);
            ModelSpec spec = source.spec();
            StagedNet sourceNet = source.net();
            List<String> stages = sourceNet.stageNames();
            c.policy().groups(stages, 1); // validates the policy's stage names before any work
            String dataName = c.data() != null ? c.data()
                    : spec.sourceDataset();
            long seed = c.train().seed();
            try (Target data = target(c, spec, dataName, manager);
                    RunFolder run = RunTraining.open(runDir, resume, c, c.train().epochs(),
                            log)) {
                Double before = data.sourceTest == null ? null : Evaluation.of(sourceNet,
                        data.sourceTest, null, manager).accuracy();
                StagedNet net = sourceNet.withHead(data.classNames.size(), manager,
                        Seeds.derive(seed, "head"));
                if (c.policy().probeHead()) {
                    LinearProbe.LinearMap head = Comparison.probeHead(net, data.train,
                            data.classNames, stages.get(stages.size() - 1), seed, manager);
                    log.accept(String.format("head: the probe's logistic regression on %s"
                            + " (%,d weights)", stages.get(stages.size() - 1),
                            head.weight().length));
                }
                ModelSpec targetSpec = new ModelSpec(ModelSpec.FORMAT_VERSION, spec.architecture(),
                        spec.options(), spec.inputShape(), net.numClasses(),
                        data.classNames, spec.normalization(), stages,
                        Checkpoint.parameterShapes(net), new ModelSpec.Provenance(
                                GraftVersion.graft(), GraftVersion.djl(), GraftVersion.engine(),
                                Instant.now().toString(), seed, dataName, data.source,
                                data.fingerprint, c.model().toString(), "finetune"));
                TrainConfig tc = c.policy().slantedTriangular() ? new TrainConfig(
                        c.train().epochs(), c.train().batchSize(), c.train().optimizer(),
                        LrSchedule.SlantedTriangular.defaults(), c.train().augmentation(), seed,
                        c.train().patience(), List.of()) : c.train();
                Map<String, Object> runJson = new LinkedHashMap<>();
                runJson.put("command", "finetune");
                runJson.put("config", c);
                RunTraining.Outcome o = RunTraining.run(run, net, targetSpec, new RunTraining.Data(
                        data.train, data.validation, data.test, data.classNames), tc,
                        epoch -> c.policy().groups(stages, epoch), sourceMask(c.model(),
                                sourceNet, net, manager), runJson, progress, log, manager);
                Double after = data.sourceTest == null ? null : Evaluation.of(
                        o.best().withHeadOf(sourceNet), data.sourceTest, null, manager)
                        .accuracy();
                Result r = new Result(o.test().accuracy(), before, after, c.policy(),
                        trainable(net, c.policy().groups(stages, Math.max(1, o.lastEpoch()))),
                        o.lastEpoch(), o.bestEpoch(), o.loop().meanImagesPerSecond(),
                        data.train.size(), run.resolve(RunTraining.MODEL).toString(),
                        runDir.toString(), o.history(), o.test());
                runJson.put("status", "finished");
                runJson.put("result", r);
                run.writeRun(runJson);
                return r;
            }
        }
    }

    /**
     * The target task as the network reads it: images normalized as the source was, or texts
     * tokenized by the checkpoint's tokenizer; with the source's test set for the forgetting
     * check where graft has it (not for an imported text encoder, whose head is untrained).
     */
    private record Target(Examples train, Examples validation, Examples test,
            Examples sourceTest, List<String> classNames, String source, String fingerprint)
            implements AutoCloseable {
        @Override
        public void close() {
            for (Examples e : java.util.Arrays.asList(train, validation, test, sourceTest)) {
                if (e != null) {
                    e.close();
                }
            }
        }
    }

    private Target target(Config c, ModelSpec spec, String dataName, NDManager manager) {
        long seed = c.train().seed();
        if (Architecture.byId(spec.architecture()).isText()) {
            TextData.Prepared d = TextData.prepare(dataName, c.fields(), c.classes(), c.shots(),
                    c.valFraction(), Seeds.derive(seed, "split"), Seeds.derive(seed, "shots"),
                    log);
            try (TextTokenizer tok = Checkpoint.tokenizer(c.model(), spec)) {
                TokenizedText train = tok.tokenize(d.train());
                if (train.truncated() > 0) {
                    log.accept(String.format("%,d training texts cut to %d tokens",
                            train.truncated(), tok.maxTokens()));
                }
                return new Target(train, tok.tokenize(d.validation()), tok.tokenize(d.test()),
                        null, d.test().classNames(), d.source(), d.train().fingerprint());
            }
        }
        Pretrain.Splits data = Pretrain.prepareData(dataName, spec.inputShape(),
                c.classes(), c.shots(), c.valFraction(), seed, log);
        if (!Arrays.equals(data.train().imageShape(), spec.inputShape())) {
            throw new GraftException("the model takes inputs " + Arrays.toString(
                    spec.inputShape()) + " but " + dataName + " has images "
                    + Arrays.toString(data.train().imageShape()));
        }
        Labelled sourceTest = TargetTask.sourceTestSet(spec, "forgetting check", log);
        return new Target(TensorDataset.of(data.train(), spec.normalization(), manager),
                TensorDataset.of(data.validation(), spec.normalization(), manager),
                TensorDataset.of(data.test(), spec.normalization(), manager),
                sourceTest == null ? null : TensorDataset.of(TargetTask.images(sourceTest,
                        "the forgetting check"), spec.normalization(), manager),
                data.test().classNames(), data.source(),
                data.train().fingerprint());
    }

    /**
     * A pruned source keeps its zeros: its mask (without the head, which is new) is applied to
     * the trunk, held after every step and saved with every checkpoint.
     */
    private RunTraining.Extras sourceMask(Path model, StagedNet sourceNet, StagedNet net,
            NDManager manager) {
        Path file = model.resolve(Mask.FILE);
        if (!Files.isRegularFile(file)) {
            return RunTraining.Extras.NONE;
        }
        Mask mask = Mask.load(file, sourceNet, manager).only(name -> !net.parameters(
                StagedNet.HEAD).containsKey(name));
        mask.apply(net);
        log.accept(String.format("keeping the pruning mask of %s: %.1f%% of the trunk's"
                + " weights stay zero", model, 100 * mask.sparsity()));
        return new RunTraining.Extras(null, List.of(mask.hook()), mask::save, null);
    }

    /** Parameters the groups let train. */
    static long trainable(StagedNet net, List<ParamGroup> groups) {
        long n = 0;
        for (ParamGroup g : groups) {
            if (!g.frozen() && g.lrMultiplier() > 0) {
                for (var p : net.parameters(g.stage()).values()) {
                    n += p.requiresGradient() ? p.getArray().size() : 0;
                }
            }
        }
        return n;
    }
}
