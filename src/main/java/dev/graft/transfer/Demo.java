package dev.graft.transfer;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.io.AtomicFiles;
import dev.graft.io.GraftException;
import dev.graft.io.Json;
import dev.graft.model.ModelOptions;
import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.train.EpochMetrics;
import dev.graft.train.LrSchedule;
import dev.graft.train.OptimizerConfig;
import dev.graft.train.Pretrain;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft demo}: the whole transfer story on one dataset. Pretrain the {@code convnet} on
 * the source classes (or reuse the checkpoint a previous demo left), ask the advisor at each
 * label budget, run the comparison of every strategy, then check the advice against it and
 * write one report.
 */
public final class Demo {

    /**
     * @param quick the one-minute version: fewer epochs, one budget
     * @param out the demo's folder; the source checkpoint and comparison cells inside it are
     *     reused when a demo is run again
     */
    public record Config(
            @JsonProperty("data") String data,
            @JsonProperty("source_classes") String sourceClasses,
            @JsonProperty("target_classes") String targetClasses,
            @JsonProperty("source_epochs") int sourceEpochs,
            @JsonProperty("shots") List<Integer> shots,
            @JsonProperty("seeds") int seeds,
            @JsonProperty("epochs") int epochs,
            @JsonProperty("min_steps_per_epoch") int minStepsPerEpoch,
            @JsonProperty("seed") long seed) {

        /** The full demo, or with {@code quick} the one-minute one. */
        public static Config defaults(String data, boolean quick, long seed) {
            return quick ? new Config(data, "0-4", "5-9", 1, List.of(10), 1, 4, 20, seed)
                    : new Config(data, "0-4", "5-9", 3, List.of(10, 100), 1, 10, 30, seed);
        }
    }

    /** How the advice fared at one budget. */
    public record AdviceCheck(
            @JsonProperty("shots") int shots,
            @JsonProperty("advised") Strategy advised,
            @JsonProperty("advised_accuracy") double advisedAccuracy,
            @JsonProperty("best") Strategy best,
            @JsonProperty("best_accuracy") double bestAccuracy,
            @JsonProperty("scratch_accuracy") Double scratchAccuracy) {

        /** Points the advice is behind the best strategy run. */
        public double gapPoints() {
            return 100 * (bestAccuracy - advisedAccuracy);
        }
    }

    /** What the demo found. */
    public record Result(
            @JsonProperty("source_accuracy") double sourceAccuracy,
            @JsonProperty("source_reused") boolean sourceReused,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("comparison") Comparison.Result comparison,
            @JsonProperty("advice") List<Advisor.Advice> advice,
            @JsonProperty("checks") List<AdviceCheck> checks,
            @JsonProperty("report") String report,
            @JsonProperty("seconds") double seconds) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Demo(Consumer<String> log) {
        this.log = log;
    }

    public Demo progress(Progress p) {
        this.progress = p;
        return this;
    }

    /** A recipe every stage of the demo shares: Adam, one-cycle, batch 128. */
    static TrainConfig recipe(int epochs, long seed) {
        return new TrainConfig(epochs, 128, OptimizerConfig.adam(1e-3),
                LrSchedule.OneCycle.defaults(), dev.graft.data.Augmentation.NONE, seed, 0,
                List.of());
    }

    public Result run(Config c, Path dir) {
        long started = System.nanoTime();
        Path sourceDir = dir.resolve("source");
        Pretrain.Config pc = new Pretrain.Config(c.data(), c.sourceClasses(), null, 0.1,
                "convnet", ModelOptions.DEFAULT, recipe(c.sourceEpochs(), c.seed()));
        boolean reused = finished(sourceDir, pc);
        Pretrain.Result source;
        if (reused) {
            source = Json.MAPPER.convertValue(Json.read(sourceDir.resolve(RunFolder.RUN_JSON),
                    Map.class).get("result"), Pretrain.Result.class);
            log.accept(String.format("source: reusing %s (%.2f%% on classes %s)",
                    sourceDir.resolve(Pretrain.MODEL), 100 * source.testAccuracy(),
                    c.sourceClasses()));
        } else {
            clearUnfinished(sourceDir);
            log.accept("source: pretraining convnet on classes " + c.sourceClasses() + " for "
                    + c.sourceEpochs() + " epoch(s)");
            source = new Pretrain(log).progress(progress).run(pc, sourceDir, false);
        }
        Path model = sourceDir.resolve(Pretrain.MODEL);
        TargetTask task = TargetTask.load(model, c.data(), c.targetClasses(), true, log);
        task.checkBudgets(c.shots());
        TrainConfig cellRecipe = recipe(c.epochs(), c.seed());
        List<Advisor.Advice> advice = new ArrayList<>();
        for (Integer shots : c.shots()) {
            log.accept("advisor at " + shots + " labels per class:");
            advice.add(new Advisor(log).advise(new Advisor.Config(model, c.data(),
                    c.targetClasses(), shots, true, true, c.minStepsPerEpoch(), cellRecipe),
                    task));
        }
        Comparison.Config cc = new Comparison.Config(model, c.data(), c.targetClasses(),
                Strategy.defaults(false), c.shots(), c.seeds(), c.minStepsPerEpoch(), true,
                cellRecipe);
        Path cmpDir = dir.resolve("transfer");
        log.accept("comparison: " + Strategy.ids() + " at " + c.shots()
                + " labels per class, " + c.seeds() + " seed(s)");
        Comparison.Result cmp = new Comparison(log).progress(Progress.SILENT).run(cc, task,
                cmpDir);
        List<AdviceCheck> checks = new ArrayList<>();
        for (int i = 0; i < c.shots().size(); i++) {
            Integer shots = c.shots().get(i);
            Comparison.Row best = cmp.best(shots);
            Comparison.Row advised = cmp.row(advice.get(i).strategy(), shots);
            Comparison.Row scratch = cmp.row(Strategy.SCRATCH, shots);
            checks.add(new AdviceCheck(shots, advised.strategy(), advised.meanAccuracy(),
                    best.strategy(), best.meanAccuracy(), scratch == null ? null
                            : scratch.meanAccuracy()));
        }
        Path reportFile = dir.resolve(Report.FILE);
        Result r = new Result(source.testAccuracy(), reused, task.dataSource(), cmp, advice,
                checks, reportFile.toString(), (System.nanoTime() - started) / 1e9);
        Report page = new Report("graft demo: transfer from Fashion-MNIST classes "
                + c.sourceClasses() + " to " + c.targetClasses());
        page.preformatted(summary(r));
        addSource(page, source);
        for (Advisor.Advice a : advice) {
            AdviceReport.addTo(page, a, "Advice at " + a.labelsPerClass()
                    + " labels per class");
        }
        ComparisonReport.addTo(page, cc, task, cmp);
        page.write(reportFile);
        Json.write(dir.resolve(RunFolder.RUN_JSON), Map.of("command", "demo", "config", c,
                "status", "finished", "result", r));
        return r;
    }

    /** The one-screen summary. */
    public static String summary(Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("source: convnet, %.2f%% test accuracy on its own classes%s%n",
                100 * r.sourceAccuracy(), r.sourceReused() ? " (reused)" : ""));
        sb.append(String.format("data: %s%n%n", r.dataSource()));
        sb.append(ComparisonReport.text(r.comparison())).append('\n');
        for (AdviceCheck k : r.checks()) {
            sb.append(String.format("advisor at %3d labels per class: %-10s -> %.2f%%; best"
                    + " measured %s %.2f%% (%s)%n", k.shots(), k.advised().id(),
                    100 * k.advisedAccuracy(), k.best().id(), 100 * k.bestAccuracy(),
                    k.gapPoints() <= 1e-9 ? "the advice was the best"
                            : String.format("%.2f points behind", k.gapPoints())));
        }
        for (AdviceCheck k : r.checks()) {
            if (k.scratchAccuracy() != null) {
                sb.append(String.format("best transfer vs scratch at %3d labels per class:"
                        + " %+.2f points%n", k.shots(), 100 * (k.bestAccuracy()
                                - k.scratchAccuracy())));
            }
        }
        sb.append(String.format("%ntook %.0f s%n", r.seconds()));
        return sb.toString();
    }

    private static void addSource(Report page, Pretrain.Result source) {
        page.heading("Source model");
        List<EpochMetrics> h = source.history();
        if (h != null && !h.isEmpty()) {
            double[] x = h.stream().mapToDouble(EpochMetrics::epoch).toArray();
            List<Chart.Series> s = new ArrayList<>();
            s.add(new Chart.Series("train accuracy", x, h.stream().mapToDouble(
                    m -> 100 * m.trainAccuracy()).toArray(), null));
            if (h.stream().allMatch(m -> m.valAccuracy() != null)) {
                s.add(new Chart.Series("validation accuracy", x, h.stream().mapToDouble(
                        m -> 100 * m.valAccuracy()).toArray(), null));
            }
            page.chart(Chart.lines("Source pretraining", "epoch", "accuracy (%)", s, false));
        }
        if (source.test() != null && source.test().confusion() != null) {
            page.confusion(String.format("Source test set: %.2f%%", 100 * source.testAccuracy()),
                    source.test().classNames(), source.test().confusion());
        }
    }

    /** True when {@code dir} holds a finished pretraining run of exactly {@code config}. */
    private static boolean finished(Path dir, Pretrain.Config config) {
        Path runJson = dir.resolve(RunFolder.RUN_JSON);
        if (!Files.isRegularFile(runJson) || !Files.isRegularFile(dir.resolve(Pretrain.MODEL)
                .resolve("model.json"))) {
            return false;
        }
        try {
            var run = Json.MAPPER.readTree(runJson.toFile());
            return "finished".equals(run.path("status").asText())
                    && Json.sameAs(run.path("config"), config);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Removes an unfinished source run so it starts over; anything in its place that is not a
     * graft run (no run.json) is refused, never deleted.
     */
    private static void clearUnfinished(Path dir) {
        if (!AtomicFiles.contents(dir, "the demo's source run").isEmpty()
                && !Files.isRegularFile(dir.resolve(RunFolder.RUN_JSON))) {
            throw new GraftException(dir + " holds files that are not a graft run; the demo"
                    + " writes its source run there. Choose another --out");
        }
        if (Files.exists(dir)) {
            try {
                AtomicFiles.deleteTree(dir);
            } catch (IOException e) {
                throw new GraftException("cannot clear the unfinished source run " + dir + ": "
                        + AtomicFiles.describe(e), e);
            }
        }
    }
}
