package dev.graft.data;

import dev.graft.io.BadFileException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The UCI optical digits as scikit-learn ships them ({@code digits.csv.gz}: per line 64 grey
 * levels 0..16 of an 8x8 image, then the label), turned into 28x28 images framed as MNIST's:
 * grey level g becomes {@code 255 g / 16}, the 8x8 grid is resampled bilinearly to a 20x20 box
 * (pixel centres aligned, as PIL and torch's {@code align_corners=False}), centred in a 28x28
 * canvas.
 */
public final class Optdigits {

    /** Side of the original grid, of the box it is resampled to, and of the canvas. */
    static final int GRID = 8;
    static final int BOX = 20;
    static final int CANVAS = 28;
    /** Largest grey level in the file. */
    static final int LEVELS = 16;

    private Optdigits() {}

    /** Reads a gzipped CSV of digits into 1 x 28 x 28 images with classes "0".."9". */
    public static ImageDataset read(Path file, InputStream gz, String name) {
        List<byte[]> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(gz), StandardCharsets.US_ASCII))) {
            String line;
            int row = 0;
            while ((line = in.readLine()) != null) {
                row++;
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split(",");
                if (f.length != GRID * GRID + 1) {
                    throw new BadFileException(file, "line " + row + " has " + f.length
                            + " fields; each line holds 64 grey levels and a label");
                }
                int[] grid = new int[GRID * GRID];
                for (int i = 0; i < f.length; i++) {
                    int v;
                    try {
                        v = (int) Double.parseDouble(f[i].trim());
                    } catch (NumberFormatException e) {
                        throw new BadFileException(file, "line " + row + ", field " + (i + 1)
                                + ": '" + f[i] + "' is not a number");
                    }
                    int max = i < grid.length ? LEVELS : 9;
                    if (v < 0 || v > max) {
                        throw new BadFileException(file, "line " + row + ", field " + (i + 1)
                                + ": " + v + " is outside 0.." + max);
                    }
                    if (i < grid.length) {
                        grid[i] = v;
                    } else {
                        labels.add(v);
                    }
                }
                images.add(frame(grid));
            }
        } catch (IOException e) {
            throw new BadFileException(file, "cannot read: " + e.getMessage(), e);
        }
        if (images.isEmpty()) {
            throw new BadFileException(file, "holds no digits");
        }
        byte[] pixels = new byte[images.size() * CANVAS * CANVAS];
        int[] y = new int[labels.size()];
        for (int i = 0; i < y.length; i++) {
            System.arraycopy(images.get(i), 0, pixels, i * CANVAS * CANVAS, CANVAS * CANVAS);
            y[i] = labels.get(i);
        }
        List<String> classes = new ArrayList<>();
        for (int c = 0; c < 10; c++) {
            classes.add(Integer.toString(c));
        }
        return new ImageDataset(name, pixels, y, 1, CANVAS, CANVAS, classes);
    }

    /** One 8x8 grid of levels 0..16 as a 28x28 image of bytes. */
    static byte[] frame(int[] grid) {
        byte[] out = new byte[CANVAS * CANVAS];
        int offset = (CANVAS - BOX) / 2;
        for (int oy = 0; oy < BOX; oy++) {
            double sy = source(oy);
            int y0 = (int) Math.floor(sy);
            int y1 = Math.min(y0 + 1, GRID - 1);
            double fy = sy - y0;
            for (int ox = 0; ox < BOX; ox++) {
                double sx = source(ox);
                int x0 = (int) Math.floor(sx);
                int x1 = Math.min(x0 + 1, GRID - 1);
                double fx = sx - x0;
                double v = (1 - fy) * ((1 - fx) * grid[y0 * GRID + x0] + fx * grid[y0 * GRID + x1])
                        + fy * ((1 - fx) * grid[y1 * GRID + x0] + fx * grid[y1 * GRID + x1]);
                out[(oy + offset) * CANVAS + ox + offset] = (byte) Math.round(v * 255 / LEVELS);
            }
        }
        return out;
    }

    /** The source coordinate of output pixel {@code o}: centres aligned, clamped at 0. */
    private static double source(int o) {
        return Math.min(GRID - 1, Math.max(0, (o + 0.5) * GRID / BOX - 0.5));
    }
}
