package dev.graft.data;

import dev.graft.io.BadFileException;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * torchvision's standard evaluation transform up to {@code ToTensor}: {@code Resize(resize)}
 * (shorter side to {@code resize}, the longer in proportion, truncated) with PIL's antialiased
 * bilinear filter, then {@code CenterCrop(height, width)}. Pixels stay unsigned bytes in
 * {@code [channels, height, width]} order; {@link Normalization} scales and normalizes them as
 * for every other dataset. The resampling is PIL's own algorithm (triangle filter widened by the
 * reduction factor, 22-bit fixed-point weights, a rounded 8-bit image between the horizontal and
 * the vertical pass), so an image goes into an imported model as it went into torchvision's.
 *
 * @param resize the shorter side after resizing (torchvision: 256 for a 224 crop)
 * @param channels 3 (RGB) or 1 (gray)
 */
public record EvalTransform(int resize, int height, int width, int channels) {

    public EvalTransform {
        if (resize < Math.min(height, width) || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("resize " + resize + " must be at least the crop "
                    + height + "x" + width);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
    }

    /**
     * The transform torchvision pairs with a crop: shorter side to {@code crop / 0.875}, rounded
     * (256 for 224, 342 for Inception's 299).
     *
     * @param imageShape {@code [channels, height, width]} the model takes
     */
    public static EvalTransform forInput(int[] imageShape) {
        int side = Math.max(imageShape[1], imageShape[2]);
        return new EvalTransform((int) Math.round(side / 0.875), imageShape[1], imageShape[2],
                imageShape[0]);
    }

    /**
     * The most pixels an image may declare: twice PIL's {@code MAX_IMAGE_PIXELS}, where PIL
     * refuses a decompression bomb. A 48-byte PNG can claim 2e9 x 1 pixels (found by fuzzing:
     * ImageIO then allocated 4 GB and took 12 s before failing).
     */
    static final long MAX_PIXELS = 2L * 89_478_485;

    /** Reads an image file (PNG, JPEG, BMP, GIF: what ImageIO reads) and transforms it. */
    public byte[] read(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return decode(in, file);
        } catch (IOException e) {
            throw new BadFileException(file, "not a readable image: " + e.getMessage(), e);
        }
    }

    /**
     * Decodes an image file's bytes (read elsewhere, e.g. by Spark's {@code binaryFile}
     * source) with the same checks as {@link #read(Path)} and transforms it.
     *
     * @param file names the image in errors
     */
    public byte[] read(byte[] content, Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(
                new java.io.ByteArrayInputStream(content))) {
            return decode(in, file);
        } catch (IOException e) {
            throw new BadFileException(file, "not a readable image: " + e.getMessage(), e);
        }
    }

    private byte[] decode(ImageInputStream in, Path file) {
        BufferedImage img;
        try {
            java.util.Iterator<ImageReader> readers = in == null ? null
                    : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new BadFileException(file, "not an image ImageIO can read (PNG, JPEG, BMP,"
                        + " GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new BadFileException(file, "declares " + reader.getWidth(0) + " x "
                            + reader.getHeight(0) + " pixels, more than graft decodes ("
                            + MAX_PIXELS + "); downscale it first");
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (BadFileException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BadFileException(file, "not a readable image: " + e.getMessage(), e);
        }
        if (img == null) {
            throw new BadFileException(file, "not an image ImageIO can read (PNG, JPEG, BMP,"
                    + " GIF)");
        }
        return apply(img);
    }

    /** Reads and transforms {@code files} on all cores: {@code [files, channels, height, width]}. */
    public byte[] readAll(java.util.List<Path> files) {
        int size = channels * height * width;
        byte[] pixels = new byte[files.size() * size];
        java.util.stream.IntStream.range(0, files.size()).parallel().forEach(i ->
                System.arraycopy(read(files.get(i)), 0, pixels, i * size, size));
        return pixels;
    }

    /** The transformed pixels, {@code [channels, height, width]}. */
    public byte[] apply(BufferedImage img) {
        int[][] planes = planes(img, channels);
        int h = img.getHeight();
        int w = img.getWidth();
        int newH;
        int newW;
        if (w <= h) {
            newW = resize;
            newH = (int) ((long) resize * h / w);
        } else {
            newH = resize;
            newW = (int) ((long) resize * w / h);
        }
        byte[] out = new byte[channels * height * width];
        // torchvision's CenterCrop: offsets rounded half to even, as Python's round()
        int top = (int) Math.rint((newH - height) / 2.0);
        int left = (int) Math.rint((newW - width) / 2.0);
        if (newH < height || newW < width) {
            throw new IllegalArgumentException("resized image " + newW + "x" + newH
                    + " is smaller than the crop " + width + "x" + height);
        }
        for (int c = 0; c < channels; c++) {
            int[] resized = resize(planes[c], w, h, newW, newH);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    out[(c * height + y) * width + x] = (byte) resized[(top + y) * newW + left + x];
                }
            }
        }
        return out;
    }

    /**
     * One plane per channel, values 0-255. Gray images are read from the raster (ImageIO's gray
     * colour space is linear, so its RGB conversion would brighten them); gray to RGB repeats
     * the plane, RGB to gray is PIL's {@code L = (299 R + 587 G + 114 B) / 1000}.
     */
    static int[][] planes(BufferedImage img, int channels) {
        int w = img.getWidth();
        int h = img.getHeight();
        Raster raster = img.getRaster();
        boolean gray = raster.getNumBands() == 1
                && img.getType() != BufferedImage.TYPE_BYTE_BINARY
                && img.getType() != BufferedImage.TYPE_BYTE_INDEXED;
        if (gray) {
            int bits = img.getColorModel().getComponentSize(0);
            int[] g = raster.getSamples(0, 0, w, h, 0, new int[w * h]);
            for (int i = 0; i < g.length; i++) {
                g[i] = bits == 8 ? g[i] : (int) Math.round(g[i] * 255.0 / ((1 << bits) - 1));
            }
            if (channels == 1) {
                return new int[][] {g};
            }
            return new int[][] {g, g.clone(), g.clone()};
        }
        int[][] rgb = new int[3][w * h];
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < argb.length; i++) {
            rgb[0][i] = (argb[i] >> 16) & 0xff;
            rgb[1][i] = (argb[i] >> 8) & 0xff;
            rgb[2][i] = argb[i] & 0xff;
        }
        if (channels == 3) {
            return rgb;
        }
        int[] l = new int[w * h];
        for (int i = 0; i < l.length; i++) {
            l[i] = (rgb[0][i] * 299 + rgb[1][i] * 587 + rgb[2][i] * 114 + 500) / 1000;
        }
        return new int[][] {l};
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /**
     * PIL's {@code ImagingResample} with the bilinear filter on one 8-bit plane: horizontal pass
     * to {@code outW}, rounded and clipped to 8 bits, then vertical pass to {@code outH}.
     */
    static int[] resize(int[] plane, int w, int h, int outW, int outH) {
        int[] mid = plane;
        if (outW != w) {
            mid = pass(plane, w, h, outW, true);
        }
        return outH == h ? mid : pass(mid, outW, h, outH, false);
    }

    /** One resampling pass along rows ({@code horizontal}) or columns. */
    private static int[] pass(int[] in, int w, int h, int outSize, boolean horizontal) {
        int inSize = horizontal ? w : h;
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 1.0 * filterScale;
        int taps = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[outSize * 2];
        int[] weights = new int[outSize * taps];
        double[] k = new double[taps];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double ww = 0;
            for (int x = 0; x < xmax; x++) {
                double v = Math.abs((x + xmin - center + 0.5) / filterScale);
                k[x] = v < 1 ? 1 - v : 0;
                ww += k[x];
            }
            for (int x = 0; x < xmax; x++) {
                double norm = ww == 0 ? 0 : k[x] / ww;
                weights[xx * taps + x] = (int) (norm < 0 ? -0.5 + norm * (1 << PRECISION_BITS)
                        : 0.5 + norm * (1 << PRECISION_BITS));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        int outW = horizontal ? outSize : w;
        int outH = horizontal ? h : outSize;
        int[] out = new int[outW * outH];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int xx = horizontal ? x : y;
                int xmin = bounds[xx * 2];
                int xmax = bounds[xx * 2 + 1];
                long ss = 1L << (PRECISION_BITS - 1);
                for (int t = 0; t < xmax; t++) {
                    int src = horizontal ? in[y * w + xmin + t] : in[(xmin + t) * w + x];
                    ss += (long) src * weights[xx * taps + t];
                }
                long v = ss >> PRECISION_BITS;
                out[y * outW + x] = (int) Math.max(0, Math.min(255, v));
            }
        }
        return out;
    }
}
