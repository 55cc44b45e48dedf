package dev.graft.cli;

import ai.djl.ndarray.NDManager;
import dev.graft.data.ClassSelection;
import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.TensorDataset;
import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.train.Evaluation;
import dev.graft.train.RunFolder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft evaluate}: accuracy, per-class accuracy and confusion matrix of a checkpoint. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Accuracy, per-class accuracy and confusion matrix of a checkpoint.", "",
            "Inputs are normalized as the checkpoint was trained; a model trained on a class",
            "subset is matched to the data by class name.", ""},
        footer = {"", "Example:", "  graft evaluate --model runs/fm-convnet/model --json"})
final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT",
            description = "Checkpoint folder (with model.json and weights.safetensors).")
    Path model;

    @Option(names = "--data", description = "Dataset name or IDX folder (default: the one the "
            + "model was trained on).")
    String data;

    @Option(names = "--classes", description = "Data classes to evaluate on, in the model's "
            + "class order (default: matched by name).")
    String classes;

    @Option(names = "--split", defaultValue = "test", description = "test or train "
            + "(default: ${DEFAULT-VALUE}).")
    String split;

    @Mixin
    TaskOption head;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        model = head.resolve(model, common::log);
        if (!split.equals("test") && !split.equals("train")) {
            throw new IllegalArgumentException("--split " + split + " is not test or train");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(model, manager);
            ModelSpec spec = loaded.spec();
            String dataName = data != null ? data : spec.sourceDataset();
            DatasetResolver.Resolved r = new DatasetResolver().resolve(dataName,
                    spec.inputShape(), common::log);
            common.log("data: " + dataName + " from " + r.source());
            ImageDataset d = split.equals("test") ? r.test() : r.train();
            d = matchClasses(d, spec);
            if (!Arrays.equals(d.imageShape(), spec.inputShape())) {
                throw new GraftException("the model takes inputs " + Arrays.toString(
                        spec.inputShape()) + " but " + dataName + " has images " + Arrays.toString(
                        d.imageShape()));
            }
            Evaluation ev;
            try (TensorDataset t = TensorDataset.of(d, spec.normalization(), manager)) {
                ev = Evaluation.of(loaded.net(), t, d.classNames(), manager);
            }
            if (common.out != null) {
                try (RunFolder run = RunFolder.open(common.out, true)) {
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("command", "evaluate");
                    json.put("model", model.toString());
                    json.put("data", dataName);
                    json.put("split", split);
                    json.put("result", ev);
                    run.writeRun(json);
                }
            }
            common.print(ev, format(ev));
        }
        return 0;
    }

    private ImageDataset matchClasses(ImageDataset d, ModelSpec spec) {
        if (classes != null) {
            ImageDataset sub = d.withClasses(ClassSelection.parse(classes, d.classNames()));
            if (sub.numClasses() != spec.numClasses()) {
                throw new IllegalArgumentException("--classes selects " + sub.numClasses()
                        + " classes but the model has " + spec.numClasses());
            }
            return sub;
        }
        List<String> names = spec.classNames();
        if (names != null && !names.equals(d.classNames())) {
            return d.withClassNames(names);
        }
        if (d.numClasses() != spec.numClasses()) {
            throw new IllegalArgumentException("the model has " + spec.numClasses()
                    + " classes but the data has " + d.numClasses() + "; pass --classes");
        }
        return d;
    }

    static String format(Evaluation ev) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("accuracy %.2f%% (loss %.4f) on %,d images%n%n", 100 * ev.accuracy(),
                ev.loss(), ev.examples()));
        int k = ev.classNames().size();
        int w = Math.max(5, ev.classNames().stream().mapToInt(String::length).max().orElse(5));
        sb.append(String.format("%-" + w + "s %8s   confusion (rows: true, columns: predicted)%n",
                "class", "accuracy"));
        for (int c = 0; c < k; c++) {
            sb.append(String.format("%-" + w + "s %7.2f%%  ", ev.classNames().get(c),
                    100 * ev.perClassAccuracy()[c]));
            for (int p = 0; p < k; p++) {
                sb.append(String.format(" %5d", ev.confusion()[c][p]));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
