package dev.graft.explore;

import dev.graft.report.Chart;
import dev.graft.report.Report;
import dev.graft.report.TextTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The exploration's table, as text and as {@code report.html} with its pictures. */
public final class ExploreReport {

    private ExploreReport() {}

    private static final List<String> HEADER = List.of("stage", "dim", "codes", "k",
            "silhouette", "NMI", "ARI", "PCA 2-D (%)", "seconds");

    public static String text(Exploration.Result r) {
        return TextTable.render(HEADER, rows(r)) + "k: given, or the silhouette's best; NMI and"
                + " ARI: clusters against the labels; best stage by " + r.bestBy() + ": "
                + r.best() + "\n";
    }

    private static List<List<String>> rows(Exploration.Result r) {
        List<List<String>> rows = new ArrayList<>();
        for (Exploration.Stage s : r.stages()) {
            rows.add(List.of(s.stage(), Integer.toString(s.dim()), String.format(Locale.ROOT,
                    "%,d", s.rows()), s.k() + (s.kChosenBy().equals("given") ? "" : " (auto)"),
                    String.format(Locale.ROOT, "%.3f", s.silhouette()),
                    s.nmi() == null ? "" : String.format(Locale.ROOT, "%.3f", s.nmi()),
                    s.ari() == null ? "" : String.format(Locale.ROOT, "%.3f", s.ari()),
                    String.format(Locale.ROOT, "%.1f", 100 * s.pcaExplained()),
                    String.format(Locale.ROOT, "%.1f", s.seconds())));
        }
        return rows;
    }

    static void write(Path file, Exploration.Config c, Exploration.Result r,
            List<Exploration.Pictures> pictures) {
        Report page = new Report("graft explore");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("codes", c.codes().toString());
        facts.put("split", c.split());
        facts.put("k", c.k() == null ? "chosen from 2.." + c.kMax() + " by silhouette"
                : c.k().toString());
        page.facts(facts);
        page.table(HEADER, rows(r), null);
        page.paragraph("Best stage by " + r.bestBy() + ": " + r.best() + ". NMI: normalized"
                + " mutual information (arithmetic mean), ARI: adjusted Rand index, both of the"
                + " k-means clusters against the labels; silhouette needs no labels.");
        List<Chart.Series> series = new ArrayList<>();
        for (Exploration.Stage s : r.stages()) {
            series.add(new Chart.Series(s.stage(), s.silhouetteByK().keySet().stream()
                    .mapToDouble(Integer::doubleValue).toArray(), s.silhouetteByK().values()
                            .stream().mapToDouble(Double::doubleValue).toArray(), null));
        }
        if (r.stages().stream().anyMatch(s -> s.silhouetteByK().size() > 1)) {
            page.chart(Chart.lines("Silhouette by number of clusters", "k", "mean silhouette",
                    series, false));
        }
        for (Exploration.Pictures p : pictures) {
            page.heading("Stage " + p.stage());
            page.chart(scatter(p.stage() + ": PCA, by label", p.pca(), p.labels(),
                    p.classNames()));
            page.chart(scatter(p.stage() + ": t-SNE, by label", p.tsne(), p.labels(),
                    p.classNames()));
            List<String> clusters = new ArrayList<>();
            int k = java.util.Arrays.stream(p.clusters()).max().orElse(0) + 1;
            for (int i = 0; i < k; i++) {
                clusters.add("cluster " + i);
            }
            page.chart(scatter(p.stage() + ": t-SNE, by k-means cluster", p.tsne(),
                    p.clusters(), clusters));
        }
        page.write(file);
    }

    private static Chart scatter(String title, double[][] xy, int[] group, List<String> names) {
        List<Chart.Series> series = new ArrayList<>();
        for (int g = 0; g < names.size(); g++) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < group.length; i++) {
                if (group[i] == g) {
                    idx.add(i);
                }
            }
            series.add(new Chart.Series(names.get(g), idx.stream().mapToDouble(
                    i -> xy[i][0]).toArray(), idx.stream().mapToDouble(i -> xy[i].length > 1
                            ? xy[i][1] : 0).toArray(), null));
        }
        return Chart.scatter(title, "1", "2", series);
    }
}
