package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one view of a model every capability shares: named stages followed by a head.
 *
 * <p>Input: the {@code NDList} a dataset's batch holds, {@code [batch, channels, height, width]}
 * for images, token ids and mask {@code [batch, tokens]} for text ({@link Architecture#isText});
 * output logits {@code [batch, classes]}. Stages hand each other an {@code NDList} whose head is
 * the activation (a text stage passes the mask along behind it).
 * Each stage runs with its own training flag: a frozen stage runs in inference mode (BatchNorm
 * statistics fixed, dropout off) while the stages above it train. Parameters are addressed by
 * PyTorch-style names ({@code stage1.0.conv.weight}, {@code layer2.0.downsample.1.running_var},
 * {@code fc.bias}).
 */
public final class StagedNet extends AbstractBlock {

    /**
     * One stage.
     *
     * @param name the stage's name, used by freezing, features and per-stage learning rates
     * @param prefix the PyTorch path of the block's parameters ("" when they sit at the top level,
     *     as torchvision's {@code conv1} does)
     */
    public record Stage(String name, String prefix, Block block) {}

    /** The name that addresses the head in stage-wise settings. */
    public static final String HEAD = "head";

    private final Architecture architecture;
    private final ModelOptions options;
    private final int[] inputShape;
    private final int numClasses;
    private final List<Stage> stages;
    private final Stage head;
    private final Set<String> frozen = new HashSet<>();

    StagedNet(Architecture architecture, ModelOptions options, int[] inputShape, int numClasses,
            List<Stage> stages, Stage head) {
        this.architecture = architecture;
        this.options = options;
        this.inputShape = inputShape.clone();
        this.numClasses = numClasses;
        this.stages = List.copyOf(stages);
        this.head = head;
        for (Stage s : stages) {
            addChildBlock(s.name, s.block);
        }
        addChildBlock(HEAD, head.block);
    }

    public Architecture architecture() {
        return architecture;
    }

    public ModelOptions options() {
        return options;
    }

    /** {@code [channels, height, width]}, or {@code [tokens]} for a text encoder. */
    public int[] inputShape() {
        return inputShape.clone();
    }

    public int numClasses() {
        return numClasses;
    }

    /** Stage names, bottom to top, without the head. */
    public List<String> stageNames() {
        List<String> names = new ArrayList<>();
        stages.forEach(s -> names.add(s.name));
        return names;
    }

    /** Stages, bottom to top, without the head. */
    public List<Stage> stages() {
        return stages;
    }

    public Stage head() {
        return head;
    }

    /** Stage names followed by {@link #HEAD}. */
    public List<String> groupNames() {
        List<String> names = stageNames();
        names.add(HEAD);
        return names;
    }

    /** Sets whether a stage (or {@link #HEAD}) is frozen: run in inference mode, not trained. */
    public void setFrozen(String stage, boolean isFrozen) {
        requireGroup(stage);
        if (isFrozen) {
            frozen.add(stage);
        } else {
            frozen.remove(stage);
        }
    }

    public boolean isFrozen(String stage) {
        requireGroup(stage);
        return frozen.contains(stage);
    }

    /**
     * A new network of the same architecture, options, input shape and classes, in
     * {@code manager}, with initial values from seed 0: a vessel for weights restored into it.
     */
    public StagedNet newLike(NDManager manager) {
        return architecture.build(inputShape, numClasses, options).initialize(manager, 0);
    }

    /** Initializes shapes, then draws PyTorch's default initial values from {@code seed}. */
    public StagedNet initialize(NDManager manager, long seed) {
        initialize(manager, DataType.FLOAT32, batchInputShapes(1));
        TorchInit.apply(this, seed);
        return this;
    }

    /** {@code [batch, channels, height, width]}; for image networks. */
    public Shape batchInputShape(long batch) {
        if (architecture.isText()) {
            throw new IllegalStateException(architecture.id() + " reads token ids and a mask,"
                    + " not one image tensor");
        }
        return new Shape(batch, inputShape[0], inputShape[1], inputShape[2]);
    }

    /** The shapes of a batch's inputs (see {@link Architecture#batchInputShapes}). */
    public Shape[] batchInputShapes(long batch) {
        return architecture.batchInputShapes(inputShape, batch);
    }

    /**
     * Same stages (shared, not copied), fresh head for {@code classes} outputs, initialized from
     * {@code seed}. Frozen flags carry over.
     */
    public StagedNet withHead(int classes, NDManager manager, long seed) {
        Shape features = trunkOutputShape();
        Stage newHead = architecture.head(classes, options);
        StagedNet net = new StagedNet(architecture, options, inputShape, classes, stages, newHead);
        net.frozen.addAll(frozen);
        newHead.block().initialize(manager, DataType.FLOAT32, features);
        Map<String, Parameter> headParams = new LinkedHashMap<>();
        TorchModule.collectParameters(newHead.prefix(), newHead.block(), headParams);
        TorchInit.apply(headParams, architecture.init(), seed);
        return net;
    }

    /**
     * This network's stages (shared) under {@code other}'s head (shared): e.g. a fine-tuned
     * trunk read through the source task's original head, to measure forgetting.
     */
    public StagedNet withHeadOf(StagedNet other) {
        return branch(stages.size() - 1, other);
    }

    /**
     * This network's stages up to and including {@code stage} (shared), then {@code other}'s
     * stages above it and its head (shared): the network of a task whose head sits on {@code
     * stage} of a shared trunk. The top stage gives {@link #withHeadOf}.
     */
    public StagedNet withBranchOf(String stage, StagedNet other) {
        return branch(stageIndex(stage), other);
    }

    private StagedNet branch(int at, StagedNet other) {
        if (other.architecture != architecture || !java.util.Arrays.equals(other.inputShape,
                inputShape) || !other.options.equals(options)) {
            throw new IllegalArgumentException("heads move only between networks of one"
                    + " architecture and input shape: " + architecture.id() + " vs "
                    + other.architecture.id());
        }
        List<Stage> joined = new ArrayList<>(stages.subList(0, at + 1));
        joined.addAll(other.stages.subList(at + 1, stages.size()));
        StagedNet net = new StagedNet(architecture, options, inputShape, other.numClasses, joined,
                other.head);
        net.frozen.addAll(frozen);
        return net;
    }

    /**
     * The parameters of the stages above {@code stage} and of the head, by PyTorch name: what a
     * task whose head sits on {@code stage} has of its own.
     */
    public Map<String, Parameter> parametersAbove(String stage) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Stage s : stages.subList(stageIndex(stage) + 1, stages.size())) {
            TorchModule.collectParameters(s.prefix, s.block, out);
        }
        TorchModule.collectParameters(head.prefix, head.block, out);
        return out;
    }

    /**
     * The logits from the output of stage {@code stage}: the stages above it, then the head,
     * each in training mode unless frozen.
     */
    public NDArray forwardAbove(ParameterStore ps, NDList stageOutput, String stage,
            boolean training) {
        NDList y = stageOutput;
        for (Stage s : stages.subList(stageIndex(stage) + 1, stages.size())) {
            y = run(s, ps, y, training && !frozen.contains(s.name), null);
        }
        return run(head, ps, y, training && !frozen.contains(HEAD), null).head();
    }

    private int stageIndex(String stage) {
        int at = stageNames().indexOf(stage);
        if (at < 0) {
            throw new IllegalArgumentException("no stage '" + stage + "' in " + architecture.id()
                    + "; stages are " + stageNames());
        }
        return at;
    }

    /**
     * Sets a head that is pooling plus one linear layer (every architecture's) to the map
     * {@code logits = weight x + bias}, {@code x} being the top stage's average-pooled output.
     *
     * @param weight row-major {@code [classes, features]}
     * @param bias {@code [classes]}
     */
    public void setLinearHead(float[] weight, float[] bias) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        TorchModule.collectParameters(head.prefix(), head.block(), params);
        Parameter w = null;
        Parameter b = null;
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            if (e.getKey().endsWith("weight") && w == null) {
                w = e.getValue();
            } else if (e.getKey().endsWith("bias") && b == null) {
                b = e.getValue();
            } else {
                throw new IllegalStateException("the head of " + architecture.id()
                        + " is not a single linear layer: it has " + params.keySet());
            }
        }
        if (w == null || b == null || w.getArray().size() != weight.length
                || b.getArray().size() != bias.length) {
            throw new IllegalArgumentException("a linear head of " + numClasses + " classes on "
                    + (w == null ? "?" : w.getArray().getShape()) + " needs weight and bias of"
                    + " matching sizes, got " + weight.length + " and " + bias.length);
        }
        w.getArray().set(weight);
        b.getArray().set(bias);
    }

    /** The head's auxiliary classifier, or null when it has none. */
    public AuxiliaryHead auxiliaryHead() {
        return head.block instanceof AuxiliaryHead a && a.stage() != null ? a : null;
    }

    /** Shape of the last stage's output for one example batch. */
    public Shape trunkOutputShape() {
        Shape[] s = batchInputShapes(1);
        for (Stage st : stages) {
            s = st.block.getOutputShapes(s);
        }
        return s[0];
    }

    /**
     * Shape of every stage's output (the first array it hands on) for one example batch, by
     * stage name, bottom to top; inferred, nothing is computed. A text stage's token count is
     * the input shape's, which a real batch replaces by its longest text's.
     */
    public Map<String, Shape> stageOutputShapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        Shape[] s = batchInputShapes(1);
        for (Stage st : stages) {
            s = st.block.getOutputShapes(s);
            out.put(st.name, s[0]);
        }
        return out;
    }

    /** All parameters and buffers by PyTorch name, in module order. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Stage s : stages) {
            TorchModule.collectParameters(s.prefix, s.block, out);
        }
        TorchModule.collectParameters(head.prefix, head.block, out);
        return Collections.unmodifiableMap(out);
    }

    /** The parameters of one stage (or {@link #HEAD}) by PyTorch name. */
    public Map<String, Parameter> parameters(String stage) {
        Stage s = stage(stage);
        Map<String, Parameter> out = new LinkedHashMap<>();
        TorchModule.collectParameters(s.prefix, s.block, out);
        return out;
    }

    /** The stage (or head) called {@code name}. */
    public Stage stage(String name) {
        if (HEAD.equals(name)) {
            return head;
        }
        for (Stage s : stages) {
            if (s.name.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no stage '" + name + "' in " + architecture.id()
                + "; stages are " + groupNames());
    }

    private void requireGroup(String name) {
        stage(name);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList x = inputs;
        for (Stage s : stages) {
            x = run(s, ps, x, training && !frozen.contains(s.name), params);
        }
        return run(head, ps, x, training && !frozen.contains(HEAD), params);
    }

    /**
     * One stage. Where nothing will be differentiated (inference mode, or a frozen stage whose
     * input needs no gradient), its intermediate arrays live in a manager of their own, closed
     * as soon as the output is handed back: DJL otherwise keeps every intermediate of the whole
     * network until the caller's manager closes, which for an ImageNet model at batch 16 is
     * gigabytes.
     */
    private static NDList run(Stage s, ParameterStore ps, NDList x, boolean training,
            PairList<String, Object> params) {
        NDArray in = x.head();
        if (training || in.hasGradient()) {
            return s.block.forward(ps, x, training, params);
        }
        NDManager owner = in.getManager();
        try (NDManager scratch = owner.newSubManager()) {
            for (NDArray a : x) {
                a.tempAttach(scratch);
            }
            NDList out = s.block.forward(ps, x, false, params);
            for (NDArray a : out) {
                // an input handed on (a text stage's mask) returns to its owner with the rest
                if (x.stream().noneMatch(input -> input == a)) {
                    a.attach(owner);
                }
            }
            return out;
        }
    }

    /**
     * The logits, each stage running in training mode unless frozen (as {@link #forward} does),
     * keeping the raw output of every stage that {@code capture} has a key for.
     *
     * @param capture stage names mapped to anything; on return, to those stages' outputs
     */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training,
            Map<String, NDArray> capture) {
        return forward(ps, new NDList(x), training, capture);
    }

    /** As {@link #forward(ParameterStore, NDArray, boolean, Map)}, for a batch's inputs. */
    public NDArray forward(ParameterStore ps, NDList x, boolean training,
            Map<String, NDArray> capture) {
        for (String name : capture.keySet()) {
            if (!stageNames().contains(name)) {
                throw new IllegalArgumentException("no stage '" + name + "' in "
                        + architecture.id() + "; stages are " + stageNames());
            }
        }
        NDList y = x;
        for (Stage s : stages) {
            y = run(s, ps, y, training && !frozen.contains(s.name), null);
            if (capture.containsKey(s.name)) {
                capture.put(s.name, y.head());
            }
        }
        return run(head, ps, y, training && !frozen.contains(HEAD), null).head();
    }

    /**
     * Activations after stage {@code name}, in inference mode.
     *
     * @param x {@code [batch, c, h, w]}
     */
    public NDArray features(ParameterStore ps, NDArray x, String name, Pooling pooling) {
        return features(ps, new NDList(x), name, pooling);
    }

    /** Activations after stage {@code name}, in inference mode, for a batch's inputs. */
    public NDArray features(ParameterStore ps, NDList x, String name, Pooling pooling) {
        int last = stageNames().indexOf(name);
        if (last < 0) {
            throw new IllegalArgumentException("no stage '" + name + "' in " + architecture.id()
                    + "; stages are " + stageNames());
        }
        NDList y = x;
        for (int i = 0; i <= last; i++) {
            y = run(stages.get(i), ps, y, false, null);
        }
        return pool(y, pooling);
    }

    /** Activations after every stage (inference mode), bottom to top, then the logits. */
    public List<NDArray> forwardAll(ParameterStore ps, NDArray x, Pooling pooling) {
        return forwardAll(ps, new NDList(x), pooling);
    }

    /** As {@link #forwardAll(ParameterStore, NDArray, Pooling)}, for a batch's inputs. */
    public List<NDArray> forwardAll(ParameterStore ps, NDList x, Pooling pooling) {
        List<NDArray> out = new ArrayList<>();
        NDList y = x;
        for (Stage s : stages) {
            y = run(s, ps, y, false, null);
            out.add(pool(y, pooling));
        }
        out.add(run(head, ps, y, false, null).head());
        return out;
    }

    /**
     * A stage's output as vectors. A text stage's tokens {@code [batch, tokens, hidden]} average
     * over its mask (the {@code NDList}'s second array); {@link Pooling#FLATTEN} does not apply
     * to them, as their length changes from batch to batch.
     */
    private NDArray pool(NDList stageOutput, Pooling pooling) {
        NDArray a = stageOutput.head();
        if (architecture.isText() && a.getShape().dimension() == 3 && pooling != Pooling.NONE) {
            if (pooling == Pooling.FLATTEN) {
                throw new IllegalArgumentException("a text encoder's tokens vary in number from"
                        + " batch to batch: pool them with avg, not flatten");
            }
            return Pooling.maskedMean(a, stageOutput.get(1));
        }
        if (a.getShape().dimension() <= 2 || pooling == Pooling.NONE) {
            return a;
        }
        return switch (pooling) {
            case AVERAGE -> a.reshape(a.getShape().get(0), a.getShape().get(1), -1).mean(new int[] {2});
            case FLATTEN -> a.reshape(a.getShape().get(0), -1);
            case NONE -> a;
        };
    }

    /**
     * Every parameter has its values. DJL's own check also wants the input shapes that {@code
     * initialize} records, which a network assembled from initialized parts ({@link #withHead},
     * {@link #withHeadOf}) lacks; DJL's {@code forward} in training mode would then initialize
     * it again, and that turns gradients back on for every parameter, frozen stages included
     * (it did: until the training loop stopped calling that forward, ulmfit's frozen stages
     * took gradients in its first epoch).
     */
    @Override
    public boolean isInitialized() {
        return getParameters().values().stream().allMatch(Parameter::isInitialized);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... shapes) {
        Shape[] s = shapes;
        for (Stage st : stages) {
            st.block.initialize(manager, dataType, s);
            s = st.block.getOutputShapes(s);
        }
        head.block.initialize(manager, dataType, s);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] s = inputShapes;
        for (Stage st : stages) {
            s = st.block.getOutputShapes(s);
        }
        return head.block.getOutputShapes(s);
    }

    /**
     * A batch size for inference (evaluation, feature extraction, teacher outputs) that keeps
     * every activation under about 24 MB: a multiple of 16 in [16, 256]. Larger activations were
     * several times slower per image on CPU (convnet --width 2: 1,043 images/s at batch 128, 140
     * at 512), so the batch shrinks as a network widens. Bounded per stage by its output
     * channels at the larger of its input and output resolutions.
     */
    public int inferenceBatchSize() {
        long largest = 1;
        Shape[] in = batchInputShapes(1);
        for (Stage st : stages) {
            Shape[] out = st.block.getOutputShapes(in);
            Shape o = out[0];
            long perExample = o.size();
            if (o.dimension() == 4 && in[0].dimension() == 4) {
                perExample = o.get(1) * Math.max(o.get(2) * o.get(3), in[0].get(2) * in[0].get(3));
            }
            largest = Math.max(largest, perExample);
            in = out;
        }
        long batch = (24L << 20) / (largest * Float.BYTES);
        return (int) Math.max(16, Math.min(256, batch / 16 * 16));
    }

    /**
     * What the network computes at inference, layer by layer, stages then head, each layer named
     * by its parameters' PyTorch path (see {@link Layer}).
     */
    public List<Layer> layers() {
        List<Layer> out = new ArrayList<>();
        for (Stage s : stages) {
            out.addAll(LayerList.of(s.prefix, s.block));
        }
        out.addAll(LayerList.of(head.prefix, head.block));
        return out;
    }

    /**
     * Multiply-adds of one forward pass per example, in convolutions and linear layers (FLOPs
     * are about twice this). Needs no initialization.
     */
    public long multiplyAdds() {
        long n = 0;
        Shape[] s = batchInputShapes(1);
        for (Stage st : stages) {
            n += MultiplyAdds.of(st.block, s[0]);
            s = st.block.getOutputShapes(s);
        }
        return n + MultiplyAdds.of(head.block, s[0]);
    }

    /** Number of parameter values (excluding BatchNorm running statistics). */
    public long parameterCount() {
        long n = 0;
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            if (e.getValue().requiresGradient()) {
                n += e.getValue().getArray().size();
            }
        }
        return n;
    }
}
