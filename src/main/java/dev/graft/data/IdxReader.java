package dev.graft.data;

import dev.graft.io.BadFileException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or raw, and checks them:
 * magic number, element type, dimensions and that the file holds exactly the bytes its header
 * promises.
 *
 * <p>Layout: {@code 0x00 0x00 type ndim}, then {@code ndim} big-endian int32 sizes, then the
 * elements. Only unsigned bytes ({@code type = 0x08}) are used by image datasets.
 */
public final class IdxReader {

    /** An IDX tensor of unsigned bytes: {@code dims} sizes, row-major {@code data}. */
    public record IdxArray(int[] dims, byte[] data) {
        /** Number of items (the first dimension). */
        public int count() {
            return dims[0];
        }
    }

    private static final int UNSIGNED_BYTE = 0x08;

    private IdxReader() {}

    /** Reads an IDX file, detecting gzip by its magic bytes rather than the file name. */
    public static IdxArray read(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadFileException(file, "file not found");
        } catch (IOException e) {
            throw new BadFileException(file, "cannot read: " + e.getMessage(), e);
        }
        return parse(file, raw);
    }

    /** Parses IDX bytes (possibly gzipped); {@code source} names them in errors. */
    public static IdxArray parse(Path source, byte[] raw) {
        byte[] bytes = isGzip(raw) ? gunzip(source, raw) : raw;
        if (bytes.length < 4) {
            throw new BadFileException(source, "too short for an IDX header (" + bytes.length
                    + " bytes); the file is truncated or not an IDX file");
        }
        if (bytes[0] != 0 || bytes[1] != 0) {
            throw new BadFileException(source, String.format(
                    "bad IDX magic number 0x%02x%02x%02x%02x (expected 0x0000 then type and rank);"
                            + " not an IDX file", bytes[0], bytes[1], bytes[2], bytes[3]));
        }
        int type = bytes[2] & 0xff;
        if (type != UNSIGNED_BYTE) {
            throw new BadFileException(source, String.format(
                    "IDX element type 0x%02x is not supported (graft reads unsigned bytes, 0x08)",
                    type));
        }
        int ndim = bytes[3] & 0xff;
        if (ndim < 1 || ndim > 4) {
            throw new BadFileException(source, "IDX rank " + ndim + " is out of range 1..4");
        }
        int header = 4 + 4 * ndim;
        if (bytes.length < header) {
            throw new BadFileException(source, "truncated IDX header: " + ndim
                    + " dimensions need " + header + " bytes, file has " + bytes.length);
        }
        int[] dims = new int[ndim];
        long expected = 1;
        for (int i = 0; i < ndim; i++) {
            int p = 4 + 4 * i;
            dims[i] = ((bytes[p] & 0xff) << 24) | ((bytes[p + 1] & 0xff) << 16)
                    | ((bytes[p + 2] & 0xff) << 8) | (bytes[p + 3] & 0xff);
            if (dims[i] <= 0) {
                throw new BadFileException(source, "IDX dimension " + i + " is " + dims[i]
                        + "; every dimension must be positive");
            }
            expected *= dims[i];
        }
        long actual = bytes.length - (long) header;
        if (actual != expected) {
            throw new BadFileException(source, String.format(
                    "header promises %d bytes of data (%s) but the file has %d: the file is %s",
                    expected, shape(dims), actual, actual < expected ? "truncated" : "too long"));
        }
        byte[] data = new byte[(int) expected];
        System.arraycopy(bytes, header, data, 0, data.length);
        return new IdxArray(dims, data);
    }

    private static String shape(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : " x ").append(dims[i]);
        }
        return sb.toString();
    }

    private static boolean isGzip(byte[] raw) {
        return raw.length >= 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b;
    }

    private static byte[] gunzip(Path source, byte[] raw) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)) {
            return in.readAllBytes();
        } catch (EOFException e) {
            throw new BadFileException(source, "gzip stream ends early: the file is truncated;"
                    + " download it again", e);
        } catch (ZipException e) {
            throw new BadFileException(source, "corrupt gzip data (" + e.getMessage()
                    + "); download it again", e);
        } catch (IOException e) {
            throw new BadFileException(source, "cannot decompress: " + e.getMessage(), e);
        }
    }
}
