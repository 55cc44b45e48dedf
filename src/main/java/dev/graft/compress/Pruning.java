package dev.graft.compress;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelSpec;
import dev.graft.model.StagedNet;
import dev.graft.train.Mask;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.RunTraining;
import dev.graft.train.Seeds;
import dev.graft.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code graft prune}: magnitude pruning of a checkpoint, in one shot or over several rounds,
 * each round fine-tuned. Two methods:
 *
 * <ul>
 *   <li>{@link Method#MAGNITUDE}, unstructured: the weights of smallest magnitude are zeroed
 *       under a {@link Mask} held through fine-tuning (pruned weights stay exactly zero); the
 *       checkpoint keeps {@link Mask#FILE} beside its weights and pruning it again starts from
 *       that mask;
 *   <li>{@link Method#FILTERS}, structured: whole filters and hidden units of smallest L1 norm
 *       are removed ({@link FilterPruning}), every layer keeping the same share, so the result
 *       is a smaller dense network with fewer multiply-adds, and measurably faster.
 * </ul>
 *
 * <p>Each round removes the same share of what is left, so after round {@code r} of {@code R}
 * the share removed is {@code 1 - (1 - amount)^(r/R)} (from a mask's sparsity s0 on:
 * {@code 1 - (1 - s0) ((1 - amount) / (1 - s0))^(r/R)}).
 */
public final class Pruning {

    /** What is removed. */
    public enum Method {
        /** Single weights, under a mask: {@code amount} is the share of prunable weights. */
        MAGNITUDE,
        /** Whole filters and units: {@code amount} is the share of multiply-adds. */
        FILTERS
    }

    /** How weights are ranked against each other (magnitude pruning). */
    public enum Scope {
        /** All prunable weights ranked together: layers lose different shares. */
        GLOBAL,
        /** Every prunable layer loses the same share. */
        LAYERWISE;

        public static Scope parse(String s) {
            for (Scope v : values()) {
                if (v.name().equalsIgnoreCase(s)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("--scope " + s + " is not one of global,"
                    + " layerwise");
        }
    }

    /**
     * @param model the checkpoint to prune
     * @param data its dataset (null: the one it was trained on)
     * @param amount share removed at the end, in [0, 1): of the prunable weights (magnitude)
     *     or of the multiply-adds (filters)
     * @param rounds prune-then-fine-tune rounds to reach it
     * @param channelMultiple filters: a layer feeding a convolution keeps a multiple of this
     *     many channels (16: oneDNN's CPU kernels work in blocks of 16 channels, and libtorch
     *     2.7.1's AVX-512 backward pass is unsafe for other counts, see {@code OneDnnCheck})
     * @param fineTune the fine-tuning of each round; null prunes without fine-tuning
     */
    public record Config(
            @JsonProperty("model") Path model,
            @JsonProperty("data") String data,
            @JsonProperty("method") Method method,
            @JsonProperty("amount") double amount,
            @JsonProperty("scope") Scope scope,
            @JsonProperty("rounds") int rounds,
            @JsonProperty("channel_multiple") int channelMultiple,
            @JsonProperty("val_fraction") double valFraction,
            @JsonProperty("fine_tune") TrainConfig fineTune,
            @JsonProperty("seed") long seed) {

        public Config {
            String option = method == Method.FILTERS ? "--filters" : "--sparsity";
            if (!(amount >= 0 && amount < 1)) {
                throw new IllegalArgumentException(option + " must be in [0, 1), got " + amount
                        + (method == Method.FILTERS ? " (0.5 removes half the multiply-adds)"
                                : " (0.8 prunes 80% of the weights)"));
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
            }
            if (channelMultiple < 1) {
                throw new IllegalArgumentException("--channel-multiple must be at least 1, got "
                        + channelMultiple);
            }
            if (!(valFraction >= 0 && valFraction < 1)) {
                throw new IllegalArgumentException("--val-fraction must be in [0, 1), got "
                        + valFraction);
            }
        }

        /**
         * Share removed after round {@code r} (1-based) when {@code start} was removed before
         * the first: every round keeps the same share of what the round before kept.
         */
        public double amountAfter(int r, double start) {
            return 1 - (1 - start) * Math.pow((1 - amount) / (1 - start), (double) r / rounds);
        }
    }

    /**
     * One line of the table: the model as given (round 0) or a round.
     *
     * @param sparsity share of prunable weights that are zero under the mask
     * @param parameters parameters of the network (fewer only after removing filters)
     * @param nonZero parameters that are not pruned (every parameter outside a mask counts)
     * @param multiplyAdds per image, in convolutions and linear layers (zeros included: dense
     *     kernels multiply them too)
     * @param prunedAccuracy test accuracy right after pruning, before fine-tuning
     * @param accuracy test accuracy at the end of the round
     */
    public record Round(
            @JsonProperty("round") int round,
            @JsonProperty("sparsity") double sparsity,
            @JsonProperty("parameters") long parameters,
            @JsonProperty("non_zero_parameters") long nonZero,
            @JsonProperty("multiply_adds") long multiplyAdds,
            @JsonProperty("pruned_accuracy") double prunedAccuracy,
            @JsonProperty("accuracy") double accuracy) {}

    /** What a pruning run produced. */
    public record Result(
            @JsonProperty("method") Method method,
            @JsonProperty("given_accuracy") double givenAccuracy,
            @JsonProperty("accuracy") double accuracy,
            @JsonProperty("sparsity") double sparsity,
            @JsonProperty("rounds") List<Round> rounds,
            @JsonProperty("layer_sparsity") Map<String, Double> layerSparsity,
            @JsonProperty("layer_widths") Map<String, String> layerWidths,
            @JsonProperty("speed") InferenceSpeed speed,
            @JsonProperty("started_from_mask") boolean startedFromMask,
            @JsonProperty("checkpoint") String checkpoint,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("run") String run) {

        /** Test accuracy change from the model as given, in points. */
        public double accuracyChange() {
            return 100 * (accuracy - givenAccuracy);
        }

        /** The model as given. */
        public Round given() {
            return rounds.get(0);
        }

        /** The last round. */
        public Round last() {
            return rounds.get(rounds.size() - 1);
        }
    }

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Pruning(Consumer<String> log) {
        this.log = log;
    }

    public Pruning progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Result run(Config c, Path runDir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(c.model(), manager);
            StagedNet given = loaded.net();
            ModelSpec spec = loaded.spec();
            Path maskFile = c.model().resolve(Mask.FILE);
            Mask mask = Files.isRegularFile(maskFile) ? Mask.load(maskFile, given, manager)
                    : null;
            boolean fromMask = mask != null;
            if (c.method() == Method.FILTERS) {
                FilterPruning.groups(given); // refuses architectures it cannot shrink
                if (fromMask) {
                    throw new GraftException("--model " + c.model() + " carries a mask ("
                            + Mask.FILE + "); remove filters from the dense model, then prune"
                            + " weights of the smaller one");
                }
            } else if (fromMask && mask.sparsity() > c.amount() + 1e-9) {
                throw new GraftException("--model " + c.model() + " is already pruned to "
                        + percent(mask.sparsity()) + " sparsity; ask for --sparsity at least"
                        + " that (pruned weights are never revived)");
            }
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "prune");
            runJson.put("config", c);
            try (ModelTask task = ModelTask.load(c.model(), spec, c.data(), c.valFraction(),
                    Seeds.derive(c.seed(), "split"), log, manager);
                    RunFolder run = RunFolder.open(runDir, true)) {
                runJson.put("status", "running");
                run.writeRun(runJson);
                double givenAccuracy = task.accuracy(given, manager);
                long givenMacs = given.multiplyAdds();
                List<Round> rounds = new ArrayList<>();
                rounds.add(round(0, given, mask, givenAccuracy, givenAccuracy));
                log.accept(String.format(Locale.ROOT, "%s: %,d parameters, %,d multiply-adds per"
                        + " image, test accuracy %.2f%%%s", c.model(), given.parameterCount(),
                        givenMacs, 100 * givenAccuracy, fromMask ? ", starting from its mask ("
                                + percent(mask.sparsity()) + " sparse)" : ""));
                String command = String.format(Locale.ROOT, "prune %s %.4g",
                        c.method() == Method.FILTERS ? "filters"
                                : c.scope().name().toLowerCase(Locale.ROOT), c.amount());
                StagedNet net = given;
                double start = fromMask ? mask.sparsity() : 0;
                for (int r = 1; r <= c.rounds(); r++) {
                    double target = c.amountAfter(r, start);
                    if (c.method() == Method.MAGNITUDE) {
                        StagedNet current = net;
                        mask = c.scope() == Scope.GLOBAL
                                ? MagnitudePruning.global(current, target, mask, manager)
                                : MagnitudePruning.layerwise(current, name -> target, mask,
                                        manager);
                        mask.apply(current);
                    } else {
                        List<Integer> widths = FilterPruning.widthsForMultiplyAdds(net,
                                givenMacs, 1 - target, c.channelMultiple());
                        net = FilterPruning.shrink(net, FilterPruning.strongest(net, widths),
                                manager);
                    }
                    double pruned = task.accuracy(net, manager);
                    double acc = pruned;
                    if (c.fineTune() != null) {
                        Mask held = mask;
                        RunTraining.Outcome o = task.fineTune(run.resolve("round-" + r),
                                "prune round " + r, net, task.derivedSpec(net, c.model(),
                                        c.seed(), command),
                                c.fineTune().withSeed(Seeds.derive(c.seed(), "round" + r)),
                                held == null ? RunTraining.Extras.NONE : new RunTraining.Extras(
                                        null, List.of(held.hook()), held::save, null),
                                progress, log, manager);
                        net = o.best();
                        acc = o.test().accuracy();
                    }
                    Round row = round(r, net, mask, pruned, acc);
                    rounds.add(row);
                    run.event(row);
                    log.accept(String.format(Locale.ROOT, "round %d/%d: %s, test accuracy %.2f%%"
                            + " after pruning%s", r, c.rounds(), c.method() == Method.MAGNITUDE
                                    ? percent(row.sparsity()) + " of weights pruned"
                                    : String.format(Locale.ROOT, "%,d parameters, %s of the"
                                            + " multiply-adds", row.parameters(), percent(
                                                    (double) row.multiplyAdds() / givenMacs)),
                            100 * pruned, c.fineTune() == null ? "" : String.format(Locale.ROOT,
                                    ", %.2f%% after fine-tuning", 100 * acc)));
                }
                Mask last = mask;
                Checkpoint.save(run.resolve(RunTraining.MODEL), net, task.derivedSpec(net,
                        c.model(), c.seed(), command), last == null ? null : last::save);
                InferenceSpeed speed = c.method() == Method.FILTERS
                        ? InferenceSpeed.measure(given, net, task.test, manager) : null;
                Round end = rounds.get(rounds.size() - 1);
                Result result = new Result(c.method(), givenAccuracy, end.accuracy(),
                        end.sparsity(), rounds, last == null ? Map.of()
                                : last.sparsityByParameter(), widths(given, net), speed,
                        fromMask, run.resolve(RunTraining.MODEL).toString(), task.source,
                        runDir.toString());
                runJson.put("status", "finished");
                runJson.put("result", result);
                run.writeRun(runJson);
                PruningReport.write(run.resolve(dev.graft.report.Report.FILE), c, result);
                return result;
            }
        }
    }

    private static Round round(int r, StagedNet net, Mask mask, double pruned, double acc) {
        return new Round(r, mask == null ? 0 : mask.sparsity(), net.parameterCount(),
                mask == null ? net.parameterCount() : mask.nonZero(net), net.multiplyAdds(),
                pruned, acc);
    }

    /** Per layer whose width changed, "before -> after". */
    private static Map<String, String> widths(StagedNet given, StagedNet pruned) {
        Map<String, String> out = new LinkedHashMap<>();
        var groups = given.architecture().channelGroups(given.inputShape());
        var before = given.architecture().layerWidths(given.options());
        var after = pruned.architecture().layerWidths(pruned.options());
        for (int g = 0; g < groups.size(); g++) {
            if (!before.get(g).equals(after.get(g))) {
                out.put(groups.get(g).layer(), before.get(g) + " -> " + after.get(g));
            }
        }
        return out;
    }

    static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }
}
