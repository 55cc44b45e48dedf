package dev.graft.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A chart for a report, drawn by XChart and kept as PNG bytes.
 *
 * @param title shown above the chart and as its alternative text
 * @param png the rendered image
 */
public record Chart(String title, byte[] png) {

    private static final int WIDTH = 760;
    private static final int HEIGHT = 420;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** One line of an {@link #lines} chart; {@code error} (may be null) draws error bars. */
    public record Series(String name, double[] x, double[] y, double[] error) {
        public Series {
            if (x.length != y.length || (error != null && error.length != y.length)) {
                throw new IllegalArgumentException("series " + name + ": x, y and error need one"
                        + " value each per point");
            }
        }
    }

    /** A line chart; {@code logX} for axes such as labels per class. */
    public static Chart lines(String title, String xLabel, String yLabel, List<Series> series,
            boolean logX) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        style(c.getStyler());
        c.getStyler().setXAxisLogarithmic(logX);
        c.getStyler().setXAxisDecimalPattern("#,##0.##");
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        for (Series s : series) {
            if (s.x().length == 0) {
                continue;
            }
            XYSeries xy = s.error() == null ? c.addSeries(s.name(), s.x(), s.y())
                    : c.addSeries(s.name(), s.x(), s.y(), s.error());
            xy.setMarker(SeriesMarkers.CIRCLE);
            xy.setLineStyle(new BasicStroke(2f));
        }
        return render(title, c);
    }

    /** Points without lines, one colour per series (a projection of codes, for example). */
    public static Chart scatter(String title, String xLabel, String yLabel,
            List<Series> series) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        style(c.getStyler());
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(4);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        for (Series s : series) {
            if (s.x().length > 0) {
                c.addSeries(s.name(), s.x(), s.y()).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        return render(title, c);
    }

    /** A bar chart of one value per category. */
    public static Chart bars(String title, String xLabel, String yLabel, List<String> categories,
            double[] values) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        style(c.getStyler());
        c.getStyler().setLegendVisible(false);
        // long names (parameter paths) would overlap side by side: slant them
        int room = WIDTH / Math.max(1, categories.size()) / 7;
        if (categories.stream().anyMatch(n -> n.length() > room)) {
            c.getStyler().setXAxisLabelRotation(30);
        }
        List<Double> v = new ArrayList<>();
        for (double d : values) {
            v.add(d);
        }
        c.addSeries(yLabel, categories, v);
        return render(title, c);
    }

    /**
     * A heat map with the value written in every cell: {@code values[row][column]}, rows
     * listed bottom to top.
     *
     * @param min the value of the lightest colour; {@code max} of the darkest
     */
    public static Chart heatmap(String title, String xLabel, String yLabel, List<String> columns,
            List<String> rows, double[][] values, double min, double max) {
        org.knowm.xchart.HeatMapChart c = new org.knowm.xchart.HeatMapChartBuilder()
                .width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel)
                .build();
        style(c.getStyler());
        c.getStyler().setShowValue(true);
        c.getStyler().setHeatMapValueDecimalPattern("#0.00");
        c.getStyler().setValueFontColor(Color.BLACK);
        c.getStyler().setMin(min);
        c.getStyler().setMax(max);
        // light enough at the top of the range for black values to stay readable
        c.getStyler().setRangeColors(new Color[] {new Color(0xF7FBFF), new Color(0x9ECAE1),
            new Color(0x4292C6)});
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        List<Number[]> cells = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            if (values[r].length != columns.size()) {
                throw new IllegalArgumentException("heat map " + title + ": row " + r + " has "
                        + values[r].length + " values for " + columns.size() + " columns");
            }
            for (int col = 0; col < columns.size(); col++) {
                cells.add(new Number[] {col, r, values[r][col]});
            }
        }
        c.addSeries(title, columns, rows, cells);
        return render(title, c);
    }

    private static void style(org.knowm.xchart.style.AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(0xE0E0E0));
        s.setPlotBorderVisible(false);
        s.setAntiAlias(true);
        s.setYAxisDecimalPattern("#,##0.##");
    }

    private static Chart render(String title,
            org.knowm.xchart.internal.chartpart.Chart<?, ?> chart) {
        try {
            return new Chart(title, BitmapEncoder.getBitmapBytes(chart,
                    BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render chart '" + title + "'", e);
        }
    }

    /** The image as a {@code data:} URI for an {@code <img>}. */
    public String dataUri() {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }
}
