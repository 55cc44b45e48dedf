package dev.graft.compress;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.report.TextTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The factorization table, as text for the terminal and as the run's HTML report. */
public final class FactorizationReport {

    private static final List<String> HEADER = List.of("layer", "matrix", "rank", "energy kept",
            "weights before", "weights after");

    private FactorizationReport() {}

    /** One line per factorized layer, then the outcome. */
    public static String text(Factorization.Result r) {
        return TextTable.render(HEADER, cells(r)) + summary(r) + "\n" + r.speed().describe()
                + "\ncheckpoint: " + r.checkpoint() + "\n";
    }

    private static String summary(Factorization.Result r) {
        return String.format(Locale.ROOT, "test accuracy %.2f%% -> %.2f%% factorized -> %.2f%%"
                + " at the end (%+.2f points); parameters %,d -> %,d; multiply-adds %,d -> %,d",
                100 * r.givenAccuracy(), 100 * r.factorizedAccuracy(), 100 * r.accuracy(),
                r.accuracyChange(), r.parametersBefore(), r.parametersAfter(),
                r.multiplyAddsBefore(), r.multiplyAddsAfter());
    }

    private static List<List<String>> cells(Factorization.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (Factorization.LayerRank l : r.layers()) {
            rows.add(List.of(l.layer(), l.matrix(), l.rank() + " of " + l.maxRank(),
                    String.format(Locale.ROOT, "%.1f%%", 100 * l.energy()),
                    String.format("%,d", l.weightsBefore()),
                    String.format("%,d", l.weightsAfter())));
        }
        return rows;
    }

    /** Writes the run's {@code report.html}. */
    static void write(Path file, Factorization.Config c, Factorization.Result r) {
        Report page = new Report("graft lowrank");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("model", c.model().toString());
        facts.put("rank chosen by", c.weightShare() != null ? String.format(Locale.ROOT,
                "at most %.0f%% of each layer's weights", 100 * c.weightShare())
                : String.format(Locale.ROOT, "%.1f%% of each layer's spectral energy",
                        100 * c.energy()));
        facts.put("fine-tuning", c.fineTune() == null ? "none"
                : c.fineTune().epochs() + " epoch(s)");
        facts.put("data", r.dataSource());
        facts.put("result", summary(r));
        facts.put("speed", r.speed().describe());
        page.facts(facts);
        page.heading("Layers");
        page.table(HEADER, cells(r), null);
        page.chart(Chart.bars("Test accuracy", "", "accuracy (%)", List.of("given",
                "factorized", c.fineTune() == null ? "factorized (no fine-tuning)"
                        : "after fine-tuning"), new double[] {100 * r.givenAccuracy(),
                            100 * r.factorizedAccuracy(), 100 * r.accuracy()}));
        page.write(file);
    }
}
