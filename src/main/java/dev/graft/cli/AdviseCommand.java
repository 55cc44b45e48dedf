package dev.graft.cli;

import dev.graft.report.Report;
import dev.graft.transfer.AdviceReport;
import dev.graft.transfer.Advisor;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft advise}: a strategy and cut stage, with the evidence. */
@Command(name = "advise", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Recommend how to reuse a checkpoint on a target task, by measurement.", "",
            "Fits a probe on the codes of every stage (the transferability curve), measures how",
            "far the target's codes are from the source's (proxy A-distance), places the task",
            "in the small/large x similar/different guide, then pilots the guide's two",
            "candidates on halves of the labelled examples and recommends the better one.",
            "On text (--model minilm or a text checkpoint) the stages are the encoder's layers,",
            "the pilot trains with AdamW 5e-5 unless told otherwise, and the no-transfer",
            "candidate is tfidf (word 1-2-gram TF-IDF + logistic regression).", ""},
        footer = {"", "Examples:",
            "  graft advise --model runs/src/model --classes 5-9 --shots 10",
            "  graft advise --model runs/src/model --classes 5-9 --no-pilot --json",
            "  graft advise --model minilm --data uci-sentiment --shots 16"})
final class AdviseCommand implements Callable<Integer> {

    @Option(names = "--shots", description = "Labelled examples per class you have (default:"
            + " all of the target's).")
    Integer shots;

    @Option(names = "--pilot", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Pilot the candidates on halves of the labels (default: on).")
    boolean pilot;

    @Option(names = "--min-steps", defaultValue = "30", paramLabel = "STEPS", description =
            "Pilot training: optimizer steps an epoch takes at least (default: ${DEFAULT-VALUE}).")
    int minSteps;

    @Mixin
    TaskOption head;

    @Mixin
    TargetOptions target;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        target.model = head.resolve(target.model, common::log);
        boolean text = FinetuneCommand.isText(target.model);
        Advisor.Config config = new Advisor.Config(target.model, target.data, target.classes,
                shots, target.disjoint, pilot, minSteps, train.toConfig(common.seed,
                        text ? 3 : 10, text));
        Path dir = RunNames.folder(common.out, "advise", target.label(), config);
        Advisor.Advice a;
        String command;
        try (var run = dev.graft.train.RunFolder.open(dir, true)) {
            a = new Advisor(common::log).progress(common.progress()).advise(config);
            command = command(a);
            run.writeRun(java.util.Map.of("command", "advise", "config", config, "result", a));
            AdviceReport.addTo(new Report("graft advise: " + target.model), a, "Advice")
                    .write(run.resolve(Report.FILE));
        }
        common.print(a, AdviceReport.text(a, command) + "report: " + dir.resolve(Report.FILE)
                + "\n");
        return 0;
    }

    private String command(Advisor.Advice a) {
        String task = (target.data == null ? "" : " --data " + target.data)
                + (target.classes == null ? "" : " --classes " + target.classes)
                + (shots == null ? "" : " --shots " + shots);
        return switch (a.strategy()) {
            case PROBE -> "graft extract --model " + target.model + " --stage " + a.cutStage()
                    + task + " --out codes/  &&  graft probe --codes codes/";
            case SCRATCH -> "graft pretrain" + task;
            case TFIDF -> "graft tfidf" + task;
            default -> "graft finetune --model " + target.model + task + " --policy "
                    + a.strategy().id();
        };
    }
}
