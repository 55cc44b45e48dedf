package dev.graft.cli;

import dev.graft.transfer.Comparison;
import dev.graft.transfer.ComparisonReport;
import dev.graft.transfer.Strategy;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.TrainConfig;
import dev.graft.zoo.TextEncoders;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft demo text}: frozen vs fine-tuned vs TF-IDF on review sentiment. */
@Command(name = "text", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Transfer on text in a few minutes on two cores: the bundled sentence",
            "encoder all-MiniLM-L6-v2 on the UCI review sentences (Amazon, IMDb, Yelp; 2,400",
            "train / 600 test), at 8 labels per class and with all of them:", "",
            "  tfidf   no transfer: word 1-2-gram TF-IDF + logistic regression",
            "  probe   the encoder frozen, a logistic regression on its sentence codes",
            "  full    the encoder fine-tuned (AdamW 5e-5, batch 32, 2 epochs)", "",
            "Everything is bundled: nothing is downloaded. Writes report.html; running the demo",
            "again reuses the finished cells.", ""},
        footer = {"", "Examples:", "  graft demo text", "  graft demo text --seeds 3",
            "  graft demo text --shots 8,64,all --strategies tfidf,probe,full,setfit"})
final class DemoTextCommand implements Callable<Integer> {

    @Option(names = "--shots", defaultValue = "8,all", description = "Label budgets per class"
            + " (default: ${DEFAULT-VALUE}).")
    String shots;

    @Option(names = "--strategies", defaultValue = "tfidf,probe,full", description =
            "Comma-separated, of tfidf, probe, last-stage, full, ulmfit, lp-ft, setfit (default:"
            + " ${DEFAULT-VALUE}).")
    String strategies;

    @Option(names = "--seeds", defaultValue = "1", description = "Repetitions of every cell,"
            + " each with its own labelled sample (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        Path model = TextEncoders.resolve(Path.of(TextEncoders.Known.MINILM.id()), common::log);
        TrainConfig train = new TrainConfig(2, TrainOptions.TEXT_BATCH,
                OptimizerConfig.adamW(TrainOptions.TEXT_LR), LrSchedule.OneCycle.defaults(),
                dev.graft.data.Augmentation.NONE, common.seed, 0, List.of());
        Comparison.Config c = new Comparison.Config(model, "uci-sentiment", null,
                Arrays.stream(strategies.split(",")).map(Strategy::byId).toList(),
                Comparison.parseShots(shots), seeds, 30, false, train);
        Path dir = RunNames.stableFolder(common.out, "demo", "text", c);
        common.log("demo folder: " + dir);
        Comparison.Result r = new Comparison(common::log).progress(common.progress()).run(c, dir);
        common.print(r, "\n" + ComparisonReport.text(r) + "report: "
                + dir.resolve(dev.graft.report.Report.FILE) + "\n");
        return 0;
    }
}
