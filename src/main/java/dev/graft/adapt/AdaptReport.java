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

    /** The domain gap per stage of each method's seed-1 model: a table and a chart. */
    private static void gap(Report page, Adaptation.Result r) {
        List<Adaptation.Cell> measured = r.cells().stream().filter(x -> x.seedIndex() == 1
                && x.domainGap() != null && !x.domainGap().isEmpty()).toList();
        if (measured.isEmpty()) {
            return;
        }
        page.heading("Domain gap per stage (seed 1)");
        page.paragraph("Proxy A-distance: 2 (1 - 2 error) of a linear SVM telling source codes"
                + " from target codes, 0 when it cannot, 2 when it always can; MMD: DAN's"
                + " multi-kernel MMD between them. Equal held-out samples of both domains,"
                + " average-pooled codes at each stage.");
        List<String> stages = measured.get(0).domainGap().stream().map(DomainGap.Stage::stage)
                .toList();
        List<String> header = new ArrayList<>(List.of("method"));
        for (String st : stages) {
            header.add(st + " A-dist");
        }
        header.add("top MMD");
        List<List<String>> rows = new ArrayList<>();
        List<Chart.Series> series = new ArrayList<>();
        double[] x = new double[stages.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        for (Adaptation.Cell cell : measured) {
            List<String> row = new ArrayList<>(List.of(cell.method().id()));
            double[] y = new double[stages.size()];
            for (int i = 0; i < y.length && i < cell.domainGap().size(); i++) {
                y[i] = cell.domainGap().get(i).proxyADistance();
                row.add(String.format(Locale.ROOT, "%.3f", y[i]));
            }
            row.add(String.format(Locale.ROOT, "%.4f", cell.domainGap().get(
                    cell.domainGap().size() - 1).mmd()));
            rows.add(row);
            series.add(new Chart.Series(cell.method().id(), x, y, null));
        }
        page.table(header, rows, null);
        page.chart(Chart.lines("Proxy A-distance per stage (1 = " + stages.get(0) + ", "
                + stages.size() + " = " + stages.get(stages.size() - 1) + ")", "stage",
                "proxy A-distance", series, false));
    }

    /** A projection's points, one series per domain or per class. */
    private static Chart picture(String title, DomainGap.Projection p, boolean byDomain,
            List<String> classNames) {
        List<String> names = byDomain ? List.of("source", "target") : classNames;
        List<Chart.Series> series = new ArrayList<>();
        for (int g = 0; g < names.size(); g++) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < p.x().length; i++) {
                if ((byDomain ? (p.target()[i] ? 1 : 0) : p.label()[i]) == g) {
                    idx.add(i);
                }
            }
            series.add(new Chart.Series(names.get(g), idx.stream().mapToDouble(i -> p.x()[i])
                    .toArray(), idx.stream().mapToDouble(i -> p.y()[i]).toArray(), null));
        }
        return Chart.scatter(title, "component 1", "component 2", series);
    }

    /** Writes the run's {@code report.html}. */
    static void write(Path file, Adaptation.Config c, Adaptation.Result r,
            Map<String, DomainGap.Projection> pictures) {
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
        gap(page, r);
        for (Map.Entry<String, DomainGap.Projection> e : pictures.entrySet()) {
            page.heading("Codes in 2-D, " + e.getKey());
            page.paragraph(String.format(Locale.ROOT, "Top stage, held-out images of both"
                    + " domains on their first two principal components (%.0f%% of the"
                    + " variance); target classes are evaluation labels.",
                    100 * e.getValue().explained()));
            page.chart(picture(e.getKey() + ", by domain", e.getValue(), true, r.classNames()));
            page.chart(picture(e.getKey() + ", by class", e.getValue(), false,
                    r.classNames()));
        }
        page.heading("Confusion on the target (seed 1)");
        for (Adaptation.Cell cell : r.cells()) {
            if (cell.seedIndex() == 1 && cell.confusion() != null) {
                page.confusion(cell.method().id(), r.classNames(), cell.confusion());
            }
        }
        page.write(file);
    }
}
