package dev.graft.model;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A container block whose children carry PyTorch module names ({@code conv1}, {@code 0},
 * {@code downsample}), so parameter paths read like a {@code state_dict}:
 * {@code layer1.0.bn1.running_mean}.
 */
public abstract class TorchModule extends AbstractBlock {

    /** DJL's leaf parameter names and their PyTorch equivalents. */
    private static final Map<String, String> TORCH_NAMES = Map.of(
            "weight", "weight", "bias", "bias", "gamma", "weight", "beta", "bias",
            "runningMean", "running_mean", "runningVar", "running_var");

    private final LinkedHashMap<String, Block> modules = new LinkedHashMap<>();

    /** Registers a child under its PyTorch name. */
    protected <B extends Block> B register(String torchName, B block) {
        if (modules.containsKey(torchName)) {
            throw new IllegalArgumentException("duplicate module name " + torchName);
        }
        modules.put(torchName, block);
        addChildBlock(torchName, block);
        return block;
    }

    /** What this module computes at inference, its parameters under {@code path}. */
    abstract java.util.List<Layer> layers(String path);

    /** Multiply-adds of one forward pass of an input shaped {@code input} ({@code [1, ...]}). */
    abstract long multiplyAdds(ai.djl.ndarray.types.Shape input);

    /** Initializes {@code blocks} one after another, each on the shapes the last gives. */
    static void initializeChain(Iterable<? extends Block> blocks, ai.djl.ndarray.NDManager manager,
            ai.djl.ndarray.types.DataType dataType, ai.djl.ndarray.types.Shape... shapes) {
        ai.djl.ndarray.types.Shape[] s = shapes;
        for (Block b : blocks) {
            b.initialize(manager, dataType, s);
            s = b.getOutputShapes(s);
        }
    }

    /** The output shapes of {@code blocks} applied one after another. */
    static ai.djl.ndarray.types.Shape[] chainShapes(Iterable<? extends Block> blocks,
            ai.djl.ndarray.types.Shape[] inputShapes) {
        ai.djl.ndarray.types.Shape[] s = inputShapes;
        for (Block b : blocks) {
            s = b.getOutputShapes(s);
        }
        return s;
    }

    /** The multiply-adds of {@code blocks} applied one after another. */
    static long chainMultiplyAdds(Iterable<? extends Block> blocks,
            ai.djl.ndarray.types.Shape input) {
        long n = 0;
        ai.djl.ndarray.types.Shape[] s = {input};
        for (Block b : blocks) {
            n += MultiplyAdds.of(b, s[0]);
            s = b.getOutputShapes(s);
        }
        return n;
    }

    /** Children by PyTorch name, in order. */
    public Map<String, Block> modules() {
        return Collections.unmodifiableMap(modules);
    }

    /**
     * Adds every parameter below {@code block} to {@code out} under its PyTorch path.
     *
     * @param prefix the path of {@code block} itself ("" for the root)
     */
    public static void collectParameters(String prefix, Block block,
            Map<String, Parameter> out) {
        if (block instanceof TorchModule module) {
            for (Map.Entry<String, Block> e : module.modules.entrySet()) {
                collectParameters(join(prefix, e.getKey()), e.getValue(), out);
            }
            return;
        }
        for (Parameter p : block.getParameters().values()) {
            // leaf DJL blocks: direct parameters only (no nested children in Conv/Linear/BN)
            String torch = TORCH_NAMES.get(p.getName());
            if (torch == null) {
                throw new IllegalStateException("no PyTorch name for parameter " + p.getName()
                        + " of " + block.getClass().getSimpleName());
            }
            out.put(join(prefix, torch), p);
        }
    }

    static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }
}
