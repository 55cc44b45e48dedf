package dev.graft.cli;

import dev.graft.data.Normalization;
import dev.graft.model.Architecture;
import dev.graft.zoo.Import;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft import}: torchvision weights in safetensors as a graft checkpoint. */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Make a graft checkpoint from pretrained weights stored as safetensors",
            "with torchvision's parameter names (what safetensors' save_file(model.state_dict())",
            "writes). F32, F16 and BF16 are read; everything is stored as float32. Every name",
            "and shape is checked against the architecture and all mismatches reported at once.",
            "The class count comes from the head's weight; the checkpoint records the input",
            "size and the normalization the weights expect (ImageNet's mean and std; for",
            "inception_v3, 0.5 / 0.5, which is what torchvision's transform_input=True applies",
            "to ImageNet-normalized images). inception_v3's auxiliary classifier (AuxLogits.*)",
            "is kept when the file has it: training then adds its loss at weight 0.4, as",
            "torchvision's recipe does (--no-aux-logits leaves it out).", "",
            "Afterwards every graft command takes the checkpoint: predict, evaluate, extract,",
            "finetune, advise, distill (as teacher), prune, quantize, export, analyze.", ""},
        footer = {"", "Examples:",
            "  graft import --arch resnet50 --weights resnet50.safetensors \\",
            "      --class-names imagenet_classes.txt --out models/resnet50",
            "  graft predict --model models/resnet50 cat.jpg",
            "  graft finetune --model models/resnet50 --data my-images/ --policy last-stage", ""})
final class ImportCommand implements Callable<Integer> {

    @Option(names = "--arch", required = true, description = "Architecture the weights are"
            + " for: resnet18, resnet34, resnet50, vgg16, vgg16_bn, inception_v3,"
            + " efficientnet_b0.")
    String arch;

    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "The .safetensors file.")
    Path weights;

    @Option(names = "--class-names", paramLabel = "FILE", description = "Text file, one class"
            + " name per line in the head's order (e.g. ImageNet's 1,000).")
    Path classNames;

    @Option(names = "--input-size", defaultValue = "0", paramLabel = "PIXELS",
            description = "Side of the square input (default: 224; inception_v3 299).")
    int inputSize;

    @Option(names = "--mean", split = ",", paramLabel = "R,G,B", description = "Per-channel"
            + " mean of the normalization, in [0, 1] units (default: as above).")
    float[] mean;

    @Option(names = "--std", split = ",", paramLabel = "R,G,B", description = "Per-channel"
            + " standard deviation (with --mean).")
    float[] std;

    @Option(names = "--no-aux-logits", description = "inception_v3: leave the auxiliary"
            + " classifier out even when the file has it.")
    boolean noAuxLogits;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        if (common.out == null) {
            throw new IllegalArgumentException("--out DIR is required: the checkpoint folder to"
                    + " write");
        }
        if ((mean == null) != (std == null)) {
            throw new IllegalArgumentException("--mean and --std go together");
        }
        Normalization norm = mean == null ? null : new Normalization(mean, std);
        Import.Result r = new Import(common::log).run(new Import.Config(Architecture.byId(arch),
                weights, inputSize, classNames, norm, noAuxLogits), common.out);
        common.print(r, String.format("%s: %s, %,d parameters, %d classes%s, input %s%n"
                + "  stored dtypes %s; normalization mean %s std %s%n%s", r.checkpoint(),
                r.architecture(), r.parameters(), r.classes(), r.classNames() ? " (named)" : "",
                Arrays.toString(r.inputShape()), r.dtypes(),
                Arrays.toString(r.normalization().mean()), Arrays.toString(r.normalization()
                        .std()), r.dropped().isEmpty() ? "" : "  dropped " + String.join("; ",
                                r.dropped()) + "\n"));
        return 0;
    }
}
