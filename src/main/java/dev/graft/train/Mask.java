package dev.graft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.graft.io.BadFileException;
import dev.graft.io.SafeTensors;
import dev.graft.model.StagedNet;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which weights of a network are kept: for some of its parameters (by PyTorch name) a 0/1
 * tensor of the parameter's shape. Applying it multiplies those parameters by it, so pruned
 * weights are exactly zero; as a {@link #hook()} it is applied after every optimizer step, so
 * they stay zero through training. Parameters it does not name are left alone.
 */
public final class Mask {

    /** The file a mask takes in a checkpoint folder. */
    public static final String FILE = "mask.safetensors";

    private final Map<String, NDArray> keep;

    /**
     * @param keep per parameter name a float32 tensor of ones (kept) and zeros (pruned); the
     *     arrays are used as they are, not copied
     */
    public Mask(Map<String, NDArray> keep) {
        for (Map.Entry<String, NDArray> e : keep.entrySet()) {
            if (e.getValue().getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException("mask of " + e.getKey() + " is "
                        + e.getValue().getDataType() + ", expected float32 zeros and ones");
            }
        }
        this.keep = Collections.unmodifiableMap(new LinkedHashMap<>(keep));
    }

    /** The masked parameters' names and their 0/1 tensors. */
    public Map<String, NDArray> tensors() {
        return keep;
    }

    /** The same mask over only the parameters {@code keep} accepts. */
    public Mask only(java.util.function.Predicate<String> keep) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        this.keep.forEach((name, m) -> {
            if (keep.test(name)) {
                out.put(name, m);
            }
        });
        return new Mask(out);
    }

    /** Weights under the mask. */
    public long total() {
        return keep.values().stream().mapToLong(NDArray::size).sum();
    }

    /** Weights the mask keeps. */
    public long kept() {
        long n = 0;
        for (NDArray m : keep.values()) {
            n += (long) m.sum().getFloat();
        }
        return n;
    }

    /** Parameters of {@code net} that are not pruned: those outside the mask and those it keeps. */
    public long nonZero(StagedNet net) {
        return net.parameterCount() - total() + kept();
    }

    /** The share of masked weights that are pruned, 0 for an empty mask. */
    public double sparsity() {
        long t = total();
        return t == 0 ? 0 : 1 - (double) kept() / t;
    }

    /** Per parameter, the share pruned. */
    public Map<String, Double> sparsityByParameter() {
        Map<String, Double> out = new LinkedHashMap<>();
        keep.forEach((name, m) -> out.put(name, 1 - (double) m.sum().getFloat() / m.size()));
        return out;
    }

    /** Multiplies every masked parameter of {@code net} by its mask, in place. */
    public void apply(StagedNet net) {
        Map<String, Parameter> params = net.namedParameters();
        for (Map.Entry<String, NDArray> e : keep.entrySet()) {
            Parameter p = params.get(e.getKey());
            if (p == null) {
                throw new IllegalArgumentException("the mask names " + e.getKey() + ", which the "
                        + net.architecture().id() + " does not have");
            }
            p.getArray().muli(e.getValue());
        }
    }

    /** Re-applies the mask after every optimizer step. */
    public StepHook hook() {
        return (net, epoch, globalStep, step) -> apply(net);
    }

    /** Writes the mask as safetensors (one uint8-valued float tensor per parameter name). */
    public void write(OutputStream out) throws IOException {
        NDList list = new NDList();
        keep.forEach((name, m) -> {
            m.setName(name);
            list.add(m);
        });
        list.encode(out, NDList.Encoding.SAFETENSORS);
    }

    /**
     * Writes the mask as {@link #FILE} into a folder being staged (a checkpoint's, passed to
     * {@code Checkpoint.save}), which is what makes the write atomic.
     */
    public void save(Path folder) throws IOException {
        try (OutputStream out = Files.newOutputStream(folder.resolve(FILE))) {
            write(out);
        }
    }

    /**
     * Reads a mask written by {@link #save} and checks it against {@code net}: every name a
     * parameter of it, every shape that parameter's, every value 0 or 1. All problems are
     * reported at once.
     */
    public static Mask load(Path file, StagedNet net, NDManager manager) {
        Map<String, Parameter> params = net.namedParameters();
        List<String> problems = new ArrayList<>();
        Map<String, NDArray> keep = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(file)) {
            for (SafeTensors.Entry e : st.entries().values()) {
                Parameter p = params.get(e.name());
                if (p == null) {
                    problems.add(e.name() + " is not a parameter of the "
                            + net.architecture().id());
                    continue;
                }
                Shape want = p.getArray().getShape();
                if (!Arrays.equals(e.shape(), want.getShape())) {
                    problems.add(e.name() + " has shape " + new Shape(e.shape())
                            + ", the parameter " + want);
                    continue;
                }
                float[] v = st.floats(e.name());
                boolean binary = true;
                for (float x : v) {
                    binary &= x == 0 || x == 1;
                }
                if (!binary) {
                    problems.add(e.name() + " holds values other than 0 and 1");
                    continue;
                }
                keep.put(e.name(), manager.create(v, want));
            }
        }
        if (!problems.isEmpty()) {
            keep.values().forEach(NDArray::close);
            throw new BadFileException(file, "the mask does not fit the "
                    + net.architecture().id() + ": " + String.join("; ", problems));
        }
        Map<String, NDArray> ordered = new LinkedHashMap<>(); // the network's order, not the file's
        params.keySet().forEach(name -> {
            if (keep.containsKey(name)) {
                ordered.put(name, keep.get(name));
            }
        });
        return new Mask(ordered);
    }
}
