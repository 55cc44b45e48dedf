package dev.graft.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A named change of input distribution that keeps the task: written after a dataset's name
 * ({@code fashion-mnist:invert}, {@code fashion-mnist:rotate=60}, several in a row), so every
 * command can read a shifted domain. Deterministic: the same name gives the same bytes (noise is
 * seeded by the split and the image's position), so fingerprints and results repeat.
 */
public enum DomainShift {
    /** {@code p' = 255 - p}; takes no severity. */
    INVERT("invert", Double.NaN, "255 - pixel"),
    /** {@code p' = m + c (p - m)}, m the image's mean (as ImageNet-C's contrast). */
    CONTRAST("contrast", 0.3, "factor c in (0, 1]: mean + c (pixel - mean)"),
    /** {@code p' = p + N(0, (255 s)^2)}, clipped to 0..255. */
    NOISE("noise", 0.3, "Gaussian noise of standard deviation s x 255"),
    /** Gaussian blur of standard deviation s pixels, kernel radius ceil(3 s). */
    BLUR("blur", 1.5, "Gaussian blur of standard deviation s pixels"),
    /** Every image rotated by the same angle about its centre (bilinear, black corners). */
    ROTATE("rotate", 45, "rotation by s degrees, counter-clockwise");

    private final String id;
    private final double defaultSeverity;
    private final String help;

    DomainShift(String id, double defaultSeverity, String help) {
        this.id = id;
        this.defaultSeverity = defaultSeverity;
        this.help = help;
    }

    public String id() {
        return id;
    }

    /** One line per shift, for help texts and errors. */
    public static String describeAll() {
        StringBuilder b = new StringBuilder();
        for (DomainShift s : values()) {
            b.append(String.format(Locale.ROOT, "  :%-9s %s%s%n", s.id, s.help,
                    Double.isNaN(s.defaultSeverity) ? ""
                            : " (default " + fmt(s.defaultSeverity) + ")"));
        }
        return b.toString();
    }

    /** A shift with its severity, as written after a dataset name. */
    public record Applied(DomainShift shift, double severity) {
        public Applied {
            if (shift == INVERT && !Double.isNaN(severity)) {
                throw new IllegalArgumentException(":invert takes no severity");
            }
            boolean ok = switch (shift) {
                case INVERT -> true;
                case CONTRAST -> severity > 0 && severity <= 1;
                case NOISE, BLUR -> severity > 0 && severity <= 10;
                case ROTATE -> Double.isFinite(severity) && Math.abs(severity) <= 360;
            };
            if (!ok) {
                throw new IllegalArgumentException(":" + shift.id + "=" + fmt(severity)
                        + " is out of range: " + shift.help);
            }
        }

        /** The name it is written with, e.g. {@code rotate=60}. */
        public String label() {
            return Double.isNaN(severity) ? shift.id : shift.id + "=" + fmt(severity);
        }

        /**
         * The shifted copy of {@code data}.
         *
         * @param split which split (train, test, ...) it is: seeds the noise
         */
        public ImageDataset apply(ImageDataset data, String split) {
            int n = data.size();
            int c = data.channels();
            int h = data.height();
            int w = data.width();
            int size = c * h * w;
            byte[] out = new byte[n * size];
            float[] plane = new float[h * w];
            SplittableRandom rng = new SplittableRandom(seed(label() + "/" + split));
            double[] kernel = shift == BLUR ? gaussian(severity) : null;
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < c; ch++) {
                    long base = (long) i * size + (long) ch * h * w;
                    for (int p = 0; p < plane.length; p++) {
                        plane[p] = data.pixel(base + p);
                    }
                    float[] r = switch (shift) {
                        case INVERT -> invert(plane);
                        case CONTRAST -> contrast(plane, severity);
                        case NOISE -> noise(plane, severity, rng);
                        case BLUR -> blur(plane, h, w, kernel);
                        case ROTATE -> rotate(plane, h, w, severity);
                    };
                    for (int p = 0; p < r.length; p++) {
                        out[(int) base + p] = (byte) Math.max(0, Math.min(255, Math.round(r[p])));
                    }
                }
            }
            return new ImageDataset(data.name() + ":" + label(), out, data.labels(), c, h, w,
                    data.classNames());
        }
    }

    /**
     * Splits {@code name} into a dataset and the shifts written after it: {@code
     * fashion-mnist:invert:noise=0.5}. A path that exists is a name as it is, colons and all;
     * otherwise a trailing {@code :word} must be a shift.
     *
     * @return the dataset part, then the shifts in the order written
     */
    public static Parsed parse(String name) {
        java.util.ArrayDeque<Applied> shifts = new java.util.ArrayDeque<>();
        if (java.nio.file.Files.exists(java.nio.file.Path.of(name))) {
            return new Parsed(name, java.util.List.of()); // a path that holds a colon
        }
        String rest = name;
        while (true) {
            int colon = rest.lastIndexOf(':');
            if (colon <= 0) {
                break;
            }
            String tail = rest.substring(colon + 1);
            String id = tail.contains("=") ? tail.substring(0, tail.indexOf('=')) : tail;
            DomainShift s = byId(id);
            if (s == null) {
                if (Character.isLetter(tail.isEmpty() ? ' ' : tail.charAt(0))
                        && !tail.contains("/") && !tail.contains("\\")) {
                    throw new IllegalArgumentException("unknown domain shift ':" + tail
                            + "' in --data " + name + "; shifts are:\n" + describeAll());
                }
                break;
            }
            double severity = s.defaultSeverity;
            if (tail.contains("=")) {
                String v = tail.substring(tail.indexOf('=') + 1);
                try {
                    severity = Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--data " + name + ": ':" + tail
                            + "' needs a number after '=', e.g. :" + s.id + "="
                            + fmt(Double.isNaN(s.defaultSeverity) ? 1 : s.defaultSeverity));
                }
            }
            shifts.addFirst(new Applied(s, severity));
            rest = rest.substring(0, colon);
        }
        return new Parsed(rest, java.util.List.copyOf(shifts));
    }

    /** A dataset name and the shifts written after it. */
    public record Parsed(String dataset, java.util.List<Applied> shifts) {}

    static DomainShift byId(String id) {
        return Arrays.stream(values()).filter(s -> s.id.equalsIgnoreCase(id)).findFirst()
                .orElse(null);
    }

    private static float[] invert(float[] p) {
        float[] o = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            o[i] = 255 - p[i];
        }
        return o;
    }

    private static float[] contrast(float[] p, double c) {
        double mean = 0;
        for (float v : p) {
            mean += v;
        }
        mean /= p.length;
        float[] o = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            o[i] = (float) (mean + c * (p[i] - mean));
        }
        return o;
    }

    private static float[] noise(float[] p, double s, SplittableRandom rng) {
        float[] o = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            o[i] = (float) (p[i] + 255 * s * gaussian(rng));
        }
        return o;
    }

    /** A standard normal draw (Box-Muller), from the seeded generator. */
    private static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }

    /** Normalized 1-D Gaussian weights over {@code [-r, r]}, {@code r = ceil(3 sigma)}. */
    static double[] gaussian(double sigma) {
        int r = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
            sum += k[i + r];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        return k;
    }

    /** Separable convolution with {@code k}, edges replicated. */
    private static float[] blur(float[] p, int h, int w, double[] k) {
        int r = k.length / 2;
        float[] tmp = new float[p.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int i = -r; i <= r; i++) {
                    s += k[i + r] * p[y * w + Math.max(0, Math.min(w - 1, x + i))];
                }
                tmp[y * w + x] = (float) s;
            }
        }
        float[] o = new float[p.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int i = -r; i <= r; i++) {
                    s += k[i + r] * tmp[Math.max(0, Math.min(h - 1, y + i)) * w + x];
                }
                o[y * w + x] = (float) s;
            }
        }
        return o;
    }

    /** Rotation by {@code degrees} about the image centre, bilinear, zero outside. */
    private static float[] rotate(float[] p, int h, int w, double degrees) {
        double a = Math.toRadians(degrees);
        double cos = Math.cos(a);
        double sin = Math.sin(a);
        double cy = (h - 1) / 2.0;
        double cx = (w - 1) / 2.0;
        float[] o = new float[p.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // the source of output (x, y): the inverse rotation (image y axis points down)
                double dx = x - cx;
                double dy = y - cy;
                double sx = cos * dx - sin * dy + cx;
                double sy = sin * dx + cos * dy + cy;
                o[y * w + x] = (float) bilinear(p, h, w, sy, sx);
            }
        }
        return o;
    }

    private static double bilinear(float[] p, int h, int w, double y, double x) {
        int x0 = (int) Math.floor(x);
        int y0 = (int) Math.floor(y);
        double fx = x - x0;
        double fy = y - y0;
        return (1 - fy) * ((1 - fx) * at(p, h, w, y0, x0) + fx * at(p, h, w, y0, x0 + 1))
                + fy * ((1 - fx) * at(p, h, w, y0 + 1, x0) + fx * at(p, h, w, y0 + 1, x0 + 1));
    }

    private static double at(float[] p, int h, int w, int y, int x) {
        return y < 0 || y >= h || x < 0 || x >= w ? 0 : p[y * w + x];
    }

    /**
     * The noise seed of a shift and split: SplitMix64 over the name's bytes from root 0x5eed,
     * the values {@code train.Seeds.derive} gives (data sits below train, so it cannot call it).
     */
    static long seed(String purpose) {
        long h = 0x5eed;
        for (byte b : purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = mix(h + b);
        }
        return mix(h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
