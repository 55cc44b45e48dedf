package dev.graft.cli;

import dev.graft.transfer.Comparison;
import dev.graft.transfer.Strategy;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft transfer}: strategies x label budgets x seeds, as a table. */
@Command(name = "transfer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare ways to reuse a pretrained checkpoint on a target task.", "",
            "Runs every strategy at every label budget with several seeds and prints the mean",
            "and spread of target test accuracy, wall time and trainable parameters:",
            "  scratch     the same architecture trained on the target labels alone",
            "  probe       pretrained trunk frozen, new head only",
            "  last-stage  top stage and new head train",
            "  full        everything trains from the pretrained weights",
            "  ulmfit      gradual unfreezing + discriminative rates + slanted triangular rate",
            "  lp-ft       the probe's logistic regression as the head, then full fine-tuning",
            "  joint       multi-task instead of pretraining: the architecture afresh, trained",
            "              on the target labels and the source task's together (a head each,",
            "              a source batch beside every target batch; not in the default set)",
            "Text encoders (--model minilm or a text checkpoint) compare instead:",
            "  tfidf       no transfer: word 1-2-gram TF-IDF + logistic regression",
            "  probe, last-stage, full, ulmfit, lp-ft  as above",
            "  setfit      encoder tuned on sentence pairs (cosine similarity), then a",
            "              logistic regression on its embeddings (SetFit's defaults)",
            "and train with AdamW at 5e-5, batch 32 unless --optimizer, --lr, --batch-size say.",
            "",
            "Within a seed every strategy sees the same labelled images; no labels beyond the",
            "budget are used (no validation split). Small budgets are repeated so that an epoch",
            "has at least --min-steps batches: every budget gets the same number of steps.",
            "Each finished cell is saved at once; running the same command again resumes.", ""},
        footer = {"", "Examples:",
            "  graft transfer --model runs/src/model --classes 5-9 --disjoint",
            "  graft transfer --model runs/src/model --classes 5-9 --shots 1,10,100,all --seeds 3",
            "  graft transfer --model runs/src/model --classes 5-9 --strategies scratch,full",
            "  graft transfer --model runs/src/model --classes 5-9 --strategies scratch,full,joint",
            "  graft transfer --model minilm --data uci-sentiment --shots 8,64 --seeds 10"})
final class TransferCommand implements Callable<Integer> {

    @Option(names = "--strategies", description = "Comma-separated (default: scratch,probe,"
            + "last-stage,full,ulmfit; text: tfidf,probe,last-stage,full,ulmfit,lp-ft,setfit).")
    String strategies;

    @Option(names = "--shots", defaultValue = "10,100", description = "Label budgets per "
            + "class, comma-separated; 'all' is the whole pool (default: ${DEFAULT-VALUE}).")
    String shots;

    @Option(names = "--seeds", defaultValue = "3", description = "Repetitions per cell, each "
            + "with its own labelled sample and initialization (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--min-steps", defaultValue = "30", paramLabel = "STEPS", description =
            "Optimizer steps an epoch takes at least (default: ${DEFAULT-VALUE}).")
    int minSteps;

    @Option(names = "--plan", description = "Write the comparison's configuration into the run"
            + " folder and stop, for graft spark transfer --out DIR to run its cells on Spark.")
    boolean plan;

    @Mixin
    TaskOption head;

    @Mixin
    TargetOptions target;

    @Mixin
    TrainOptions train;

    @Mixin
    TextFieldOptions fields;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        target.model = head.resolve(target.model, common::log);
        boolean text = FinetuneCommand.isText(target.model);
        Comparison.Config config = new Comparison.Config(target.model, target.data, target.classes,
                strategies == null ? Strategy.defaults(text) : Arrays.stream(strategies.split(
                        ",")).map(Strategy::byId).toList(),
                Comparison.parseShots(shots), seeds, minSteps, target.disjoint,
                train.toConfig(common.seed, 10, text), fields.fields());
        Path dir = RunNames.stableFolder(common.out, "transfer", target.label(), config);
        common.log("run folder: " + dir);
        if (plan) {
            int left = Comparison.unfinished(config, dir).size();
            System.out.printf("%d of %d cells to run in %s; run them with: graft spark transfer"
                    + " --out %s (or this command without --plan)%n", left, Comparison.grid(
                            config).size(), dir, dir);
            return 0;
        }
        Comparison.Result r = new Comparison(common::log).progress(common.progress())
                .run(config, dir);
        common.print(r, dev.graft.transfer.ComparisonReport.text(r) + "report: "
                + dir.resolve(dev.graft.report.Report.FILE) + "\n");
        return 0;
    }
}
