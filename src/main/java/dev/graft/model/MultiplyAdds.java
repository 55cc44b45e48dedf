package dev.graft.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;

/**
 * Counts the multiply-adds of one forward pass per example: convolutions ({@code out_channels x
 * out_h x out_w x in_channels x k_h x k_w}) and linear layers ({@code in x out}). BatchNorm,
 * activations and pooling are left out: they are a few percent of a convolution's cost and
 * structured pruning shrinks them in proportion anyway. Reads only the layers' settings and
 * shapes, so it works on a network that is not initialized.
 */
final class MultiplyAdds {

    private MultiplyAdds() {}

    /**
     * @param input {@code [1, ...]}: the shape {@code block} is fed, batch 1
     */
    static long of(Block block, Shape input) {
        if (block instanceof TorchModule module) {
            return module.multiplyAdds(input);
        }
        if (block instanceof Convolution conv) {
            Shape out = conv.getOutputShapes(new Shape[] {input})[0];
            return out.size() * (input.get(1) / conv.getGroups()) * conv.getKernelShape().size();
        }
        if (block instanceof Linear) {
            Shape out = block.getOutputShapes(new Shape[] {input})[0];
            return input.get(input.dimension() - 1) * out.get(out.dimension() - 1);
        }
        return 0;
    }
}
