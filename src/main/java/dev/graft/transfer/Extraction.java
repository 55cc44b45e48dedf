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

    public static FeatureCodes.Info run(Config c, Path out, Consumer<String> log) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(c.model(), manager);
            ModelSpec spec = loaded.spec();
            String stage = c.stage() != null ? c.stage()
                    : loaded.net().stageNames().get(loaded.net().stageNames().size() - 1);
            if (!loaded.net().stageNames().contains(stage)) {
                throw new IllegalArgumentException("--stage " + stage + " does not exist in this "
                        + spec.architecture() + "; stages are " + loaded.net().stageNames());
            }
            if (loaded.net().architecture().isText()) {
                return runText(c, loaded, stage, out, log, manager);
            }
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
            int dim = -1;
            for (var split : List.of(new Object[] {"train", train}, new Object[] {"test", test})) {
                ImageDataset d = (ImageDataset) split[1];
                try (TensorDataset t = TensorDataset.of(d, spec.normalization(), manager)) {
                    FeatureCodes codes = FeatureCodes.extract(loaded.net(), t, stage,
                            c.pooling(), d.classNames(), manager);
                    codes.save(out.resolve(split[0] + ".safetensors"));
                    dim = codes.dim();
                    log.accept(String.format("%s: %,d codes of dimension %d at %s", split[0],
                            codes.count(), dim, stage));
                }
            }
            FeatureCodes.Info info = new FeatureCodes.Info(1, c.model().toString(), stage,
                    c.pooling(), dim, train.classNames(), List.of("train", "test"),
                    dataName + (c.classes() == null ? "" : " classes " + c.classes())
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
