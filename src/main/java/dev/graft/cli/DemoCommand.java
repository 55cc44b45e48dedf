package dev.graft.cli;

import dev.graft.transfer.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft demo}: the end-to-end showcase. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        subcommands = DemoTextCommand.class,
        description = {"The whole transfer story on Fashion-MNIST, in under ten minutes on two"
            + " cores:", "",
            "  1. pretrain the convnet on the source classes 0-4 (reused when already done);",
            "  2. ask the advisor which strategy suits the target classes 5-9 at 10 and 100",
            "     labels per class;",
            "  3. run scratch, probe, last-stage, full and ulmfit at both budgets;",
            "  4. check the advice against what was measured, and write report.html.", "",
            "Uses the full dataset when it is installed (apt-get install dataset-fashion-mnist),",
            "otherwise the subset bundled in graft. Running the demo again reuses what is done.",
            "", "graft demo text: the same story on review sentences with a sentence encoder.",
            ""},
        footer = {"", "Examples:", "  graft demo", "  graft demo --quick", "  graft demo text",
            "  graft demo --seeds 3 --out runs/demo3"})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--quick", description = "The one-minute version: a 1-epoch source, 10 "
            + "labels per class only, shorter training.")
    boolean quick;

    @Option(names = "--data", defaultValue = "fashion-mnist", description = "Dataset (default: "
            + "${DEFAULT-VALUE}).")
    String data;

    @Option(names = "--seeds", description = "Repetitions of every comparison cell (default: 1).")
    Integer seeds;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        Demo.Config d = Demo.Config.defaults(data, quick, common.seed);
        if (seeds != null) {
            d = new Demo.Config(d.data(), d.sourceClasses(), d.targetClasses(), d.sourceEpochs(),
                    d.shots(), seeds, d.epochs(), d.minStepsPerEpoch(), d.seed());
        }
        Path dir = RunNames.stableFolder(common.out, "demo", quick ? "quick" : "full", d);
        common.log("demo folder: " + dir);
        Demo.Result r = new Demo(common::log).progress(common.progress()).run(d, dir);
        common.print(r, "\n" + Demo.summary(r) + "report: " + r.report() + "\n");
        return 0;
    }
}
