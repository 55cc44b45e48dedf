package dev.graft.export;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.report.TextTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The compression ledger, as text for the terminal and as the run's HTML report. */
public final class LedgerReport {

    private static final List<String> HEADER = List.of("step", "engine", "test accuracy (%)",
            "parameters", "non-zero", "bytes", "multiply-adds", "images/s", "speed");

    private LedgerReport() {}

    public static String text(Ledger.Result r) {
        return TextTable.render(HEADER, cells(r)) + "speed: images per second relative to the"
                + " model as given in graft (float32, batch 64), each timed alternately with"
                + " the model it is compared with\n";
    }

    private static List<List<String>> cells(Ledger.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (Ledger.Row row : r.rows()) {
            rows.add(List.of(row.step(), row.engine(),
                    String.format(Locale.ROOT, "%.2f", 100 * row.accuracy()),
                    String.format("%,d", row.parameters()), String.format("%,d", row.nonZero()),
                    String.format("%,d", row.bytes()), String.format("%,d", row.multiplyAdds()),
                    String.format(Locale.ROOT, "%,.0f", row.imagesPerSecond()),
                    String.format(Locale.ROOT, "%.2fx", row.speedup())));
        }
        return rows;
    }

    static void write(Path file, Ledger.Config c, Ledger.Result r) {
        Report page = new Report("graft compress");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("model", c.model().toString());
        facts.put("pipeline", c.steps().toString());
        facts.put("fine-tuning per step", c.fineTune() == null ? "none"
                : c.fineTune().epochs() + " epoch(s)");
        page.facts(facts);
        page.heading("Ledger");
        page.table(HEADER, cells(r), null);
        List<String> names = new ArrayList<>();
        for (Ledger.Row row : r.rows()) {
            names.add(row.step() + (row.engine().startsWith("ONNX") ? " (ORT)" : ""));
        }
        page.chart(Chart.bars("Test accuracy", "", "accuracy (%)", names, r.rows().stream()
                .mapToDouble(x -> 100 * x.accuracy()).toArray()));
        page.chart(Chart.bars("Size on disk", "", "kilobytes", names, r.rows().stream()
                .mapToDouble(x -> x.bytes() / 1024.0).toArray()));
        page.chart(Chart.bars("Inference speed relative to the model as given", "", "x",
                names, r.rows().stream().mapToDouble(Ledger.Row::speedup).toArray()));
        page.write(file);
    }
}
