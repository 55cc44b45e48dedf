package dev.graft.cli;

import dev.graft.data.DatasetResolver;
import dev.graft.data.ImageDataset;
import dev.graft.data.SubsetMaker;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft data}: where a dataset comes from, and making subsets. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Inspect datasets and make stratified subsets.",
        subcommands = {DataCommand.Info.class, DataCommand.Subset.class, DataCommand.Images.class})
final class DataCommand {

    /** {@code graft data info}. */
    @Command(name = "info", mixinStandardHelpOptions = true, description = {
        "Say where a dataset resolves from (--data, $GRAFT_DATA, the Debian package, "
            + "~/.graft/datasets,", "download, or the bundled subset) and what it holds."})
    static final class Info implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "fashion-mnist", description =
                "Dataset name or IDX folder (default: ${DEFAULT-VALUE}).")
        String data;

        @Mixin
        CommonOptions common;

        @Override
        public Integer call() {
            common.refuseOut("data info");
            DatasetResolver.Resolved r = new DatasetResolver().resolve(data, common::log);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("data", data);
            out.put("source", r.source());
            out.put("train", r.train().size());
            out.put("test", r.test().size());
            out.put("image_shape", r.train().imageShape());
            out.put("classes", r.train().classNames());
            out.put("train_per_class", r.train().classCounts());
            out.put("test_per_class", r.test().classCounts());
            out.put("train_fingerprint", r.train().fingerprint());
            common.print(out, String.format("%s: %s%n  train %,d, test %,d images of %s%n"
                    + "  classes %s%n  train per class %s%n", data, r.source(), r.train().size(),
                    r.test().size(), Arrays.toString(r.train().imageShape()),
                    r.train().classNames(), Arrays.toString(r.train().classCounts())));
            return 0;
        }
    }

    /** {@code graft data subset}. */
    @Command(name = "subset", mixinStandardHelpOptions = true, description = {
        "Write a stratified subset (the same count from every class) as IDX files plus",
        "classes.txt. The subset bundled in graft was made with:",
        "  graft data subset --data fashion-mnist --train-per-class 600 --test-per-class 100 \\",
        "    --out src/main/resources/dev/graft/data/fashion-mnist-small",
        "With --all, every image of both splits: a named or shifted dataset as IDX files for",
        "another tool, e.g. graft data subset --data optdigits --all --out /tmp/optdigits"})
    static final class Subset implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "fashion-mnist", description =
                "Dataset name or IDX folder (default: ${DEFAULT-VALUE}).")
        String data;

        @Option(names = "--train-per-class", defaultValue = "600",
                description = "Training images per class (default: ${DEFAULT-VALUE}).")
        int trainPerClass;

        @Option(names = "--test-per-class", defaultValue = "100",
                description = "Test images per class (default: ${DEFAULT-VALUE}).")
        int testPerClass;

        @Option(names = "--all", description = "Write every image of both splits, as graft"
                + " reads them (shifts applied, optdigits resampled and split).")
        boolean all;

        @Mixin
        CommonOptions common;

        @Override
        public Integer call() {
            if (common.out == null) {
                throw new IllegalArgumentException("--out DIR is required: where to write the"
                        + " subset");
            }
            DatasetResolver.Resolved r = new DatasetResolver().resolve(data, common::log);
            Path out = common.out;
            SubsetMaker.write(r, trainPerClass, testPerClass, all, common.seed, out);
            DatasetResolver.Resolved check = DatasetResolver.readFolder(out,
                    r.train().classNames(), out.toString());
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("out", out.toString());
            json.put("train", check.train().size());
            json.put("test", check.test().size());
            json.put("from", r.source());
            common.print(json, String.format("wrote %,d train / %,d test images to %s%n",
                    check.train().size(), check.test().size(), out));
            return 0;
        }
    }

    /** {@code graft data images}. */
    @Command(name = "images", mixinStandardHelpOptions = true, description = {
        "Write a stratified subset as an image folder (torchvision's ImageFolder layout):",
        "train/<class>/00000.png ... and test/<class>/..., one PNG per image. Any --data",
        "option then reads it back, each picture resized and center-cropped to the model's",
        "input as torchvision's evaluation transform does.", "",
        "Example: a small set for fine-tuning an imported ImageNet model",
        "  graft data images --train-per-class 20 --test-per-class 10 --out runs/fm-images"})
    static final class Images implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "fashion-mnist", description =
                "Dataset name or folder (default: ${DEFAULT-VALUE}).")
        String data;

        @Option(names = "--train-per-class", defaultValue = "20",
                description = "Training images per class (default: ${DEFAULT-VALUE}).")
        int trainPerClass;

        @Option(names = "--test-per-class", defaultValue = "10",
                description = "Test images per class (default: ${DEFAULT-VALUE}).")
        int testPerClass;

        @Option(names = "--all", description = "Write every image of both splits, as graft"
                + " reads them (shifts applied, optdigits resampled and split).")
        boolean all;

        @Mixin
        CommonOptions common;

        @Override
        public Integer call() {
            if (common.out == null) {
                throw new IllegalArgumentException("--out DIR is required: where to write the"
                        + " image folder");
            }
            DatasetResolver.Resolved r = new DatasetResolver().resolve(data, common::log);
            DatasetResolver.Resolved s = SubsetMaker.sample(r, trainPerClass, testPerClass,
                    common.seed);
            ImageDataset train = s.train();
            ImageDataset test = s.test();
            dev.graft.data.ImageFolder.write(train, test, common.out);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("out", common.out.toString());
            json.put("train", train.size());
            json.put("test", test.size());
            json.put("from", r.source());
            common.print(json, String.format("wrote %,d train / %,d test PNG images to %s%n",
                    train.size(), test.size(), common.out));
            return 0;
        }
    }
}
