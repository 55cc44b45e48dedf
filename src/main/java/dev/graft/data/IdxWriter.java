package dev.graft.data;

import dev.graft.io.AtomicFiles;
import java.io.DataOutputStream;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes unsigned-byte IDX files, gzip-compressed, atomically. */
public final class IdxWriter {

    private IdxWriter() {}

    /** Writes {@code data} with dimensions {@code dims} to {@code file} as gzipped IDX. */
    public static void writeGz(Path file, int[] dims, byte[] data) {
        AtomicFiles.write(file, out -> {
            GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16);
            DataOutputStream d = new DataOutputStream(gz);
            d.writeByte(0);
            d.writeByte(0);
            d.writeByte(0x08);
            d.writeByte(dims.length);
            for (int dim : dims) {
                d.writeInt(dim);
            }
            d.write(data);
            d.flush();
            gz.finish();
        });
    }

    /** Writes images as {@code [n, h, w]} (one channel) or {@code [n, c, h, w]}, and labels. */
    public static void writeDataset(ImageDataset data, Path imagesFile, Path labelsFile) {
        int[] dims = data.channels() == 1
                ? new int[] {data.size(), data.height(), data.width()}
                : new int[] {data.size(), data.channels(), data.height(), data.width()};
        writeGz(imagesFile, dims, data.rawPixels());
        byte[] labels = new byte[data.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) data.label(i);
        }
        writeGz(labelsFile, new int[] {data.size()}, labels);
    }
}
