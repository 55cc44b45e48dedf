package dev.graft.transfer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.Examples;
import dev.graft.io.AtomicFiles;
import dev.graft.io.BadFileException;
import dev.graft.io.Json;
import dev.graft.io.SafeTensors;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Activations of a frozen trunk at one stage ("CNN codes"), one row per example, with labels:
 * computed once so a probe can be refit without running the network again.
 *
 * @param values {@code [count, dim]} row-major
 */
public record FeatureCodes(float[] values, int count, int dim, int[] labels,
        List<String> classNames) {

    public FeatureCodes {
        if ((long) count * dim != values.length || labels.length != count) {
            throw new IllegalArgumentException(count + " codes of dimension " + dim + " need "
                    + (long) count * dim + " values and " + count + " labels, got "
                    + values.length + " and " + labels.length);
        }
    }

    /** What {@code codes.json} says about a folder of codes. */
    public record Info(
            @JsonProperty("format_version") int formatVersion,
            @JsonProperty("model") String model,
            @JsonProperty("stage") String stage,
            @JsonProperty("pooling") Pooling pooling,
            @JsonProperty("dim") int dim,
            @JsonProperty("class_names") List<String> classNames,
            @JsonProperty("splits") List<String> splits,
            @JsonProperty("data") String data) {}

    public static final String INFO = "codes.json";

    public int numClasses() {
        return classNames.size();
    }

    /** The rows at {@code idx}, in that order. */
    public FeatureCodes select(int[] idx) {
        float[] v = new float[idx.length * dim];
        int[] y = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(values, idx[i] * dim, v, i * dim, dim);
            y[i] = labels[idx[i]];
        }
        return new FeatureCodes(v, idx.length, dim, y, classNames);
    }

    /**
     * Runs {@code net} up to {@code stage} in inference mode over {@code data}.
     *
     * @param pooling how a spatial map becomes a vector ({@link Pooling#NONE} is refused for maps)
     */
    public static FeatureCodes extract(StagedNet net, Examples data, String stage,
            Pooling pooling, List<String> classNames, NDManager manager) {
        dev.graft.train.Autograd.recordOnlyInCollectors();
        int batchSize = net.inferenceBatchSize();
        if (!net.stageNames().contains(stage)) {
            throw new IllegalArgumentException("no stage '" + stage + "' in "
                    + net.architecture().id() + "; stages are " + net.stageNames());
        }
        float[] values = null;
        int dim = -1;
        ParameterStore ps = new ParameterStore(manager, false);
        int[] order = data.inferenceOrder();
        for (int from = 0; from < data.size(); from += batchSize) {
            int[] rows = Arrays.copyOfRange(order, from, Math.min(data.size(), from + batchSize));
            try (NDManager step = manager.newSubManager()) {
                NDArray f = net.features(ps, data.batch(rows, step).inputs(), stage, pooling);
                if (f.getShape().dimension() != 2) {
                    throw new IllegalArgumentException("stage " + stage + " gives maps of shape "
                            + f.getShape() + "; choose --pooling avg or flatten");
                }
                if (values == null) {
                    dim = (int) f.getShape().get(1);
                    values = new float[Math.multiplyExact(data.size(), dim)];
                }
                float[] batch = f.toFloatArray();
                for (int r = 0; r < rows.length; r++) {
                    System.arraycopy(batch, r * dim, values, rows[r] * dim, dim);
                }
            }
        }
        int[] labels = new int[data.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = data.label(i);
        }
        return new FeatureCodes(values == null ? new float[0] : values, data.size(),
                Math.max(dim, 0), labels, classNames);
    }

    /** Writes {@code <split>.safetensors} with tensors {@code codes [n, dim]} and {@code labels [n]}. */
    public void save(Path file) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray codes = m.create(values, new Shape(count, dim));
            codes.setName("codes");
            long[] y = new long[count];
            for (int i = 0; i < count; i++) {
                y[i] = labels[i];
            }
            NDArray labelArray = m.create(y);
            labelArray.setName("labels");
            NDList list = new NDList(codes, labelArray);
            AtomicFiles.write(file, out -> list.encode(out, NDList.Encoding.SAFETENSORS));
        }
    }

    /**
     * Reads one split written by {@link #save} through graft's checked safetensors reader,
     * checking the tensors are there, agree in shape, hold finite codes and valid labels.
     */
    public static FeatureCodes load(Path file, List<String> classNames) {
        if (!java.nio.file.Files.exists(file)) {
            throw new BadFileException(file, "file not found (extract codes first with graft"
                    + " extract)");
        }
        try (SafeTensors st = SafeTensors.open(file)) {
            SafeTensors.Entry codes = st.entries().get("codes");
            SafeTensors.Entry labels = st.entries().get("labels");
            if (codes == null || labels == null) {
                throw new BadFileException(file, "needs tensors 'codes' and 'labels'; it has "
                        + st.entries().keySet() + " (extract codes with graft extract)");
            }
            if (codes.shape().length != 2 || labels.shape().length != 1
                    || codes.shape()[0] != labels.shape()[0]) {
                throw new BadFileException(file, "codes " + Arrays.toString(codes.shape())
                        + " and labels " + Arrays.toString(labels.shape()) + " do not agree"
                        + " (need [n, dim] and [n])");
            }
            if (codes.shape()[0] == 0 || codes.shape()[1] == 0) {
                throw new BadFileException(file, "holds no codes (shape " + Arrays.toString(
                        codes.shape()) + ")");
            }
            long[] y = st.longs("labels");
            int[] yi = new int[y.length];
            for (int i = 0; i < y.length; i++) {
                if (y[i] < 0 || y[i] >= classNames.size()) {
                    throw new BadFileException(file, "label " + y[i] + " is outside the "
                            + classNames.size() + " classes of " + INFO);
                }
                yi[i] = (int) y[i];
            }
            float[] values = st.floats("codes");
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new BadFileException(file, "code " + i / codes.shape()[1] + " holds "
                            + values[i] + "; codes must be finite (extract them again)");
                }
            }
            return new FeatureCodes(values, (int) codes.shape()[0], (int) codes.shape()[1], yi,
                    classNames);
        }
    }

    /** Reads {@code codes.json} of a codes folder. */
    public static Info readInfo(Path dir) {
        return Json.read(dir.resolve(INFO), Info.class);
    }
}
