package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import java.util.function.Function;

/** The DJL leaf layers graft builds architectures from, configured as PyTorch's defaults. */
final class Layers {

    private Layers() {}

    /** {@code nn.Conv2d(in, filters, kernel, stride, padding, bias=False)}. */
    static Block conv(int filters, int kernel, int stride, int padding) {
        return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride)).optPadding(new Shape(padding, padding))
                .optBias(false).build();
    }

    /** {@code nn.Conv2d(in, filters, kernel, stride, padding, groups=groups, bias=bias)}. */
    static Block conv(int filters, int kernel, int stride, int padding, int groups,
            boolean bias) {
        return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride)).optPadding(new Shape(padding, padding))
                .optGroups(groups).optBias(bias).build();
    }

    /** {@code nn.Conv2d(in, filters, (kh, kw), stride, (ph, pw), bias=False)}. */
    static Block conv(int filters, int kh, int kw, int stride, int ph, int pw) {
        return Conv2d.builder().setFilters(filters).setKernelShape(new Shape(kh, kw))
                .optStride(new Shape(stride, stride)).optPadding(new Shape(ph, pw))
                .optBias(false).build();
    }

    /** {@code nn.BatchNorm2d(eps=epsilon, momentum=0.1)}. */
    static Block batchNorm(float epsilon) {
        return BatchNorm.builder().optEpsilon(epsilon).optMomentum(0.9f).build();
    }

    /** {@code F.avg_pool2d(x, kernel, stride, padding)}, padding counted in the average. */
    static Block avgPool(int kernel, int stride, int padding) {
        return new Known(new Layer.AvgPool(kernel, stride, padding), x -> Pool.avgPool2d(x,
                new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false, true));
    }

    /**
     * {@code nn.BatchNorm2d(eps=1e-5, momentum=0.1)}. DJL states momentum the MXNet way, as the
     * share of the old statistic kept, so PyTorch's 0.1 is DJL's 0.9.
     */
    static Block batchNorm() {
        return batchNorm(Layer.BATCH_NORM_EPSILON);
    }

    /** {@code nn.Linear(in, units)}; the input size is inferred at initialization. */
    static Block linear(int units) {
        return linear(units, true);
    }

    /** {@code nn.Linear(in, units, bias)}. */
    static Block linear(int units, boolean bias) {
        return Linear.builder().setUnits(units).optBias(bias).build();
    }

    static Block relu() {
        return new Known(new Layer.Relu(), Activation::relu);
    }

    static Block silu() {
        return new Known(new Layer.Silu(), Layers::silu);
    }

    static Block sigmoid() {
        return new Known(new Layer.Sigmoid(), Activation::sigmoid);
    }

    /** {@code x sigmoid(x)}. */
    static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** {@code nn.AdaptiveAvgPool2d((height, width))}. */
    static Block adaptiveAvgPool(int height, int width) {
        return new Known(new Layer.AdaptiveAvgPool(height, width),
                x -> adaptiveAvgPool(x, height, width));
    }

    /**
     * PyTorch's adaptive average pooling of {@code x [b, c, h, w]} to {@code [b, c, height,
     * width]}: a plain average pool where the sizes divide, else {@code P_h x P_w^T} with
     * {@code P[i, r] = 1 / (end_i - start_i)} for {@code start_i = floor(i h / height) <= r <
     * end_i = ceil((i + 1) h / height)}, which also enlarges a map smaller than the output.
     */
    static NDArray adaptiveAvgPool(NDArray x, int height, int width) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (h == height && w == width) {
            return x;
        }
        if (h % height == 0 && w % width == 0) {
            Shape k = new Shape(h / height, w / width);
            return Pool.avgPool2d(x, k, k, new Shape(0, 0), false, true);
        }
        NDArray rows = poolingMatrix(x, (int) w, width); // [w, width]
        NDArray cols = poolingMatrix(x, (int) h, height); // [h, height]
        NDArray y = x.matMul(rows); // [b, c, h, width]
        return y.transpose(0, 1, 3, 2).matMul(cols).transpose(0, 1, 3, 2);
    }

    /** {@code [in, out]}: column {@code i} averages the inputs adaptive pooling gives cell i. */
    private static NDArray poolingMatrix(NDArray like, int in, int out) {
        float[] m = new float[in * out];
        for (int i = 0; i < out; i++) {
            int start = (int) Math.floor((double) i * in / out);
            int end = (int) Math.ceil((double) (i + 1) * in / out);
            for (int r = start; r < end; r++) {
                m[r * out + i] = 1f / (end - start);
            }
        }
        return like.getManager().create(m, new Shape(in, out)).toType(like.getDataType(), false);
    }

    static Block maxPool(int kernel, int stride, int padding) {
        return new Known(new Layer.MaxPool(kernel, stride, padding), x -> Pool.maxPool2d(x,
                new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false));
    }

    /** {@code nn.AdaptiveAvgPool2d(1)} followed by flatten: {@code [b, c, h, w] -> [b, c]}. */
    static Block globalAvgPool() {
        return new Known(new Layer.GlobalAveragePool(), Pool::globalAvgPool2d);
    }

    static Block flatten() {
        return new Known(new Layer.Flatten(), x -> x.reshape(x.getShape().get(0), -1));
    }

    /**
     * A parameter-free block that says which {@link Layer} it computes (DJL's own are anonymous
     * lambdas), so a network can describe itself for export.
     */
    static final class Known extends LambdaBlock {
        final Layer layer;

        Known(Layer layer, Function<NDArray, NDArray> f) {
            super(in -> new NDList(f.apply(in.singletonOrThrow())),
                    layer.getClass().getSimpleName());
            this.layer = layer;
        }
    }

    static Block dropout(float rate) {
        return Dropout.builder().optRate(rate).build();
    }
}
