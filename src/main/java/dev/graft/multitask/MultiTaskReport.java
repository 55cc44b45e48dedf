package dev.graft.multitask;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.report.TextTable;
import dev.graft.train.Spread;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The multi-task table, as text for the terminal and as the run's HTML report. */
public final class MultiTaskReport {

    private MultiTaskReport() {}

    private static List<String> header(MultiTask.Result r, MultiTask.Config c) {
        List<String> h = new ArrayList<>(List.of("task", "single task"));
        c.weightings().forEach(w -> h.add(w.id()));
        return h;
    }

    private static String cell(Spread s) {
        return s == null ? "" : String.format(Locale.ROOT, "%.2f +- %.2f (%d)", 100 * s.mean(),
                100 * s.std(), s.seeds());
    }

    private static List<List<String>> cells(MultiTask.Result r, MultiTask.Config c) {
        List<List<String>> rows = new ArrayList<>();
        for (MultiTask.TaskRow row : r.rows()) {
            List<String> line = new ArrayList<>(List.of(row.name(), cell(row.singleTask())));
            c.weightings().forEach(w -> line.add(cell(row.byWeighting().get(w.id()))));
            rows.add(line);
        }
        if (!r.deltaM().isEmpty()) {
            List<String> line = new ArrayList<>(List.of("delta m (%)", ""));
            c.weightings().forEach(w -> line.add(String.format(Locale.ROOT, "%+.2f",
                    r.deltaM().get(w.id()))));
            rows.add(line);
        }
        if (!r.epochCost().isEmpty()) {
            List<String> line = new ArrayList<>(List.of("epoch cost vs equal", ""));
            c.weightings().forEach(w -> line.add(String.format(Locale.ROOT, "%.2fx",
                    r.epochCost().get(w.id()))));
            rows.add(line);
        }
        return rows;
    }

    /** Where the tasks part: the stage the further heads sit on, and what is shared. */
    private static String sharing(MultiTask.Result r, MultiTask.Config c) {
        return c.headStage() == null ? "every stage shared, a head per task on " + r.headStage()
                : "stages up to " + r.headStage() + " shared, each task with its own stages"
                        + " above it and a head";
    }

    /** The table a person reads first. */
    public static String text(MultiTask.Result r, MultiTask.Config c) {
        return TextTable.render(header(r, c), cells(r, c))
                + c.arch() + ": " + sharing(r, c) + "\n"
                + "test accuracy (%), mean +- std (seeds); single task: the same architecture,"
                + " initial trunk and training, one task's labels\n"
                + "delta m: mean over tasks of (multi-task - single task) / single task"
                + " (LibMTL's measure)\n";
    }

    static void write(Path file, MultiTask.Config c, MultiTask.Result r) {
        Report page = new Report("graft multitask");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("data", c.data() + " (" + r.dataSource() + ")");
        facts.put("tasks", String.join(", ", r.tasks()));
        facts.put("architecture", c.arch() + ", " + sharing(r, c));
        facts.put("training", c.train().epochs() + " epochs, batch " + c.train().batchSize()
                + ", " + (c.shots() == null ? r.trainExamples() + " images" : c.shots()
                        + " labelled images per " + r.tasks().get(0) + " class, drawn per seed"));
        c.weightings().forEach(w -> facts.put(w.id(), w.description()));
        page.facts(facts);
        page.heading("Test accuracy per task");
        page.table(header(r, c), cells(r, c), null);
        for (MultiTask.Run run : r.runs()) {
            if (run.weighting() == null || run.seed() != 1 || run.weights().size() < 2) {
                continue;
            }
            page.chart(Chart.lines("Task weights, " + run.weighting().id() + " (seed 1)",
                    "epoch", "weight", series(r.tasks(), run.weights(), 0), false));
            if (!run.losses().isEmpty()) {
                page.chart(Chart.lines("Mean training loss per task, " + run.weighting().id()
                        + " (seed 1)", "epoch", "loss", series(r.tasks(), run.losses(), 1),
                        false));
            }
        }
        page.write(file);
    }

    /** One line per task through {@code values} (one array per epoch), epochs from {@code first}. */
    private static List<Chart.Series> series(List<String> tasks, List<double[]> values,
            int first) {
        List<Chart.Series> out = new ArrayList<>();
        for (int k = 0; k < tasks.size(); k++) {
            double[] x = new double[values.size()];
            double[] y = new double[values.size()];
            for (int e = 0; e < values.size(); e++) {
                x[e] = e + first;
                y[e] = values.get(e)[k];
            }
            out.add(new Chart.Series(tasks.get(k), x, y, null));
        }
        return out;
    }
}
