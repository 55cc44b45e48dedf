package dev.graft.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;

/**
 * The distillation terms, each a differentiable scalar of a batch of student outputs (first
 * argument) and the teacher's (second; a constant, no gradient needed). All are batch means.
 */
public final class DistillLosses {

    private DistillLosses() {}

    /**
     * Hinton et al. 2015: {@code T^2 * mean_i KL(softmax(t_i / T) || softmax(s_i / T))}. The
     * {@code T^2} keeps the gradient's size independent of the temperature.
     *
     * @param student logits {@code [b, k]}
     * @param teacher logits {@code [b, k]}
     */
    public static NDArray response(NDArray student, NDArray teacher, double temperature) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("--temperature must be > 0, got " + temperature);
        }
        requireSameShape(student, teacher, "logits");
        float t = (float) temperature;
        NDArray logPt = teacher.div(t).logSoftmax(1);
        NDArray logPs = student.div(t).logSoftmax(1);
        NDArray kl = logPt.exp().mul(logPt.sub(logPs)).sum(new int[] {1});
        return kl.mean().mul(t * t);
    }

    /** FitNets' hint: mean squared difference of the adapted student features and the teacher's. */
    public static NDArray hint(NDArray adaptedStudent, NDArray teacher) {
        requireSameShape(adaptedStudent, teacher, "hint features");
        return adaptedStudent.sub(teacher).square().mean();
    }

    /**
     * Attention transfer (Zagoruyko and Komodakis 2017): each map {@code [b, c, h, w]} becomes
     * its spatial attention {@code mean_c(a^2)}, flattened and L2-normalized per example; the
     * loss is the mean squared difference of the two attentions (channel counts may differ,
     * the spatial sizes must agree).
     */
    public static NDArray attention(NDArray student, NDArray teacher) {
        NDArray as = attentionMap(student);
        NDArray at = attentionMap(teacher);
        requireSameShape(as, at, "attention maps (spatial sizes)");
        return as.sub(at).square().mean();
    }

    static NDArray attentionMap(NDArray a) {
        if (a.getShape().dimension() != 4) {
            throw new IllegalArgumentException("attention transfer needs feature maps [b, c, h,"
                    + " w], got " + a.getShape());
        }
        NDArray q = a.square().mean(new int[] {1}).reshape(a.getShape().get(0), -1);
        return q.div(q.norm(new int[] {1}, true).maximum(1e-12f));
    }

    /**
     * RKD distance-wise loss (Park et al. 2019): pairwise Euclidean distances within the batch,
     * each set divided by its mean over distinct pairs, compared with the Huber (smooth L1)
     * loss over all pairs. Embeddings {@code [b, d]} (maps are flattened); the dimensions of
     * student and teacher may differ.
     */
    public static NDArray rkdDistance(NDArray student, NDArray teacher) {
        return huber(normalizedDistances(flat(student)), normalizedDistances(flat(teacher)));
    }

    /**
     * RKD angle-wise loss: for every triplet (i, j, k), the cosine of the angle at j between
     * {@code e_i - e_j} and {@code e_k - e_j}, compared with the Huber loss over all triplets.
     */
    public static NDArray rkdAngle(NDArray student, NDArray teacher) {
        return huber(angles(flat(student)), angles(flat(teacher)));
    }

    static NDArray normalizedDistances(NDArray e) {
        long n = e.getShape().get(0);
        if (n < 2) {
            throw new IllegalArgumentException("relation losses need at least 2 examples per"
                    + " batch, got " + n);
        }
        NDArray sq = e.square().sum(new int[] {1});
        NDArray d = sq.expandDims(1).add(sq.expandDims(0)).sub(e.matMul(e.transpose()).mul(2f))
                .clip(1e-12f, Float.MAX_VALUE).sqrt();
        NDArray offDiagonal = e.getManager().eye((int) n).neg().add(1);
        d = d.mul(offDiagonal);
        NDArray mean = d.sum().div((float) (n * (n - 1)));
        return d.div(mean);
    }

    /**
     * Squared distance, relative to {@code |e_i|^2 + |e_j|^2}, below which two embeddings count
     * as one point in {@link #angles}: (1% apart)^2.
     */
    static final float COINCIDENT = 1e-4f;

    /**
     * {@code [n * n * n]}: at {@code [i, j, k]} the cosine between {@code e_j - e_i} and
     * {@code e_k - e_i} (0 when either is a zero vector, as {@code F.normalize} gives). Computed
     * from the Gram matrix G: {@code (e_j - e_i) . (e_k - e_i) = G_jk - G_ij - G_ik + G_ii}, so
     * the cost is {@code n^2 d + n^3}, not the {@code n^3 d} of the pairwise-difference form.
     * Pairs closer than 1% of their norms count as coincident: the Gram form's squared distance
     * carries float32 rounding of about 1e-6 of the squared norms (more on some runs than others,
     * as the engine's matrix products round differently), so a closer pair's "cosines" would be
     * noise — beyond +-1, with gradients to match. (At 5e-7 of the squared norms, the threshold
     * before, near-duplicate images gave cosines of 1.15 and random non-finite gradients.)
     */
    static NDArray angles(NDArray e) {
        long n = e.getShape().get(0);
        NDArray g = e.matMul(e.transpose()); // [n, n]
        NDArray sq = e.square().sum(new int[] {1}); // [n] = diag(G)
        NDArray dot = g.expandDims(0).sub(g.expandDims(2)).sub(g.expandDims(1))
                .add(sq.reshape(n, 1, 1));
        NDArray scale = sq.expandDims(1).add(sq.expandDims(0)); // |e_i|^2 + |e_j|^2
        NDArray dist2 = scale.sub(g.mul(2f));
        NDArray distinct = dist2.gt(scale.mul(COINCIDENT)).toType(e.getDataType(), false);
        NDArray inv = distinct.div(dist2.clip(1e-12f, Float.MAX_VALUE).sqrt()); // [i, j]
        return dot.mul(inv.expandDims(2)).mul(inv.expandDims(1)).reshape(-1);
    }

    /** Mean smooth-L1 (Huber, beta 1) of {@code a - b}. */
    static NDArray huber(NDArray a, NDArray b) {
        NDArray abs = a.sub(b).abs();
        NDArray small = abs.minimum(1f);
        return small.square().mul(0.5f).add(abs.sub(small)).mean();
    }

    /**
     * {@code a} average-pooled by an integer factor to {@code h x w}, or as is when it already
     * has that size.
     */
    public static NDArray poolTo(NDArray a, long h, long w) {
        long ah = a.getShape().get(2);
        long aw = a.getShape().get(3);
        if (ah == h && aw == w) {
            return a;
        }
        if (ah % h != 0 || aw % w != 0 || ah / h != aw / w) {
            throw new IllegalArgumentException("cannot pool a " + ah + "x" + aw + " map to " + h
                    + "x" + w + ": the sizes must divide by one whole factor");
        }
        Shape k = new Shape(ah / h, aw / w);
        return Pool.avgPool2d(a, k, k, new Shape(0, 0), false, true);
    }

    private static NDArray flat(NDArray a) {
        return a.getShape().dimension() == 2 ? a : a.reshape(a.getShape().get(0), -1);
    }

    private static void requireSameShape(NDArray s, NDArray t, String what) {
        if (!s.getShape().equals(t.getShape())) {
            throw new IllegalArgumentException("student and teacher " + what + " differ in shape: "
                    + s.getShape() + " vs " + t.getShape());
        }
    }
}
