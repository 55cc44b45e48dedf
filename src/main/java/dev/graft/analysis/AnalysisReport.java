package dev.graft.analysis;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.report.TextTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the analyses found: findings in words, tables for the terminal, the HTML report. */
public final class AnalysisReport {

    private AnalysisReport() {}

    /**
     * The paper's findings, each checked against the measurements: a sentence per part that
     * ran, saying whether it holds here and by how much.
     */
    public static List<String> findings(Analysis.Result r) {
        List<String> out = new ArrayList<>();
        if (r.landscapePretrained() != null) {
            Interpolation p = r.landscapePretrained();
            Interpolation s = r.landscapeScratch();
            out.add(String.format(Locale.ROOT, "Loss barrier: between the two models fine-tuned"
                    + " from pretrained weights %.4f (error %.2f points), between the two"
                    + " trained from random init %.4f (error %.2f points): %s.", p.lossBarrier(),
                    100 * p.errorBarrier(), s.lossBarrier(), 100 * s.errorBarrier(),
                    p.lossBarrier() < s.lossBarrier() ? "lower from pretrained weights, as the"
                            + " paper finds (one basin)" : "NOT lower from pretrained weights"));
        }
        if (r.similarity() != null) {
            Analysis.PairSimilarity pp = r.similarity().get(0);
            Analysis.PairSimilarity rr = r.similarity().get(1);
            double p = meanDiagonal(pp);
            double s = meanDiagonal(rr);
            out.add(String.format(Locale.ROOT, "Feature similarity: mean CKA over stages %.3f"
                    + " between the pretrained pair, %.3f between the random-init pair: %s.", p,
                    s, p > s ? "higher from pretrained weights, as the paper finds"
                            : "NOT higher from pretrained weights"));
            double dp = total(pp.distance().distance());
            double dr = total(rr.distance().distance());
            out.add(String.format(Locale.ROOT, "Parameter distance between the pair: %.2f"
                    + " (pretrained) vs %.2f (random init): %s.", dp, dr, dp < dr
                            ? "closer from pretrained weights, as the paper finds"
                            : "NOT closer from pretrained weights"));
        }
        if (r.criticalityPretrained() != null) {
            Criticality c = r.criticalityPretrained();
            int stages = c.modules().size() - 1; // the head is last
            int half = Math.max(1, stages / 2);
            double lower = 0;
            double upper = 0;
            for (int i = 0; i < stages; i++) {
                if (i < half) {
                    lower += c.drop(i) / half;
                } else {
                    upper += c.drop(i) / Math.max(1, stages - half);
                }
            }
            out.add(String.format(Locale.ROOT, "Module criticality (pretrained): rewinding a"
                    + " lower stage to its pretrained value costs %.2f points on average, an"
                    + " upper stage %.2f: %s.", lower, upper, lower < upper
                            ? "lower stages are less critical, as the paper finds"
                            : "lower stages are NOT less critical here"));
        }
        if (r.shuffle() != null && r.shuffle().size() > 1) {
            Analysis.ShuffleRow whole = r.shuffle().get(0);
            Analysis.ShuffleRow finest = r.shuffle().get(r.shuffle().size() - 1);
            String verdict = finest.benefit() <= 0 ? "shuffling REMOVES the benefit"
                    : finest.benefit() < whole.benefit()
                            ? "shuffling reduces but does not remove the benefit, as the paper"
                                    + " finds"
                            : "shuffling does NOT reduce the benefit";
            out.add(String.format(Locale.ROOT, "Block shuffling: pretraining is worth %+.2f"
                    + " points on whole images (%dx%d) and %+.2f points with %dx%d blocks: %s.",
                    whole.benefit(), whole.block(), whole.block(), finest.benefit(),
                    finest.block(), finest.block(), verdict));
        }
        if (r.checkpoints() != null && r.checkpoints().size() > 1) {
            Analysis.CheckpointRow best = r.checkpoints().get(0);
            for (Analysis.CheckpointRow row : r.checkpoints()) {
                if (row.targetAccuracy() > best.targetAccuracy()) {
                    best = row;
                }
            }
            Analysis.CheckpointRow last = r.checkpoints().get(r.checkpoints().size() - 1);
            out.add(String.format(Locale.ROOT, "Checkpoint choice: source epoch %d transfers"
                    + " best (%.2f%%); the last epoch, %d, reaches %.2f%%; random init (epoch"
                    + " 0) %.2f%%.", best.sourceEpoch(), 100 * best.targetAccuracy(),
                    last.sourceEpoch(), 100 * last.targetAccuracy(),
                    100 * r.checkpoints().get(0).targetAccuracy()));
        }
        return out;
    }

    private static double meanDiagonal(Analysis.PairSimilarity p) {
        int n = p.cka().length - 1; // stages, not the logits
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += p.diagonal(i);
        }
        return sum / Math.max(1, n);
    }

    private static double total(Map<String, Double> perModule) {
        double sq = 0;
        for (double d : perModule.values()) {
            sq += d * d;
        }
        return Math.sqrt(sq);
    }

    /** Findings, then the tables. */
    public static String text(Analysis.Result r) {
        StringBuilder sb = new StringBuilder();
        r.accuracy().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%s %.2f%%  ", k,
                100 * v)));
        sb.append("(P = fine-tuned from pretrained, R = from random init)\n");
        if (r.shuffle() != null) {
            sb.append(TextTable.render(SHUFFLE_HEADER, shuffleCells(r)));
        }
        if (r.criticalityPretrained() != null) {
            sb.append(TextTable.render(CRITICALITY_HEADER, criticalityCells(r)));
        }
        if (r.similarity() != null) {
            sb.append(TextTable.render(similarityHeader(r), similarityCells(r)));
        }
        if (r.checkpoints() != null) {
            sb.append(TextTable.render(CHECKPOINT_HEADER, checkpointCells(r)));
        }
        for (String f : findings(r)) {
            sb.append("- ").append(f).append('\n');
        }
        return sb.toString();
    }

    private static final List<String> SHUFFLE_HEADER = List.of("block", "pretrained (%)",
            "random init (%)", "benefit (points)");
    private static final List<String> CRITICALITY_HEADER = List.of("module",
            "rewound, pretrained (points lost)", "rewound, random init (points lost)");
    private static final List<String> CHECKPOINT_HEADER = List.of("source epoch",
            "source accuracy (%)", "target accuracy (%)");

    private static List<List<String>> shuffleCells(Analysis.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (Analysis.ShuffleRow s : r.shuffle()) {
            rows.add(List.of(s.block() + "x" + s.block(), pct(s.pretrained()), pct(s.scratch()),
                    String.format(Locale.ROOT, "%+.2f", s.benefit())));
        }
        return rows;
    }

    private static List<List<String>> criticalityCells(Analysis.Result r) {
        List<List<String>> rows = new ArrayList<>();
        Criticality p = r.criticalityPretrained();
        Criticality s = r.criticalityScratch();
        for (int i = 0; i < p.modules().size(); i++) {
            rows.add(List.of(p.modules().get(i), String.format(Locale.ROOT, "%.2f", p.drop(i)),
                    String.format(Locale.ROOT, "%.2f", s.drop(i))));
        }
        return rows;
    }

    private static List<String> similarityHeader(Analysis.Result r) {
        List<String> h = new ArrayList<>(List.of("representation"));
        for (Analysis.PairSimilarity p : r.similarity()) {
            h.add("CKA " + p.pair());
        }
        for (Analysis.PairSimilarity p : r.similarity()) {
            h.add("distance " + p.pair());
        }
        return h;
    }

    private static List<List<String>> similarityCells(Analysis.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < r.representations().size(); i++) {
            List<String> row = new ArrayList<>(List.of(r.representations().get(i)));
            for (Analysis.PairSimilarity p : r.similarity()) {
                row.add(String.format(Locale.ROOT, "%.3f", p.diagonal(i)));
            }
            String module = i < r.modules().size() - 1 ? r.modules().get(i) : "head";
            for (Analysis.PairSimilarity p : r.similarity()) {
                row.add(String.format(Locale.ROOT, "%.2f", p.distance().distance().get(module)));
            }
            rows.add(row);
        }
        return rows;
    }

    private static List<List<String>> checkpointCells(Analysis.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (Analysis.CheckpointRow c : r.checkpoints()) {
            rows.add(List.of(c.sourceEpoch() == 0 ? "0 (random init)"
                    : Integer.toString(c.sourceEpoch()), c.sourceAccuracy() == null ? ""
                            : pct(c.sourceAccuracy()), pct(c.targetAccuracy())));
        }
        return rows;
    }

    /** Writes the run's {@code report.html}: one page, every part that ran. */
    static void write(Path file, Analysis.Config c, Analysis.Result r) {
        Report page = new Report("graft analyze: what is transferred");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("pretrained model", c.model().toString());
        facts.put("target", r.dataSource() + (c.classes() == null ? "" : ", classes "
                + c.classes()) + (c.shots() == null ? "" : ", " + c.shots() + " images per"
                        + " class"));
        facts.put("training", String.format(Locale.ROOT, "%d epoch(s), batch %d, %s lr %.3g",
                c.train().epochs(), c.train().batchSize(), c.train().optimizer().kind().name()
                        .toLowerCase(Locale.ROOT), c.train().optimizer().learningRate()));
        StringBuilder acc = new StringBuilder();
        r.accuracy().forEach((k, v) -> acc.append(String.format(Locale.ROOT, "%s %.2f%%  ", k,
                100 * v)));
        facts.put("models (P: from pretrained, R: from random init)", acc.toString().strip());
        StringBuilder time = new StringBuilder(String.format(Locale.ROOT, "%.0f s (", r.seconds()));
        r.partSeconds().forEach((part, sec) -> time.append(String.format(Locale.ROOT,
                "%s %.0f s, ", part, sec)));
        facts.put("time", time.substring(0, time.length() - 2) + (r.partSeconds().isEmpty()
                ? "" : ")"));
        page.facts(facts);
        page.heading("Findings");
        for (String f : findings(r)) {
            page.paragraph(f);
        }
        if (r.shuffle() != null) {
            page.heading("Feature reuse or low-level statistics: block-shuffled targets");
            page.table(SHUFFLE_HEADER, shuffleCells(r), null);
            double[] x = r.shuffle().stream().mapToDouble(Analysis.ShuffleRow::block).toArray();
            page.chart(Chart.lines("Target accuracy against block size", "block side (pixels)",
                    "accuracy (%)", List.of(new Chart.Series("from pretrained", x, r.shuffle()
                            .stream().mapToDouble(s -> 100 * s.pretrained()).toArray(), null),
                            new Chart.Series("from random init", x, r.shuffle().stream()
                                    .mapToDouble(s -> 100 * s.scratch()).toArray(), null)),
                    true));
        }
        if (r.landscapePretrained() != null) {
            page.heading("Loss landscape between two fine-tuned models");
            page.chart(Chart.lines("Test loss on the line between two models", "t",
                    "loss", List.of(curve("P1 to P2", r.landscapePretrained(), true),
                            curve("R1 to R2", r.landscapeScratch(), true)), false));
            page.chart(Chart.lines("Test accuracy on the line between two models", "t",
                    "accuracy (%)", List.of(curve("P1 to P2", r.landscapePretrained(), false),
                            curve("R1 to R2", r.landscapeScratch(), false)), false));
        }
        if (r.criticalityPretrained() != null) {
            page.heading("Module criticality");
            page.table(CRITICALITY_HEADER, criticalityCells(r), null);
            page.chart(heat("Accuracy with one module rewound (from pretrained)",
                    r.criticalityPretrained()));
            page.chart(heat("Accuracy with one module rewound (from random init)",
                    r.criticalityScratch()));
            page.chart(heat("Accuracy with one layer rewound (from pretrained)",
                    r.layerCriticalityPretrained()));
            page.chart(heat("Accuracy with one layer rewound (from random init)",
                    r.layerCriticalityScratch()));
        }
        if (r.similarity() != null) {
            page.heading("Feature similarity (linear CKA) and parameter distance");
            page.table(similarityHeader(r), similarityCells(r), null);
            for (Analysis.PairSimilarity p : r.similarity()) {
                page.chart(Chart.heatmap("CKA between the representations of " + p.pair(),
                        p.pair().substring(p.pair().indexOf('-') + 1), p.pair().substring(0,
                                p.pair().indexOf('-')), r.representations(),
                        r.representations(), p.cka(), 0, 1));
            }
            List<String> names = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            r.distanceFromStart().forEach((model, d) -> d.relative().forEach((module, v) -> {
                names.add(model + " " + module);
                values.add(v == null ? 0 : v);
            }));
            page.chart(Chart.bars("Distance from the starting weights, relative to the"
                    + " trained weights' norm", "", "relative distance", names, values.stream()
                            .mapToDouble(Double::doubleValue).toArray()));
        }
        if (r.checkpoints() != null) {
            page.heading("Which pretraining checkpoint to transfer from");
            page.table(CHECKPOINT_HEADER, checkpointCells(r), null);
            double[] x = r.checkpoints().stream().mapToDouble(Analysis.CheckpointRow::sourceEpoch)
                    .toArray();
            page.chart(Chart.lines("Target accuracy against the source epoch", "source epoch",
                    "target accuracy (%)", List.of(new Chart.Series("fine-tuned", x,
                            r.checkpoints().stream().mapToDouble(cr -> 100 * cr.targetAccuracy())
                                    .toArray(), null)), false));
        }
        page.write(file);
    }

    private static Chart.Series curve(String name, Interpolation line, boolean loss) {
        return new Chart.Series(name, line.points().stream().mapToDouble(Interpolation.Point::t)
                .toArray(), line.points().stream().mapToDouble(p -> loss ? p.loss()
                        : 100 * p.accuracy()).toArray(), null);
    }

    private static Chart heat(String title, Criticality c) {
        List<String> columns = new ArrayList<>();
        for (double a : c.alphas()) {
            columns.add(String.format(Locale.ROOT, "%.2f", a));
        }
        double[][] pct = new double[c.accuracy().length][];
        for (int i = 0; i < pct.length; i++) {
            pct[i] = java.util.Arrays.stream(c.accuracy()[i]).map(v -> 100 * v).toArray();
        }
        return Chart.heatmap(title, "alpha (0 = starting value, 1 = trained)", "module",
                columns, c.modules(), pct, 0, 100);
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f", 100 * v);
    }
}
