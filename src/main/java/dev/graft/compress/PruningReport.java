package dev.graft.compress;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The pruning table, as text for the terminal and as the run's HTML report. */
public final class PruningReport {

    private static final List<String> HEADER = List.of("round", "sparsity", "non-zero params",
            "accuracy after pruning (%)", "accuracy after fine-tuning (%)");

    private PruningReport() {}

    /** One line per round, round 0 being the model as given. */
    public static String text(Pruning.Result r) {
        List<List<String>> rows = cells(r);
        int[] width = new int[HEADER.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = HEADER.get(i).length();
            for (List<String> row : rows) {
                width[i] = Math.max(width[i], row.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> row : concat(HEADER, rows)) {
            for (int i = 0; i < row.size(); i++) {
                sb.append(String.format("%-" + (width[i] + 2) + "s", row.get(i)));
            }
            sb.setLength(sb.toString().stripTrailing().length());
            sb.append('\n');
        }
        sb.append(String.format(Locale.ROOT, "test accuracy %.2f%% -> %.2f%% (%+.2f points) at %s"
                + " sparsity: %,d of %,d parameters non-zero%ncheckpoint (weights and %s): %s%n",
                100 * r.denseAccuracy(), 100 * r.accuracy(), r.accuracyChange(),
                Pruning.percent(r.sparsity()), r.nonZero(), r.parameters(), Mask.FILE,
                r.checkpoint()));
        return sb.toString();
    }

    private static List<List<String>> concat(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        return all;
    }

    private static List<List<String>> cells(Pruning.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (Pruning.Round round : r.rounds()) {
            boolean dense = round.round() == 0;
            rows.add(List.of(dense ? "0 (given)" : Integer.toString(round.round()),
                    Pruning.percent(round.sparsity()), String.format("%,d", round.nonZero()),
                    String.format(Locale.ROOT, "%.2f", 100 * round.prunedAccuracy()),
                    dense || round.accuracy() == round.prunedAccuracy() ? ""
                            : String.format(Locale.ROOT, "%.2f", 100 * round.accuracy())));
        }
        return rows;
    }

    /** Writes the run's {@code report.html}. */
    static void write(Path file, Pruning.Config c, Pruning.Result r) {
        Report page = new Report("graft prune");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("model", c.model().toString());
        facts.put("target", Pruning.percent(c.sparsity()) + " of prunable weights, "
                + c.scope().name().toLowerCase(Locale.ROOT) + ", in " + c.rounds() + " round(s)");
        facts.put("fine-tuning per round", c.fineTune() == null ? "none"
                : c.fineTune().epochs() + " epoch(s)");
        facts.put("data", r.dataSource());
        facts.put("result", String.format(Locale.ROOT, "%.2f%% -> %.2f%% (%+.2f points)",
                100 * r.denseAccuracy(), 100 * r.accuracy(), r.accuracyChange()));
        page.facts(facts);
        page.heading("Rounds");
        page.table(HEADER, cells(r), null);
        double[] x = r.rounds().stream().mapToDouble(p -> 100 * p.sparsity()).toArray();
        List<Chart.Series> series = new ArrayList<>();
        series.add(new Chart.Series("after pruning", x, r.rounds().stream()
                .mapToDouble(p -> 100 * p.prunedAccuracy()).toArray(), null));
        if (c.fineTune() != null) {
            series.add(new Chart.Series("after fine-tuning", x, r.rounds().stream()
                    .mapToDouble(p -> 100 * p.accuracy()).toArray(), null));
        }
        page.chart(Chart.lines("Test accuracy against sparsity", "sparsity (%)",
                "accuracy (%)", series, false));
        page.heading("Sparsity per layer");
        List<String> names = r.layerSparsity().keySet().stream()
                .map(n -> n.replaceFirst("\\.weight$", "")).toList();
        page.chart(Chart.bars("Share of each layer's weights pruned", "", "pruned (%)", names,
                r.layerSparsity().values().stream().mapToDouble(s -> 100 * s).toArray()));
        page.write(file);
    }
}
