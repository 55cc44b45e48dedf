package dev.graft.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file read defensively: an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the data. Every claim the header makes
 * is checked against the file before a byte of data is read (length, offsets inside the data,
 * sizes matching dtype x shape, no two tensors sharing bytes), so a corrupt or hostile file
 * gives a {@link BadFileException} naming the tensor and the field, never a read outside the
 * file. Tensors are read on demand with positional reads, so files above 2 GB work too.
 *
 * <p>Floating-point tensors (F32, F16, BF16, F64) convert to float32 on the Java side: the
 * engine never sees half precision or bfloat16.
 */
public final class SafeTensors implements AutoCloseable {

    /** The safetensors project's own bound on the header (100 MB). */
    static final long MAX_HEADER = 100L << 20;

    /** Bytes per element of every dtype the format defines. */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(Map.entry("F64", 8),
            Map.entry("F32", 4), Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I64", 8),
            Map.entry("I32", 4), Map.entry("I16", 2), Map.entry("I8", 1), Map.entry("U8", 1),
            Map.entry("BOOL", 1), Map.entry("U16", 2), Map.entry("U32", 4), Map.entry("U64", 8),
            Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1));

    /**
     * One tensor's header entry.
     *
     * @param begin first byte, counted from the start of the data (after the header)
     * @param end one past the last byte
     */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        /** The number of elements (1 for a scalar). */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** Whether {@link #floats} converts this dtype. */
        public boolean isFloatingPoint() {
            return switch (dtype) {
                case "F32", "F16", "BF16", "F64" -> true;
                default -> false;
            };
        }
    }

    /** Integer dtypes {@link #longs} reads. */
    private static final List<String> INTEGERS = List.of("I64", "I32", "I16", "I8", "U8");

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = Collections.unmodifiableMap(entries);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Opens {@code file} and checks its header; the caller closes it. */
    public static SafeTensors open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new BadFileException(file, "file not found");
        } catch (IOException e) {
            throw new BadFileException(file, "cannot be read: " + e.getMessage(), e);
        }
        try {
            return read(file, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static SafeTensors read(Path file, FileChannel channel) {
        long size;
        byte[] json;
        try {
            size = channel.size();
            if (size < 8) {
                throw bad(file, "is " + size + " bytes, too short for a safetensors file (it"
                        + " starts with an 8-byte header length)");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, len, 0);
            long n = len.flip().getLong();
            if (n < 2 || n > size - 8) {
                throw bad(file, "header length " + Long.toUnsignedString(n) + " does not fit a "
                        + size + "-byte file: not a safetensors file, or truncated");
            }
            if (n > MAX_HEADER) {
                throw bad(file, "header length " + n + " exceeds the format's 100 MB bound");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(channel, header, 8);
            json = header.array();
        } catch (IOException e) {
            throw new BadFileException(file, "cannot be read: " + e.getMessage(), e);
        }
        long dataStart = 8L + json.length;
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw bad(file, "header is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw bad(file, "header is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw bad(file, "header must be a JSON object of tensors");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("__metadata__")) {
                if (!f.getValue().isObject()) {
                    throw bad(file, "__metadata__ must be an object of strings");
                }
                f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(),
                        m.getValue().asText()));
            } else {
                entries.put(f.getKey(), entry(file, f.getKey(), f.getValue(),
                        size - dataStart));
            }
        }
        checkNoOverlap(file, entries);
        return new SafeTensors(file, channel, dataStart, entries, metadata);
    }

    private static Entry entry(Path file, String name, JsonNode node, long dataSize) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw bad(file, where + " must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isTextual()) {
            throw bad(file, where + ": field dtype is missing or not a string");
        }
        Integer bytes = DTYPE_BYTES.get(dtype.asText());
        if (bytes == null) {
            throw bad(file, where + ": unknown dtype '" + dtype.asText() + "'; the format"
                    + " defines " + new java.util.TreeSet<>(DTYPE_BYTES.keySet()));
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw bad(file, where + ": field shape is missing or not an array");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw bad(file, where + ": shape " + shapeNode + " must hold non-negative"
                        + " integers");
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException e) {
                throw bad(file, where + ": shape " + shapeNode + " has too many elements");
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw bad(file, where + ": field data_offsets must be [begin, end]");
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(file, where + ": data_offsets [" + begin + ", " + end + "] lie outside the"
                    + " " + dataSize + " bytes of data after the header (truncated file?)");
        }
        long need;
        try {
            need = Math.multiplyExact(elements, bytes);
        } catch (ArithmeticException e) {
            throw bad(file, where + ": shape " + shapeNode + " has too many elements");
        }
        if (end - begin != need) {
            throw bad(file, where + ": data_offsets span " + (end - begin) + " bytes, but "
                    + dtype.asText() + " " + shapeNode + " needs " + need);
        }
        return new Entry(name, dtype.asText(), shape, begin, end);
    }

    private static void checkNoOverlap(Path file, Map<String, Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.removeIf(e -> e.begin == e.end);
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1);
            Entry b = sorted.get(i);
            if (b.begin < a.end) {
                throw bad(file, "tensors '" + a.name + "' [" + a.begin + ", " + a.end + ") and '"
                        + b.name + "' [" + b.begin + ", " + b.end + ") overlap");
            }
        }
    }

    /** The file this reads. */
    public Path file() {
        return file;
    }

    /** Every tensor's entry, in header order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The header's {@code __metadata__} (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor called {@code name} as float32, converted from F16, BF16 or F64. */
    public float[] floats(String name) {
        Entry e = checkedEntry(name, true);
        float[] out = new float[(int) e.elements()];
        readChunks(e, (b, from, count) -> convert(e.dtype, b, out, from, count));
        return out;
    }

    /** The integer tensor called {@code name} (I64, I32, I16, I8, U8) as longs. */
    public long[] longs(String name) {
        Entry e = checkedEntry(name, false);
        long[] out = new long[(int) e.elements()];
        readChunks(e, (b, from, count) -> {
            for (int i = 0; i < count; i++) {
                out[from + i] = switch (e.dtype) {
                    case "I64" -> b.getLong();
                    case "I32" -> b.getInt();
                    case "I16" -> b.getShort();
                    case "I8" -> b.get();
                    default -> b.get() & 0xff;
                };
            }
        });
        return out;
    }

    private Entry checkedEntry(String name, boolean floating) {
        Entry e = entries.get(name);
        if (e == null) {
            throw bad(file, "no tensor '" + name + "'");
        }
        if (floating != e.isFloatingPoint() || !floating && !INTEGERS.contains(e.dtype)) {
            throw bad(file, "tensor '" + name + "' is " + e.dtype + "; graft reads it as " + (
                    floating ? "F32, F16, BF16 or F64" : "one of " + INTEGERS));
        }
        if (e.elements() > Integer.MAX_VALUE - 8) {
            throw bad(file, "tensor '" + name + "' has " + e.elements() + " elements, more"
                    + " than a Java array holds");
        }
        return e;
    }

    /** Converts {@code count} elements from {@code b} into an output array at {@code from}. */
    @FunctionalInterface
    private interface Chunk {
        void take(ByteBuffer b, int from, int count);
    }

    /** Reads a tensor's bytes in chunks of at most 4 MiB with positional reads. */
    private void readChunks(Entry e, Chunk chunk) {
        int n = (int) e.elements();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.max(8, Math.min(e.end - e.begin,
                1 << 22))).order(ByteOrder.LITTLE_ENDIAN);
        int bytes = DTYPE_BYTES.get(e.dtype);
        int done = 0;
        long pos = dataStart + e.begin;
        try {
            while (done < n) {
                int take = Math.min(n - done, buf.capacity() / bytes);
                buf.clear().limit(take * bytes);
                readFully(channel, buf, pos);
                buf.flip();
                chunk.take(buf, done, take);
                done += take;
                pos += (long) take * bytes;
            }
        } catch (IOException ex) {
            throw new BadFileException(file, "cannot read tensor '" + e.name + "': "
                    + ex.getMessage(), ex);
        }
    }

    private static void convert(String dtype, ByteBuffer b, float[] out, int from, int count) {
        switch (dtype) {
            case "F32" -> b.asFloatBuffer().get(out, from, count);
            case "F64" -> {
                for (int i = 0; i < count; i++) {
                    out[from + i] = (float) b.getDouble();
                }
            }
            case "BF16" -> {
                for (int i = 0; i < count; i++) {
                    out[from + i] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                }
            }
            case "F16" -> {
                for (int i = 0; i < count; i++) {
                    out[from + i] = halfToFloat(b.getShort());
                }
            }
            default -> throw new IllegalStateException(dtype);
        }
    }

    /** IEEE 754 binary16 to binary32, subnormals, infinities and NaN included. */
    static float halfToFloat(short h) {
        int sign = (h >>> 15) & 1;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        float magnitude;
        if (exponent == 0) {
            magnitude = mantissa * 0x1p-24f;
        } else if (exponent == 31) {
            magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Float.intBitsToFloat(((exponent - 15 + 127) << 23) | (mantissa << 13));
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    private static void readFully(FileChannel channel, ByteBuffer buf, long position)
            throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static BadFileException bad(Path file, String problem) {
        return new BadFileException(file, problem);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the open failed already; that error is the one to report
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
