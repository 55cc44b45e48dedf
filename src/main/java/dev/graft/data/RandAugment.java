package dev.graft.data;

import java.util.SplittableRandom;

/**
 * FixMatch's two views of an image (Sohn et al. 2020, as the widely used PyTorch
 * reimplementation {@code kekmodel/FixMatch-pytorch} builds them): a weak one, a random shift of
 * up to 1/8 of the side with reflected borders (its {@code RandomCrop(padding=size/8,
 * padding_mode="reflect")}; no flip: digits and letters have a handedness), and a strong one,
 * {@code RandAugmentMC(n=2, m=10)} (two operations drawn from its pool of fourteen, each applied
 * with probability 1/2 at a magnitude drawn from 1 to 9) followed by Cutout of a square half the
 * side, filled grey (127). The operations follow PIL's definitions on 8-bit levels:
 * autocontrast, brightness, colour, contrast, equalize, identity, posterize, rotate (up to 30
 * degrees), sharpness, shear x/y (up to 0.3), solarize, translate x/y (up to 0.3 of the side);
 * geometric ones fill with black, as PIL does. Images are {@code [channels, height, width]} of
 * values in [0, 1]; {@link #batch} works on normalized batches.
 */
public final class RandAugment {

    /** Operations per image (n) and the magnitude bound (m): FixMatch's RandAugmentMC(2, 10). */
    public static final int OPS = 2;
    public static final int MAGNITUDE = 10;
    private static final int POOL = 14;
    private static final float CUTOUT_FILL = 127f / 255;

    private RandAugment() {}

    /**
     * The weak (or strong) view of every image of a normalized batch {@code [n, c, h, w]}: each
     * image is brought back to [0, 1] with {@code norm}, augmented, and normalized again.
     */
    public static float[] batch(float[] x, int n, int c, int h, int w, Normalization norm,
            boolean strong, SplittableRandom rng) {
        float[] out = new float[x.length];
        int size = c * h * w;
        float[] img = new float[size];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < h * w; p++) {
                    img[ch * h * w + p] = x[i * size + ch * h * w + p] * norm.std()[ch]
                            + norm.mean()[ch];
                }
            }
            float[] a = strong ? strong(img, c, h, w, rng) : weak(img, c, h, w, rng);
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < h * w; p++) {
                    out[i * size + ch * h * w + p] = (a[ch * h * w + p] - norm.mean()[ch])
                            / norm.std()[ch];
                }
            }
        }
        return out;
    }

    /** A random shift of up to {@code side / 8} pixels each way, borders reflected. */
    public static float[] weak(float[] img, int c, int h, int w, SplittableRandom rng) {
        int pad = Math.max(1, Math.round(Math.min(h, w) / 8f));
        int dy = rng.nextInt(2 * pad + 1) - pad;
        int dx = rng.nextInt(2 * pad + 1) - pad;
        float[] out = new float[img.length];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    out[(ch * h + y) * w + x] = img[(ch * h + reflect(y + dy, h)) * w
                            + reflect(x + dx, w)];
                }
            }
        }
        return out;
    }

    private static int reflect(int i, int n) {
        if (n == 1) {
            return 0;
        }
        while (i < 0 || i >= n) {
            i = i < 0 ? -i : 2 * (n - 1) - i;
        }
        return i;
    }

    /** Two random operations, each with probability 1/2, then Cutout. */
    public static float[] strong(float[] img, int c, int h, int w, SplittableRandom rng) {
        float[] a = img.clone();
        for (int k = 0; k < OPS; k++) {
            int op = rng.nextInt(POOL);
            int v = 1 + rng.nextInt(MAGNITUDE - 1);
            if (rng.nextDouble() < 0.5) {
                a = apply(op, v, a, c, h, w, rng);
            }
        }
        return cutout(a, c, h, w, Math.round(Math.min(h, w) * 0.5f), rng);
    }

    /** Operation {@code op} of the pool at magnitude {@code v} in 1..9. */
    static float[] apply(int op, int v, float[] a, int c, int h, int w, SplittableRandom rng) {
        float factor = v * 0.9f / MAGNITUDE + 0.05f; // enhancements: max 0.9, bias 0.05
        return switch (op) {
            case 0 -> autoContrast(a, c, h, w);
            case 1 -> blend(a, new float[a.length], factor); // brightness: toward black
            case 2 -> blend(a, grey(a, c, h, w), factor); // colour: toward its grey image
            case 3 -> blend(a, meanGrey(a, c, h, w), factor); // contrast: toward mean grey
            case 4 -> equalize(a, c, h, w);
            case 5 -> a;
            case 6 -> posterize(a, v * 4 / MAGNITUDE + 4);
            case 7 -> affine(a, c, h, w, rotation(signed(v * 30 / MAGNITUDE, rng), h, w));
            case 8 -> blend(a, smooth(a, c, h, w), factor); // sharpness
            case 9 -> affine(a, c, h, w, new double[] {1, signed(v * 0.3 / MAGNITUDE, rng), 0,
                0, 1, 0});
            case 10 -> affine(a, c, h, w, new double[] {1, 0, 0, signed(v * 0.3 / MAGNITUDE,
                rng), 1, 0});
            case 11 -> solarize(a, 256 - v * 256 / MAGNITUDE);
            case 12 -> affine(a, c, h, w, new double[] {1, 0, signed(v * 0.3 / MAGNITUDE, rng)
                * w, 0, 1, 0});
            case 13 -> affine(a, c, h, w, new double[] {1, 0, 0, 0, 1, signed(v * 0.3
                / MAGNITUDE, rng) * h});
            default -> throw new IllegalArgumentException("no operation " + op);
        };
    }

    private static double signed(double v, SplittableRandom rng) {
        return rng.nextDouble() < 0.5 ? -v : v;
    }

    /** {@code degenerate + factor (a - degenerate)}, clipped to [0, 1] (PIL's enhancers). */
    static float[] blend(float[] a, float[] degenerate, float factor) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = clip(degenerate[i] + factor * (a[i] - degenerate[i]));
        }
        return out;
    }

    private static float clip(float v) {
        return Math.max(0, Math.min(1, v));
    }

    /** Luminance (ITU-R 601, PIL's "L") in every channel; a single channel is itself. */
    private static float[] grey(float[] a, int c, int h, int w) {
        if (c != 3) {
            return a.clone();
        }
        int plane = h * w;
        float[] out = new float[a.length];
        for (int p = 0; p < plane; p++) {
            float l = 0.299f * a[p] + 0.587f * a[plane + p] + 0.114f * a[2 * plane + p];
            out[p] = l;
            out[plane + p] = l;
            out[2 * plane + p] = l;
        }
        return out;
    }

    /** The mean luminance, rounded to an 8-bit level, everywhere. */
    private static float[] meanGrey(float[] a, int c, int h, int w) {
        float[] g = grey(a, c, h, w);
        double sum = 0;
        for (int p = 0; p < h * w; p++) {
            sum += g[p];
        }
        float mean = Math.round(sum / (h * w) * 255) / 255f;
        float[] out = new float[a.length];
        java.util.Arrays.fill(out, mean);
        return out;
    }

    /** PIL's SMOOTH filter (3x3, centre 5, others 1, over 13); border pixels unchanged. */
    static float[] smooth(float[] a, int c, int h, int w) {
        float[] out = a.clone();
        for (int ch = 0; ch < c; ch++) {
            for (int y = 1; y < h - 1; y++) {
                for (int x = 1; x < w - 1; x++) {
                    float s = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            s += a[(ch * h + y + dy) * w + x + dx] * (dx == 0 && dy == 0 ? 5 : 1);
                        }
                    }
                    out[(ch * h + y) * w + x] = s / 13;
                }
            }
        }
        return out;
    }

    /** Each channel stretched so its darkest level is 0 and its brightest 1. */
    static float[] autoContrast(float[] a, int c, int h, int w) {
        float[] out = a.clone();
        int plane = h * w;
        for (int ch = 0; ch < c; ch++) {
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (int p = 0; p < plane; p++) {
                lo = Math.min(lo, a[ch * plane + p]);
                hi = Math.max(hi, a[ch * plane + p]);
            }
            if (hi > lo) {
                for (int p = 0; p < plane; p++) {
                    out[ch * plane + p] = (a[ch * plane + p] - lo) / (hi - lo);
                }
            }
        }
        return out;
    }

    private static int level(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255)));
    }

    /** PIL's {@code ImageOps.equalize}, channel by channel, on 8-bit levels. */
    static float[] equalize(float[] a, int c, int h, int w) {
        float[] out = a.clone();
        int plane = h * w;
        for (int ch = 0; ch < c; ch++) {
            int[] hist = new int[256];
            for (int p = 0; p < plane; p++) {
                hist[level(a[ch * plane + p])]++;
            }
            int last = 255;
            while (last > 0 && hist[last] == 0) {
                last--;
            }
            int step = (plane - hist[last]) / 255;
            if (step == 0) {
                continue;
            }
            int[] lut = new int[256];
            int n = step / 2;
            for (int i = 0; i < 256; i++) {
                lut[i] = Math.min(255, n / step);
                n += hist[i];
            }
            for (int p = 0; p < plane; p++) {
                out[ch * plane + p] = lut[level(a[ch * plane + p])] / 255f;
            }
        }
        return out;
    }

    /** Keeps the top {@code bits} bits of each 8-bit level. */
    static float[] posterize(float[] a, int bits) {
        int mask = ~((1 << (8 - bits)) - 1) & 0xff;
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (level(a[i]) & mask) / 255f;
        }
        return out;
    }

    /** Inverts every level at or above {@code threshold} (0-256). */
    static float[] solarize(float[] a, int threshold) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            int l = level(a[i]);
            out[i] = (l >= threshold ? 255 - l : l) / 255f;
        }
        return out;
    }

    /** PIL's rotation by {@code degrees} (counter-clockwise) about the centre, as an affine map. */
    private static double[] rotation(double degrees, int h, int w) {
        double t = Math.toRadians(degrees);
        double cos = Math.cos(t);
        double sin = Math.sin(t);
        double cx = w / 2.0;
        double cy = h / 2.0;
        // output (x, y) reads input (cos x + sin y + e, -sin x + cos y + f), centre fixed
        return new double[] {cos, sin, cx - cos * cx - sin * cy, -sin, cos,
            cy + sin * cx - cos * cy};
    }

    /**
     * PIL's {@code Image.transform(AFFINE, (a, b, c, d, e, f))}, nearest neighbour: output pixel
     * (x, y) takes input pixel (a x + b y + c, d x + e y + f), black outside.
     */
    static float[] affine(float[] img, int ch, int h, int w, double[] m) {
        float[] out = new float[img.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // PIL samples at pixel centres
                double sx = m[0] * (x + 0.5) + m[1] * (y + 0.5) + m[2];
                double sy = m[3] * (x + 0.5) + m[4] * (y + 0.5) + m[5];
                int ix = (int) Math.floor(sx);
                int iy = (int) Math.floor(sy);
                if (ix < 0 || iy < 0 || ix >= w || iy >= h) {
                    continue;
                }
                for (int c = 0; c < ch; c++) {
                    out[(c * h + y) * w + x] = img[(c * h + iy) * w + ix];
                }
            }
        }
        return out;
    }

    /** A {@code side} x {@code side} square at a random centre, filled grey (127). */
    static float[] cutout(float[] a, int c, int h, int w, int side, SplittableRandom rng) {
        float[] out = a.clone();
        int cx = rng.nextInt(w);
        int cy = rng.nextInt(h);
        int x0 = Math.max(0, cx - side / 2);
        int y0 = Math.max(0, cy - side / 2);
        int x1 = Math.min(w, x0 + side);
        int y1 = Math.min(h, y0 + side);
        for (int ch = 0; ch < c; ch++) {
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    out[(ch * h + y) * w + x] = CUTOUT_FILL;
                }
            }
        }
        return out;
    }
}
