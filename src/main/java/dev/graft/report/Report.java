package dev.graft.report;

import dev.graft.io.AtomicFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One self-contained HTML page: headings, paragraphs, tables, charts (embedded PNG) and
 * confusion matrices. Every piece of text is HTML-escaped here, so class names, paths and
 * labels from data can never inject markup.
 */
public final class Report {

    /** The report's file name in a run folder. */
    public static final String FILE = "report.html";

    private final String title;
    private final StringBuilder body = new StringBuilder();

    public Report(String title) {
        this.title = title;
    }

    public Report heading(String text) {
        body.append("<h2>").append(escape(text)).append("</h2>\n");
        return this;
    }

    public Report paragraph(String text) {
        body.append("<p>").append(escape(text)).append("</p>\n");
        return this;
    }

    /** Preformatted text (a summary as the terminal showed it). */
    public Report preformatted(String text) {
        body.append("<pre>").append(escape(text)).append("</pre>\n");
        return this;
    }

    /** A two-column table of facts. */
    public Report facts(Map<String, String> facts) {
        body.append("<table class=\"facts\">\n");
        facts.forEach((k, v) -> body.append("<tr><th>").append(escape(k)).append("</th><td>")
                .append(escape(v)).append("</td></tr>\n"));
        body.append("</table>\n");
        return this;
    }

    /**
     * A table; {@code highlight[r]} marks a row (e.g. the best strategy) in bold.
     *
     * @param highlight may be null
     */
    public Report table(List<String> header, List<List<String>> rows, boolean[] highlight) {
        body.append("<table>\n<thead><tr>");
        header.forEach(h -> body.append("<th>").append(escape(h)).append("</th>"));
        body.append("</tr></thead>\n<tbody>\n");
        for (int r = 0; r < rows.size(); r++) {
            body.append(highlight != null && highlight[r] ? "<tr class=\"best\">" : "<tr>");
            rows.get(r).forEach(c -> body.append("<td>").append(escape(c)).append("</td>"));
            body.append("</tr>\n");
        }
        body.append("</tbody>\n</table>\n");
        return this;
    }

    public Report chart(Chart chart) {
        body.append("<figure><img class=\"chart\" alt=\"").append(escape(chart.title()))
                .append("\" src=\"").append(chart.dataUri()).append("\"></figure>\n");
        return this;
    }

    /**
     * A confusion matrix as a shaded table: rows are true classes, columns predictions, each
     * cell shaded by its share of the row.
     */
    public Report confusion(String caption, List<String> classNames, long[][] counts) {
        body.append("<table class=\"confusion\"><caption>").append(escape(caption))
                .append("</caption>\n<tr><th>true \\ predicted</th>");
        classNames.forEach(n -> body.append("<th>").append(escape(n)).append("</th>"));
        body.append("</tr>\n");
        for (int r = 0; r < counts.length; r++) {
            long total = 0;
            for (long c : counts[r]) {
                total += c;
            }
            body.append("<tr><th>").append(escape(r < classNames.size() ? classNames.get(r)
                    : Integer.toString(r))).append("</th>");
            for (int c = 0; c < counts[r].length; c++) {
                double share = total == 0 ? 0 : (double) counts[r][c] / total;
                String colour = r == c ? "46,125,50" : "198,40,40";
                body.append(String.format(java.util.Locale.ROOT,
                        "<td style=\"background:rgba(%s,%.2f)\">%d</td>", colour,
                        Math.min(1, share * (r == c ? 0.8 : 2.5)), counts[r][c]));
            }
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    /** The page as HTML. */
    public String html() {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
                + escape(title) + "</title>\n<style>\n"
                + "body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;"
                + "padding:0 1em;color:#222}\n"
                + "table{border-collapse:collapse;margin:1em 0}\n"
                + "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}\n"
                + "th{background:#f4f4f4}\ntable.facts th,table.facts td{text-align:left}\n"
                + "tr.best td{font-weight:bold}\nfigure{margin:1em 0}\n"
                + "img.chart{max-width:100%}\npre{background:#f7f7f7;padding:1em;white-space:pre-wrap}\n"
                + "caption{font-weight:bold;text-align:left}\n"
                + "</style></head>\n<body>\n<h1>" + escape(title) + "</h1>\n" + body
                + "<footer><p><small>written by graft</small></p></footer>\n</body></html>\n";
    }

    /** Writes the page atomically. */
    public void write(Path file) {
        AtomicFiles.writeString(file, html());
    }

    /** {@code text} safe inside HTML elements and quoted attributes. */
    public static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }
}
