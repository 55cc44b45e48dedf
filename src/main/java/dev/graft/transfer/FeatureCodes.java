package dev.graft.transfer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.TensorDataset;
import dev.graft.io.AtomicFiles;
import dev.graft.io.BadFileException;
import dev.graft.io.Json;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
    public static FeatureCodes extract(StagedNet net, TensorDataset data, String stage,
            Pooling pooling, List<String> classNames, NDManager manager) {
        int batchSize = net.inferenceBatchSize();
        if (!net.stageNames().contains(stage)) {
            throw new IllegalArgumentException("no stage '" + stage + "' in "
                    + net.architecture().id() + "; stages are " + net.stageNames());
        }
        float[] values = null;
        int dim = -1;
        ParameterStore ps = new ParameterStore(manager, false);
        for (int from = 0; from < data.size(); from += batchSize) {
            int to = Math.min(data.size(), from + batchSize);
            try (NDManager step = manager.newSubManager()) {
                NDArray f = net.features(ps, data.range(from, to, step).x(), stage, pooling);
                if (f.getShape().dimension() != 2) {
                    throw new IllegalArgumentException("stage " + stage + " gives maps of shape "
                            + f.getShape() + "; choose --pooling avg or flatten");
                }
                if (values == null) {
                    dim = (int) f.getShape().get(1);
                    values = new float[Math.multiplyExact(data.size(), dim)];
                }
                float[] batch = f.toFloatArray();
                System.arraycopy(batch, 0, values, from * dim, batch.length);
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

    /** Reads one split written by {@link #save}, checking the tensors are there and agree. */
    public static FeatureCodes load(Path file, List<String> classNames) {
        try (NDManager m = NDManager.newBaseManager();
                InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            NDList list = NDList.decode(m, in);
            NDArray codes = list.contains("codes") ? list.get("codes") : null;
            NDArray labels = list.contains("labels") ? list.get("labels") : null;
            if (codes == null || labels == null) {
                throw new BadFileException(file, "needs tensors 'codes' and 'labels'; it has "
                        + list.stream().map(NDArray::getName).toList());
            }
            if (codes.getShape().dimension() != 2 || labels.getShape().dimension() != 1
                    || codes.getShape().get(0) != labels.getShape().get(0)) {
                throw new BadFileException(file, "codes " + codes.getShape() + " and labels "
                        + labels.getShape() + " do not agree (need [n, dim] and [n])");
            }
            long[] y = labels.toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
            int[] yi = new int[y.length];
            for (int i = 0; i < y.length; i++) {
                if (y[i] < 0 || y[i] >= classNames.size()) {
                    throw new BadFileException(file, "label " + y[i] + " is outside the "
                            + classNames.size() + " classes of " + INFO);
                }
                yi[i] = (int) y[i];
            }
            return new FeatureCodes(codes.toFloatArray(), (int) codes.getShape().get(0),
                    (int) codes.getShape().get(1), yi, classNames);
        } catch (NoSuchFileException e) {
            throw new BadFileException(file, "file not found (extract codes first with graft"
                    + " extract)");
        } catch (IOException e) {
            throw new BadFileException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads {@code codes.json} of a codes folder. */
    public static Info readInfo(Path dir) {
        return Json.read(dir.resolve(INFO), Info.class);
    }
}
