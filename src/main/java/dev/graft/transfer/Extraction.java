package dev.graft.transfer;

import ai.djl.ndarray.NDManager;
import dev.graft.data.ClassSelection;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.data.TextData;
import dev.graft.data.TextDataset;
import dev.graft.data.TextTokenizer;
import dev.graft.data.TokenizedText;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.Pooling;
import dev.graft.train.Seeds;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft extract}: runs a checkpoint's frozen trunk up to a stage over a dataset's train and
 * test splits and caches the codes in a folder ({@code train.safetensors},
 * {@code test.safetensors}, {@code codes.json}).
 */
public final class Extraction {

    /**
     * @param stage stage to cut at; null for the last one
     * @param data dataset name or folder; null for the one the model was trained on
     * @param classes target classes ({@code 5-9}), relabelled 0..k-1; null for all
     * @param shots training images per class, or null for all
     * @param fields which fields of a text file hold the text and the label
     */
    public record Config(Path model, String stage, String data, String classes, Integer shots,
            Pooling pooling, long seed, TextData.Fields fields) {}

    private Extraction() {}

    /**
     * What an image extraction reads, prepared as {@code graft extract} prepares it: the
     * checkpoint, the stage it is cut at, and the train and test splits (classes and shots
     * applied). The Spark jobs open the same source on each executor.
     */
    public record Source(Config config, Checkpoint.Loaded loaded, String stage, String dataName,
            ImageDataset train, ImageDataset test) {
        /** The split called {@code name} ({@code train} or {@code test}). */
        public ImageDataset split(String name) {
            return switch (name) {
                case "train" -> train;
                case "test" -> test;
                default -> throw new IllegalArgumentException("no split '" + name
                        + "'; splits are train, test");
            };
        }
    }

    /**
     * A checkpoint cut at a stage, for the codes of images that are no dataset (files read
     * elsewhere, such as a Spark job's): each through the model's evaluation transform, then
     * its normalization, as {@code graft predict} feeds images.
     */
    public record Cut(Checkpoint.Loaded loaded, String stage, Pooling pooling) {
        /** Opens {@code model} at {@code stage} (null: the last); text checkpoints are refused. */
        public static Cut open(Path model, String stage, Pooling pooling, NDManager manager) {
            Checkpoint.Loaded loaded = Checkpoint.load(model, manager);
            Config c = new Config(model, stage, null, null, null, pooling, 0, null);
            refuseText(c, loaded);
            return new Cut(loaded, Extraction.stage(c, loaded), pooling);
        }

        /** How image files become the network's input. */
        public dev.graft.data.EvalTransform transform() {
            return dev.graft.data.EvalTransform.forInput(loaded.spec().inputShape());
        }

        /** The codes of {@code count} transformed images ({@code [count, c, h, w]} bytes). */
        public FeatureCodes codes(byte[] pixels, int count, NDManager manager) {
            int[] shape = loaded.spec().inputShape();
            return codes(new ImageDataset("images", pixels, new int[count], shape[0], shape[1],
                    shape[2], List.of("-")), manager);
        }

        /**
         * The codes of the images {@code d}, batched from its first image at the network's
         * inference batch size: a part of a split that starts at a multiple of that size gets
         * the very numbers the whole split's extraction gives it.
         */
        public FeatureCodes codes(ImageDataset d, NDManager manager) {
            try (TensorDataset t = TensorDataset.of(d, loaded.spec().normalization(), manager)) {
                return FeatureCodes.extract(loaded.net(), t, stage, pooling, d.classNames(),
                        manager);
            }
        }
    }

    /** Opens an image extraction's checkpoint and data; text checkpoints are refused. */
    public static Source open(Config c, NDManager manager, Consumer<String> log) {
        return open(c, Checkpoint.load(c.model(), manager), log);
    }

    private static Source open(Config c, Checkpoint.Loaded loaded, Consumer<String> log) {
        ModelSpec spec = loaded.spec();
        String stage = stage(c, loaded);
        refuseText(c, loaded);
        String dataName = c.data() != null ? c.data() : spec.sourceDataset();
        DatasetResolver.Resolved r = new DatasetResolver().resolve(dataName,
                spec.inputShape(), log);
        log.accept("data: " + dataName + " from " + r.source());
        ImageDataset train = r.train();
        ImageDataset test = r.test();
        if (c.classes() != null) {
            int[] cls = ClassSelection.parse(c.classes(), train.classNames());
            train = train.withClasses(cls);
            test = test.withClasses(cls);
        }
        if (c.shots() != null) {
            train = train.sampleShots(c.shots(), Seeds.derive(c.seed(), "shots"));
        }
        if (!Arrays.equals(train.imageShape(), spec.inputShape())) {
            throw new GraftException("the model takes inputs " + Arrays.toString(
                    spec.inputShape()) + " but " + dataName + " has images "
                    + Arrays.toString(train.imageShape()));
        }
        return new Source(c, loaded, stage, dataName, train, test);
    }

    private static void refuseText(Config c, Checkpoint.Loaded loaded) {
        if (loaded.net().architecture().isText()) {
            throw new GraftException(c.model() + " reads text; this extraction reads images");
        }
    }

    /** The stage {@code --stage} names (checked), or the network's last. */
    private static String stage(Config c, Checkpoint.Loaded loaded) {
        String stage = c.stage() != null ? c.stage()
                : loaded.net().stageNames().get(loaded.net().stageNames().size() - 1);
        if (!loaded.net().stageNames().contains(stage)) {
            throw new IllegalArgumentException("--stage " + stage + " does not exist in this "
                    + loaded.spec().architecture() + "; stages are " + loaded.net().stageNames());
        }
        return stage;
    }

    /** The codes of the images {@code d} (a split of {@code s}, or part of one): {@link Cut#codes}. */
    public static FeatureCodes codes(Source s, ImageDataset d, NDManager manager) {
        return new Cut(s.loaded(), s.stage(), s.config().pooling()).codes(d, manager);
    }

    public static FeatureCodes.Info run(Config c, Path out, Consumer<String> log) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(c.model(), manager);
            if (loaded.net().architecture().isText()) {
                return runText(c, loaded, stage(c, loaded), out, log, manager);
            }
            Source s = open(c, loaded, log);
            int dim = -1;
            for (String split : List.of("train", "test")) {
                FeatureCodes codes = codes(s, s.split(split), manager);
                codes.save(out.resolve(split + ".safetensors"));
                dim = codes.dim();
                log.accept(String.format("%s: %,d codes of dimension %d at %s", split,
                        codes.count(), dim, s.stage()));
            }
            FeatureCodes.Info info = new FeatureCodes.Info(1, c.model().toString(), s.stage(),
                    c.pooling(), dim, s.train().classNames(), List.of("train", "test"),
                    s.dataName() + (c.classes() == null ? "" : " classes " + c.classes())
                            + (c.shots() == null ? "" : ", " + c.shots() + " shots"));
            Json.write(out.resolve(FeatureCodes.INFO), info);
            return info;
        }
    }

    /** The text encoder's codes: texts tokenized by the checkpoint's own tokenizer. */
    private static FeatureCodes.Info runText(Config c, Checkpoint.Loaded loaded, String stage,
            Path out, Consumer<String> log, NDManager manager) {
        if (c.data() == null) {
            throw new GraftException("a text encoder needs --data (e.g. uci-sentiment, or a"
                    + " .csv/.tsv/.jsonl file of texts and labels)");
        }
        if (!TextData.isText(c.data())) {
            throw new GraftException("--data " + c.data() + " is not text, and "
                    + loaded.spec().architecture() + " reads text: give uci-sentiment or a"
                    + " .csv, .tsv or .jsonl file");
        }
        TextData.Resolved r = TextData.resolve(c.data(), c.fields(), log);
        TextDataset train = r.train();
        TextDataset test = r.test();
        if (c.classes() != null) {
            int[] cls = ClassSelection.parse(c.classes(), train.classNames());
            train = train.withClasses(cls);
            test = test.withClasses(cls);
        }
        if (c.shots() != null) {
            train = train.sampleShots(c.shots(), Seeds.derive(c.seed(), "shots"));
        }
        int dim = -1;
        try (TextTokenizer tok = Checkpoint.tokenizer(c.model(), loaded.spec())) {
            for (var split : List.of(Map.entry("train", train), Map.entry("test", test))) {
                TokenizedText t = tok.tokenize(split.getValue());
                FeatureCodes codes = FeatureCodes.extract(loaded.net(), t, stage, c.pooling(),
                        split.getValue().classNames(), manager);
                codes.save(out.resolve(split.getKey() + ".safetensors"));
                dim = codes.dim();
                log.accept(String.format("%s: %,d codes of dimension %d at %s%s", split.getKey(),
                        codes.count(), dim, stage, t.truncated() == 0 ? "" : String.format(
                                " (%,d texts cut to %d tokens)", t.truncated(),
                                tok.maxTokens())));
            }
        }
        FeatureCodes.Info info = new FeatureCodes.Info(1, c.model().toString(), stage,
                c.pooling(), dim, train.classNames(), List.of("train", "test"),
                c.data() + (c.classes() == null ? "" : " classes " + c.classes())
                        + (c.shots() == null ? "" : ", " + c.shots() + " shots"));
        Json.write(out.resolve(FeatureCodes.INFO), info);
        return info;
    }
}
