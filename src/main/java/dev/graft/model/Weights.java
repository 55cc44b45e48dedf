package dev.graft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A copy of a network's parameters and buffers (BatchNorm statistics included) by PyTorch
 * name, taken at one moment: the initial weights a lottery ticket rewinds to, the two ends of an
 * interpolation, the values a module is reset to. Restoring writes the values into another
 * network of the same architecture and shapes, in place.
 */
public final class Weights implements AutoCloseable {

    private final Map<String, NDArray> values;

    private Weights(Map<String, NDArray> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** Copies every parameter and buffer of {@code net} into {@code manager}. */
    public static Weights of(StagedNet net, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        net.namedParameters().forEach((name, p) -> {
            NDArray copy = p.getArray().duplicate();
            copy.attach(manager);
            out.put(name, copy);
        });
        return new Weights(out);
    }

    /** The copied tensors by name, in the network's order. */
    public Map<String, NDArray> tensors() {
        return values;
    }

    /**
     * Writes these values into {@code net}'s parameters (all of them, or those {@code names}
     * lists), in place.
     *
     * @throws IllegalArgumentException naming every parameter that is missing or of another
     *     shape
     */
    public void restore(StagedNet net) {
        restore(net, values.keySet());
    }

    /** As {@link #restore(StagedNet)}, only the parameters named. */
    public void restore(StagedNet net, Iterable<String> names) {
        Map<String, Parameter> params = net.namedParameters();
        List<String> problems = new ArrayList<>();
        for (String name : names) {
            NDArray v = values.get(name);
            Parameter p = params.get(name);
            if (v == null || p == null) {
                problems.add(name + (v == null ? " is not in the saved weights"
                        : " is not a parameter of the " + net.architecture().id()));
            } else if (!v.getShape().equals(p.getArray().getShape())) {
                problems.add(name + " was saved as " + v.getShape() + " but is "
                        + p.getArray().getShape());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the weights do not fit the "
                    + net.architecture().id() + ": " + String.join("; ", problems));
        }
        for (String name : names) {
            params.get(name).getArray().set(values.get(name).toByteBuffer());
        }
    }

    /** Releases the copies. */
    @Override
    public void close() {
        values.values().forEach(NDArray::close);
    }
}
