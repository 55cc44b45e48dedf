package dev.graft.data;

import dev.graft.io.BadFileException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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

    /**
     * Parses IDX bytes (possibly gzipped); {@code source} names them in errors. The elements are
     * decompressed straight into one array of the size the header gives, so a 47 MB set costs
     * 47 MB of heap beside its compressed bytes, not three copies (a decompressed buffer, its
     * trimmed copy, the elements' copy), which made the JVM grow its heap by 400 MB that it then
     * kept for the whole run.
     */
    public static IdxArray parse(Path source, byte[] raw) {
        try (InputStream in = isGzip(raw)
                ? new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)
                : new ByteArrayInputStream(raw)) {
            return parse(source, in);
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

    private static IdxArray parse(Path source, InputStream in) throws IOException {
        byte[] magic = in.readNBytes(4);
        if (magic.length < 4) {
            throw new BadFileException(source, "too short for an IDX header (" + magic.length
                    + " bytes); the file is truncated or not an IDX file");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new BadFileException(source, String.format(
                    "bad IDX magic number 0x%02x%02x%02x%02x (expected 0x0000 then type and rank);"
                            + " not an IDX file", magic[0], magic[1], magic[2], magic[3]));
        }
        int type = magic[2] & 0xff;
        if (type != UNSIGNED_BYTE) {
            throw new BadFileException(source, String.format(
                    "IDX element type 0x%02x is not supported (graft reads unsigned bytes, 0x08)",
                    type));
        }
        int ndim = magic[3] & 0xff;
        if (ndim < 1 || ndim > 4) {
            throw new BadFileException(source, "IDX rank " + ndim + " is out of range 1..4");
        }
        int header = 4 + 4 * ndim;
        byte[] sizes = in.readNBytes(4 * ndim);
        if (sizes.length < 4 * ndim) {
            throw new BadFileException(source, "truncated IDX header: " + ndim
                    + " dimensions need " + header + " bytes, file has " + (4 + sizes.length));
        }
        int[] dims = new int[ndim];
        long expected = 1;
        for (int i = 0; i < ndim; i++) {
            int p = 4 * i;
            dims[i] = ((sizes[p] & 0xff) << 24) | ((sizes[p + 1] & 0xff) << 16)
                    | ((sizes[p + 2] & 0xff) << 8) | (sizes[p + 3] & 0xff);
            if (dims[i] <= 0) {
                throw new BadFileException(source, "IDX dimension " + i + " is " + dims[i]
                        + "; every dimension must be positive");
            }
            expected *= dims[i];
        }
        if (expected > Integer.MAX_VALUE - 8) {
            throw new BadFileException(source, "header promises " + expected + " bytes of data ("
                    + shape(dims) + "), more than one array holds; split the set");
        }
        byte[] data = new byte[(int) expected];
        long actual = in.readNBytes(data, 0, data.length);
        if (actual == expected) {
            actual += in.transferTo(OutputStream.nullOutputStream());
        }
        if (actual != expected) {
            throw new BadFileException(source, String.format(
                    "header promises %d bytes of data (%s) but the file has %d: the file is %s",
                    expected, shape(dims), actual, actual < expected ? "truncated" : "too long"));
        }
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
}
