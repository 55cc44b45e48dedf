package dev.graft.cli;

import dev.graft.data.Normalization;
import dev.graft.model.Architecture;
import dev.graft.zoo.HuggingFaceBert;
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
            "finetune, advise, distill (as teacher), prune, quantize, export, analyze.", "",
            "--arch bert imports a Hugging Face BERT-family text encoder (BERT, MiniLM, bge,",
            "e5): --weights names its folder (config.json, model.safetensors, tokenizer.json;",
            "sentence_bert_config.json's max_seq_length, if there, caps the input). The",
            "pooler and task heads are left out; graft's head pools the tokens' mean.", ""},
        footer = {"", "Examples:",
            "  graft import --arch resnet50 --weights resnet50.safetensors \\",
            "      --class-names imagenet_classes.txt --out models/resnet50",
            "  graft predict --model models/resnet50 cat.jpg",
            "  graft finetune --model models/resnet50 --data my-images/ --policy last-stage",
            "  graft import --arch bert --weights bge-small-en-v1.5/ --out models/bge-small",
            "  graft transfer --model models/bge-small --data uci-sentiment --shots 8,64", ""})
final class ImportCommand implements Callable<Integer> {

    @Option(names = "--arch", required = true, description = "Architecture the weights are"
            + " for: resnet18, resnet34, resnet50, vgg16, vgg16_bn, inception_v3,"
            + " efficientnet_b0; bert for a Hugging Face text encoder's folder.")
    String arch;

    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "The .safetensors file (bert: the model's folder, or its"
                    + " model.safetensors).")
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
        Architecture architecture = Architecture.byId(arch);
        if (architecture == Architecture.BERT) {
            if (classNames != null || mean != null || inputSize != 0 || noAuxLogits) {
                throw new IllegalArgumentException("--class-names, --mean, --std, --input-size"
                        + " and --no-aux-logits are for image models; a text encoder's folder"
                        + " says its own sizes");
            }
            HuggingFaceBert.Result r = HuggingFaceBert.importFolder(weights, common.out,
                    common::log);
            common.print(r, String.format("%s: bert, %d layers, %d wide, %d heads, %,d"
                    + " parameters, inputs up to %d tokens%n  stored dtypes %s%s%n%s",
                    r.checkpoint(), r.config().layers(), r.config().hiddenSize(),
                    r.config().heads(), r.parameters(), r.tokens(), r.dtypes(),
                    r.pooling() == null ? "" : "; trained with " + r.pooling() + " pooling",
                    r.dropped().isEmpty() ? "" : "  left out " + String.join("; ", r.dropped())
                            + "\n"));
            return 0;
        }
        Normalization norm = mean == null ? null : new Normalization(mean, std);
        Import.Result r = new Import(common::log).run(new Import.Config(architecture,
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
