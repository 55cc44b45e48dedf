package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The two leaf layers a text encoder needs that DJL does not offer with PyTorch's parameter
 * names and shapes: {@code nn.Embedding} and {@code nn.LayerNorm} over the last axis.
 */
final class TextLayers {

    private TextLayers() {}

    /** {@code nn.Embedding(rows, dim)}: input int64 ids of any shape, output {@code [..., dim]}. */
    static final class Embedding extends AbstractBlock {
        private final Parameter weight;
        private final int rows;
        private final int dim;

        Embedding(int rows, int dim) {
            this.rows = rows;
            this.dim = dim;
            weight = addParameter(Parameter.builder().setName("weight")
                    .setType(Parameter.Type.WEIGHT).optShape(new Shape(rows, dim)).build());
        }

        int rows() {
            return rows;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray ids = inputs.head();
            NDArray w = ps.getValue(weight, ids.getDevice(), training);
            return ids.getNDArrayInternal().embedding(ids, w, SparseFormat.DENSE);
        }

        /** The rows at {@code ids}, {@code [..., dim]}. */
        NDArray lookup(ParameterStore ps, NDArray ids, boolean training) {
            return forward(ps, new NDList(ids), training).head();
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {inputShapes[0].add(dim)};
        }
    }

    /** {@code nn.LayerNorm(dim, eps)}: normalizes the last axis, then scales and shifts it. */
    static final class LayerNorm extends AbstractBlock {
        private final Parameter weight;
        private final Parameter bias;
        private final int dim;
        private final float eps;

        LayerNorm(int dim, double eps) {
            this.dim = dim;
            this.eps = (float) eps;
            weight = addParameter(Parameter.builder().setName("weight")
                    .setType(Parameter.Type.GAMMA).optShape(new Shape(dim)).build());
            bias = addParameter(Parameter.builder().setName("bias")
                    .setType(Parameter.Type.BETA).optShape(new Shape(dim)).build());
        }

        float epsilon() {
            return eps;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray x = inputs.head();
            NDArray w = ps.getValue(weight, x.getDevice(), training);
            NDArray b = ps.getValue(bias, x.getDevice(), training);
            return x.getNDArrayInternal().layerNorm(x, new Shape(dim), w, b, eps);
        }

        NDArray apply(ParameterStore ps, NDArray x, boolean training) {
            return forward(ps, new NDList(x), training).head();
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {inputShapes[0]};
        }
    }
}
