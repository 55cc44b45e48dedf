package dev.graft.compress;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.report.TextTable;
import dev.graft.train.Mask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The pruning table, as text for the terminal and as the run's HTML report. */
public final class PruningReport {

    private static final List<String> HEADER = List.of("round", "weights pruned", "parameters",
            "non-zero", "multiply-adds", "accuracy after pruning (%)",
            "after fine-tuning (%)");

    private PruningReport() {}

    /** One line per round, round 0 being the model as given, then the outcome. */
    public static String text(Pruning.Result r) {
        StringBuilder sb = new StringBuilder(TextTable.render(HEADER, cells(r)));
        sb.append(summary(r)).append('\n');
        if (r.speed() != null) {
            sb.append(r.speed().describe()).append('\n');
        }
        sb.append("checkpoint: ").append(r.checkpoint()).append(r.method()
                == Pruning.Method.MAGNITUDE ? " (weights and " + Mask.FILE + ")" : "")
                .append('\n');
        return sb.toString();
    }

    private static String summary(Pruning.Result r) {
        Pruning.Round a = r.given();
        Pruning.Round b = r.last();
        return String.format(Locale.ROOT, "test accuracy %.2f%% -> %.2f%% (%+.2f points);"
                + " parameters %,d -> %,d (%,d non-zero); multiply-adds %,d -> %,d (%s)",
                100 * r.givenAccuracy(), 100 * r.accuracy(), r.accuracyChange(), a.parameters(),
                b.parameters(), b.nonZero(), a.multiplyAdds(), b.multiplyAdds(),
                Pruning.percent((double) b.multiplyAdds() / a.multiplyAdds()));
    }

    private static List<List<String>> cells(Pruning.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (Pruning.Round round : r.rounds()) {
            boolean given = round.round() == 0;
            rows.add(List.of(given ? "0 (given)" : Integer.toString(round.round()),
                    Pruning.percent(round.sparsity()), String.format("%,d", round.parameters()),
                    String.format("%,d", round.nonZero()),
                    String.format("%,d", round.multiplyAdds()),
                    String.format(Locale.ROOT, "%.2f", 100 * round.prunedAccuracy()),
                    given || round.accuracy() == round.prunedAccuracy() ? ""
                            : String.format(Locale.ROOT, "%.2f", 100 * round.accuracy())));
        }
        return rows;
    }

    /** Writes the run's {@code report.html}. */
    static void write(Path file, Pruning.Config c, Pruning.Result r) {
        Report page = new Report("graft prune");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("model", c.model().toString());
        facts.put("target", c.method() == Pruning.Method.MAGNITUDE
                ? Pruning.percent(c.amount()) + " of prunable weights, "
                        + c.scope().name().toLowerCase(Locale.ROOT) + ", in " + c.rounds()
                        + " round(s)"
                : Pruning.percent(c.amount()) + " of the multiply-adds removed as whole filters"
                        + " and units, in " + c.rounds() + " round(s)");
        facts.put("fine-tuning per round", c.fineTune() == null ? "none"
                : c.fineTune().epochs() + " epoch(s)");
        facts.put("data", r.dataSource());
        facts.put("result", summary(r));
        if (r.speed() != null) {
            facts.put("speed", r.speed().describe());
        }
        r.layerWidths().forEach((layer, change) -> facts.put("width of " + layer, change));
        page.facts(facts);
        page.heading("Rounds");
        page.table(HEADER, cells(r), null);
        boolean filters = c.method() == Pruning.Method.FILTERS;
        double[] x = r.rounds().stream().mapToDouble(p -> filters
                ? 100.0 * p.multiplyAdds() / r.given().multiplyAdds() : 100 * p.sparsity())
                .toArray();
        List<Chart.Series> series = new ArrayList<>();
        series.add(new Chart.Series("after pruning", x, r.rounds().stream()
                .mapToDouble(p -> 100 * p.prunedAccuracy()).toArray(), null));
        if (c.fineTune() != null) {
            series.add(new Chart.Series("after fine-tuning", x, r.rounds().stream()
                    .mapToDouble(p -> 100 * p.accuracy()).toArray(), null));
        }
        page.chart(Chart.lines(filters ? "Test accuracy against multiply-adds kept"
                : "Test accuracy against sparsity", filters ? "multiply-adds kept (%)"
                        : "weights pruned (%)", "accuracy (%)", series, false));
        if (!r.layerSparsity().isEmpty()) {
            page.heading("Sparsity per layer");
            List<String> names = r.layerSparsity().keySet().stream()
                    .map(n -> n.replaceFirst("\\.weight$", "")).toList();
            page.chart(Chart.bars("Share of each layer's weights pruned", "", "pruned (%)",
                    names, r.layerSparsity().values().stream().mapToDouble(s -> 100 * s)
                            .toArray()));
        }
        page.write(file);
    }
}
