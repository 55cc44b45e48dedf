package dev.graft.cli;

import dev.graft.zoo.Prediction;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code graft predict}: the most probable classes of image files. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Print the top classes of image files (PNG, JPEG, BMP, GIF) under a",
            "checkpoint. Each image is resized (shorter side to input / 0.875, PIL's bilinear",
            "filter) and center-cropped to the model's input as torchvision's evaluation",
            "transform does, then normalized as the checkpoint says.", ""},
        footer = {"", "Example:", "  graft predict --model models/resnet50 cat.jpg dog.png", ""})
final class PredictCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT",
            description = "Checkpoint folder.")
    Path model;

    @Option(names = "--top", defaultValue = "5", paramLabel = "K",
            description = "Classes shown per image (default: ${DEFAULT-VALUE}).")
    int top;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files.")
    List<Path> images;

    @Mixin
    TaskOption head;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        model = head.resolve(model, common::log);
        common.refuseOut("predict");
        List<Prediction.Result> results = Prediction.run(model, images, top);
        StringBuilder text = new StringBuilder();
        for (Prediction.Result r : results) {
            text.append(r.image()).append('\n');
            for (Prediction.Guess g : r.top()) {
                text.append(String.format(Locale.ROOT, "  %6.2f%%  %s (%d)%n",
                        100 * g.probability(), g.className(), g.index()));
            }
        }
        common.print(results, text.toString());
        return 0;
    }
}
