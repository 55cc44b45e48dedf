package dev.graft.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader: dtype conversions by hand, and every corruption a clear error. */
class SafeTensorsTest {

    @TempDir
    Path dir;

    /** An 8-byte little-endian length, the header, then the data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    static byte[] le(int bytesPer, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * bytesPer).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (bytesPer) {
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    Path write(byte[] bytes) throws IOException {
        Path f = Files.createTempFile(dir, "t", ".safetensors");
        Files.write(f, bytes);
        return f;
    }

    /** A valid file: a [2] F32, a [2, 2] F16, a [3] BF16, a [1] F64 and an I64 scalar. */
    static byte[] valid() {
        byte[] f32 = le(4, Float.floatToIntBits(1.5f), Float.floatToIntBits(-0.25f));
        // 1.0, -2.0, 65504 (largest half), 2^-24 (smallest subnormal)
        byte[] f16 = le(2, 0x3C00, 0xC000, 0x7BFF, 0x0001);
        // 1.0, 3.140625, -inf
        byte[] bf16 = le(2, 0x3F80, 0x4049, 0xFF80);
        byte[] f64 = le(8, Double.doubleToLongBits(0.1));
        byte[] i64 = le(8, 7);
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[8,16]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[22,30]},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[30,38]}}";
        return file(header, concat(f32, f16, bf16, f64, i64));
    }

    @Test
    void readsEveryFloatDtypeAsFloat32() throws IOException {
        try (SafeTensors st = SafeTensors.open(write(valid()))) {
            assertEquals(java.util.List.of("a", "b", "c", "d", "n"),
                    java.util.List.copyOf(st.entries().keySet()));
            assertEquals("pt", st.metadata().get("format"));
            assertArrayEquals(new float[] {1.5f, -0.25f}, st.floats("a"));
            assertArrayEquals(new float[] {1f, -2f, 65504f, (float) Math.pow(2, -24)},
                    st.floats("b"));
            assertArrayEquals(new float[] {1f, 3.140625f, Float.NEGATIVE_INFINITY},
                    st.floats("c"));
            assertArrayEquals(new float[] {0.1f}, st.floats("d"));
            assertArrayEquals(new long[] {2, 2}, st.entries().get("b").shape());
            assertEquals(1, st.entries().get("n").elements());
            BadFileException e = assertThrows(BadFileException.class, () -> st.floats("n"));
            assertTrue(e.getMessage().contains("'n' is I64"), e.getMessage());
        }
    }

    @Test
    void halfPrecisionSpecialValues() {
        assertEquals(0f, SafeTensors.halfToFloat((short) 0x0000));
        assertEquals(-0f, SafeTensors.halfToFloat((short) 0x8000));
        assertEquals(Float.POSITIVE_INFINITY, SafeTensors.halfToFloat((short) 0x7C00));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7E00)));
        assertEquals(0.333251953125f, SafeTensors.halfToFloat((short) 0x3555));
        // largest subnormal: 1023 * 2^-24
        assertEquals(1023 * (float) Math.pow(2, -24), SafeTensors.halfToFloat((short) 0x03FF));
    }

    void refused(byte[] bytes, String expected) throws IOException {
        Path f = write(bytes);
        BadFileException e = assertThrows(BadFileException.class, () -> {
            try (SafeTensors st = SafeTensors.open(f)) {
                st.entries().keySet().forEach(st::floats);
            }
        });
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    static final byte[] EIGHT = new byte[8];

    @Test
    void everyCorruptionIsAClearError() throws IOException {
        refused(new byte[5], "too short");
        // a header length larger than the file
        refused(ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array(),
                "header length 1000 does not fit a 20-byte file");
        // a negative (huge unsigned) header length
        refused(ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putLong(-3).array(),
                "does not fit");
        refused(file("{\"a\": [", EIGHT), "not valid JSON");
        refused(file("[1, 2]", EIGHT), "must be a JSON object");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", EIGHT),
                "lie outside the 8 bytes");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,0]}}", EIGHT),
                "lie outside");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", EIGHT),
                "overlap");
        refused(file("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", EIGHT),
                "unknown dtype 'Q4'");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", EIGHT),
                "span 8 bytes, but F32 [3] needs 12");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", EIGHT),
                "non-negative integers");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", EIGHT),
                "'a': field data_offsets must be [begin, end]");
        refused(file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", EIGHT),
                "'a': field dtype is missing");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,"
                + "4294967296],\"data_offsets\":[0,8]}}", EIGHT), "too many elements");
        refused(file("{\"a\":3}", EIGHT), "'a' must be an object");
        assertThrows(BadFileException.class, () -> SafeTensors.open(dir.resolve("none")));
    }

    /**
     * Random damage to a valid file (bytes flipped in the length and header, truncation,
     * bytes appended): every outcome is a clean read or a {@link BadFileException}, never
     * another exception or a read outside the file.
     */
    @Test
    void corruptedHeadersNeverCrash() throws IOException {
        byte[] good = valid();
        SplittableRandom rng = new SplittableRandom(42);
        int refusedCount = 0;
        for (int trial = 0; trial < 1500; trial++) {
            byte[] bad;
            switch (trial % 4) {
                case 0 -> {
                    bad = good.clone();
                    for (int k = 0; k < 1 + rng.nextInt(4); k++) {
                        bad[rng.nextInt(bad.length - 38)] = (byte) rng.nextInt(256);
                    }
                }
                case 1 -> bad = java.util.Arrays.copyOf(good, rng.nextInt(good.length));
                case 2 -> {
                    bad = good.clone();
                    // digits in the header swapped for other digits: offsets and shapes move
                    for (int i = 8; i < bad.length - 38; i++) {
                        if (Character.isDigit(bad[i]) && rng.nextInt(6) == 0) {
                            bad[i] = (byte) ('0' + rng.nextInt(10));
                        }
                    }
                }
                default -> {
                    bad = java.util.Arrays.copyOf(good, good.length + rng.nextInt(64));
                    bad[rng.nextInt(8)] ^= (byte) (1 << rng.nextInt(8));
                }
            }
            Path f = dir.resolve("fuzz.safetensors");
            Files.write(f, bad);
            try (SafeTensors st = SafeTensors.open(f)) {
                for (SafeTensors.Entry e : st.entries().values()) {
                    if (e.isFloatingPoint()) {
                        assertEquals(e.elements(), st.floats(e.name()).length);
                    }
                }
            } catch (BadFileException expected) {
                refusedCount++;
            }
        }
        assertTrue(refusedCount > 300, "most damage should be caught, got " + refusedCount);
    }
}
