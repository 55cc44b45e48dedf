package dev.graft.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Light augmentation applied to a whole batch at once: random crop after zero padding (each
 * image shifted by its own offset) and random horizontal flip.
 *
 * @param cropPadding pixels of padding on each side before the random crop; 0 disables
 * @param horizontalFlip flip each image left-right with probability 1/2
 */
public record Augmentation(int cropPadding, boolean horizontalFlip) {

    /** No augmentation. */
    public static final Augmentation NONE = new Augmentation(0, false);

    public Augmentation {
        if (cropPadding < 0) {
            throw new IllegalArgumentException("crop padding must be >= 0, got " + cropPadding);
        }
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isNone() {
        return cropPadding == 0 && !horizontalFlip;
    }

    /**
     * @param x {@code [batch, channels, height, width]}
     * @return augmented images, same shape, owned by {@code m}
     */
    public NDArray apply(NDArray x, SplittableRandom rng, NDManager m) {
        if (isNone()) {
            return x;
        }
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        NDArray out = x;
        if (cropPadding > 0) {
            int p = cropPadding;
            NDArray padded = out.pad(new Shape(p, p, p, p), 0);
            long[] dy = new long[(int) b];
            long[] dx = new long[(int) b];
            for (int i = 0; i < b; i++) {
                dy[i] = rng.nextInt(2 * p + 1);
                dx[i] = rng.nextInt(2 * p + 1);
            }
            // rows: out[b, c, i, j] = padded[b, c, i + dy[b], j]
            NDArray rows = m.arange(h).reshape(1, 1, h, 1)
                    .add(m.create(dy).reshape(b, 1, 1, 1))
                    .broadcast(new Shape(b, c, h, w + 2L * p));
            NDArray cropped = padded.gather(rows, 2);
            NDArray cols = m.arange(w).reshape(1, 1, 1, w)
                    .add(m.create(dx).reshape(b, 1, 1, 1))
                    .broadcast(new Shape(b, c, h, w));
            out = cropped.gather(cols, 3);
        }
        if (horizontalFlip) {
            boolean[] flip = new boolean[(int) b];
            for (int i = 0; i < b; i++) {
                flip[i] = rng.nextBoolean();
            }
            NDArray mask = m.create(flip).reshape(b, 1, 1, 1).broadcast(s);
            out = NDArrays.where(mask, out.flip(3), out);
        }
        return out;
    }
}
