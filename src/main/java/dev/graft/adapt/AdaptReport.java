package dev.graft.adapt;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.report.TextTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The adaptation table, as text for the terminal and as the run's HTML report. */
public final class AdaptReport {

    private AdaptReport() {}

    private static List<String> header(Validator v) {
        return List.of("method", "target accuracy (%)", "gain (points)", "gap closed",
                v.id() + " score", "epoch cost", "seconds");
    }

    /** The summary a person reads first. */
    public static String text(Adaptation.Config c, Adaptation.Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s -> %s: %,d labelled source images, %,d"
                + " unlabelled target images, %,d target test images%n", r.source(), r.target(),
                r.sourceExamples(), r.targetExamples(), r.targetTestExamples()));
        sb.append(TextTable.render(header(c.select()), cells(r)));
        sb.append("(n) seeds averaged; gain: over source-only; gap closed: share of the"
                + " source-only -> oracle gap; * oracle reads target labels (upper bound only)\n"
                + "epoch cost: time per source image over plain training's, timed side by"
                + " side\n");
        sb.append(selection(r.selected())).append('\n');
        return sb.toString();
    }

    static String selection(Adaptation.Selection s) {
        if (s.method() == null) {
            return "no method to select";
        }
        return String.format(Locale.ROOT, "selected by %s (no target labels): %s, %.2f%%;"
                + " target labels would pick %s, %.2f%% (%.2f points apart)", s.validator().id(),
                s.method(), 100 * s.targetAccuracy(), s.bestByTargetLabels(),
                100 * s.bestTargetAccuracy(), 100 * s.gap());
    }

    private static List<List<String>> cells(Adaptation.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (Adaptation.Row row : r.methods()) {
            String diverged = row.diverged() == 0 ? "" : " " + row.diverged() + " diverged";
            rows.add(List.of(row.name() + (row.usesTargetLabels() ? " *" : ""),
                    row.targetAccuracyMean() == null ? diverged.strip()
                            : String.format(Locale.ROOT, "%.2f ± %.2f (%d)%s",
                                    100 * row.targetAccuracyMean(),
                                    100 * row.targetAccuracyStd(), row.seeds(), diverged),
                    row.gainOverSourceOnly() == null ? "" : String.format(Locale.ROOT, "%+.2f",
                            100 * row.gainOverSourceOnly()),
                    row.gapClosed() == null ? "" : String.format(Locale.ROOT, "%.0f%%",
                            100 * row.gapClosed()),
                    row.validatorScore() == null ? "" : String.format(Locale.ROOT, "%.4f",
                            row.validatorScore()),
                    row.epochCostVsPlain() == null ? "" : String.format(Locale.ROOT, "%.2fx",
                            row.epochCostVsPlain()),
                    String.format(Locale.ROOT, "%.1f", row.seconds())));
        }
        return rows;
    }

    /** Writes the run's {@code report.html}. */
    static void write(Path file, Adaptation.Config c, Adaptation.Result r) {
        Report page = new Report("graft adapt: " + r.source() + " -> " + r.target());
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("source model", c.model().toString());
        facts.put("source (labelled)", r.source() + String.format(", %,d images",
                r.sourceExamples()));
        facts.put("target (labels unread)", r.target() + String.format(", %,d images; %,d"
                + " test images evaluate", r.targetExamples(), r.targetTestExamples()));
        facts.put("training", c.train().epochs() + " epochs, batch " + c.train().batchSize()
                + ", trade-off " + c.tradeOff());
        page.facts(facts);
        page.heading("Methods");
        page.table(header(c.select()), cells(r), null);
        page.paragraph(selection(r.selected()));
        List<String> names = new ArrayList<>();
        List<Double> means = new ArrayList<>();
        for (Adaptation.Row row : r.methods()) {
            if (row.targetAccuracyMean() != null) {
                names.add(row.name());
                means.add(100 * row.targetAccuracyMean());
            }
        }
        page.chart(Chart.bars("Target accuracy", "", "accuracy (%)", names,
                means.stream().mapToDouble(Double::doubleValue).toArray()));
        page.heading("Validators against target accuracy");
        List<String> vh = new ArrayList<>(List.of("method", "target accuracy (%)"));
        for (Validator v : Validator.values()) {
            vh.add(v.id());
        }
        List<List<String>> vrows = new ArrayList<>();
        for (Adaptation.Row row : r.methods()) {
            if (row.targetAccuracyMean() == null) {
                continue;
            }
            List<String> cells = new ArrayList<>(List.of(row.name(), String.format(
                    Locale.ROOT, "%.2f", 100 * row.targetAccuracyMean())));
            for (Validator v : Validator.values()) {
                Double s = row.scores().get(v);
                cells.add(s == null ? "" : String.format(Locale.ROOT, "%.4f", s));
            }
            vrows.add(cells);
        }
        page.table(vh, vrows, null);
        page.paragraph("Picks: " + r.selected().picks());
        page.heading("Confusion on the target (seed 1)");
        for (Adaptation.Cell cell : r.cells()) {
            if (cell.seedIndex() == 1 && cell.confusion() != null) {
                page.confusion(cell.method().id(), r.classNames(), cell.confusion());
            }
        }
        page.write(file);
    }
}
