package dev.graft.cli;

import dev.graft.transfer.FineTune;
import dev.graft.transfer.FineTunePolicy;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft finetune}: fine-tune a checkpoint on a target task with a policy. */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a checkpoint on a target task under a fresh head.", "",
            "A policy preset (probe, last-stage, full, ulmfit, lp-ft) sets which stages train",
            "and how; the options after it override its parts. Frozen stages run in inference",
            "mode, so their BatchNorm statistics stay as pretrained. Also reports the source",
            "task's accuracy through the original head before and after (catastrophic",
            "forgetting).", ""},
        footer = {"", "Examples:",
            "  graft finetune --model runs/src/model --classes 5-9 --shots 10 --policy full",
            "  graft finetune --model runs/src/model --classes 5-9 --policy ulmfit --epochs 4",
            "  graft finetune --model runs/src/model --classes 5-9 --policy full --l2sp 0.01"})
final class FinetuneCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CKPT", description =
            "Pretrained checkpoint folder, or minilm (all-MiniLM-L6-v2, for text).")
    Path model;

    @Option(names = "--policy", defaultValue = "last-stage", description = "Preset: probe "
            + "(head only), last-stage, full, ulmfit, lp-ft (the probe's head, then full)"
            + " (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--freeze-to", paramLabel = "STAGE", description = "Freeze this stage and "
            + "every stage below it.")
    String freezeTo;

    @Option(names = "--unfreeze-every", paramLabel = "K", description = "Gradual unfreezing: "
            + "one more stage from the top every K epochs.")
    Integer unfreezeEvery;

    @Option(names = "--discriminative-factor", description = "Each lower stage learns at the "
            + "rate above divided by this (ULMFiT: 2.6).")
    Double discriminativeFactor;

    @Option(names = "--stlr", negatable = true, description = "Use the slanted triangular "
            + "learning rate.")
    Boolean stlr;

    @Option(names = "--l2sp", description = "L2-SP: pull the trunk toward the pretrained "
            + "weights with this strength.")
    Double l2sp;

    @Option(names = "--resume", description = "Continue the run in --out.")
    boolean resume;

    @Mixin
    TaskOption head;

    @Mixin
    TaskOptions task;

    @Mixin
    TrainOptions train;

    @Mixin
    TextFieldOptions fields;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        if (resume && common.out == null) {
            throw new IllegalArgumentException("--resume needs --out DIR, the run to continue");
        }
        model = head.resolve(model, common::log);
        FineTunePolicy p = FineTunePolicy.preset(policy, stagesOf(model));
        p = new FineTunePolicy(p.name(), freezeTo != null ? freezeTo : p.freezeTo(),
                unfreezeEvery != null ? unfreezeEvery : p.unfreezeEvery(),
                discriminativeFactor != null ? discriminativeFactor : p.discriminativeFactor(),
                stlr != null ? stlr : p.slantedTriangular(), l2sp != null ? l2sp : p.l2sp(),
                p.probeHead());
        FineTune.Config config = new FineTune.Config(model, task.data, task.classes, task.shots,
                task.valFraction, p, train.toConfig(common.seed, 3, isText(model)),
                fields.fields());
        Path dir = RunNames.folder(common.out, "finetune", p.name(), config);
        FineTune.Result r = new FineTune(common::log).progress(common.progress())
                .run(config, dir, resume);
        common.print(r, String.format("target test accuracy %.2f%% with policy %s (%,d trainable"
                + " parameters, %d epoch(s))%s%ncheckpoint: %s%n", 100 * r.testAccuracy(),
                p.name(), r.trainableParameters(), r.epochs(), r.sourceAccuracyAfter() == null ? ""
                        : String.format("%nsource task through the original head: %.2f%% before,"
                                + " %.2f%% after", 100 * r.sourceAccuracyBefore(),
                                100 * r.sourceAccuracyAfter()), r.checkpoint()));
        return 0;
    }

    /** The checkpoint's stage names, from its model.json. */
    private static java.util.List<String> stagesOf(Path model) {
        var spec = dev.graft.model.Checkpoint.readSpec(model, "--model");
        return spec.stages() == null ? java.util.List.of() : spec.stages();
    }

    /** True when the checkpoint is a text encoder. */
    static boolean isText(Path model) {
        return dev.graft.model.Architecture.byId(dev.graft.model.Checkpoint.readSpec(model,
                "--model").architecture()).isText();
    }
}
