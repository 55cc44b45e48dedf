package dev.graft.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The one JSON configuration graft reads and writes with. */
public final class Json {

    /** Pretty-printing mapper for files people read. */
    public static final ObjectMapper MAPPER =
            new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Single-line mapper for JSON Lines and {@code --json} output. */
    public static final ObjectMapper COMPACT =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Json() {}

    /** Writes a value as pretty JSON, atomically. */
    public static void write(Path file, Object value) {
        try {
            AtomicFiles.writeString(file, MAPPER.writeValueAsString(value) + "\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass(), e);
        }
    }

    /** One line of JSON. */
    public static String line(Object value) {
        try {
            return COMPACT.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass(), e);
        }
    }

    /** Reads a JSON file into a type, naming the file in any error. */
    public static <T> T read(Path file, Class<T> type) {
        try {
            return MAPPER.readValue(Files.readAllBytes(file), type);
        } catch (NoSuchFileException e) {
            throw new BadFileException(file, "file not found");
        } catch (IOException e) {
            throw new BadFileException(file, "not valid JSON for " + type.getSimpleName() + ": "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /**
     * Whether {@code stored} (parsed from a file) holds {@code value}. The value goes through
     * text first, so numbers compare as parsed: an int-sized {@code long} reads back as an int.
     */
    public static boolean sameAs(com.fasterxml.jackson.databind.JsonNode stored, Object value) {
        try {
            return MAPPER.readTree(MAPPER.writeValueAsString(value)).equals(stored);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value, e);
        }
    }

    /**
     * Where {@code stored} and {@code value} differ, field by field: {@code "train.epochs: 3 ->
     * 5"}. Paths in {@code ignored} (dotted) are skipped; arrays compare whole.
     */
    public static java.util.List<String> differences(com.fasterxml.jackson.databind.JsonNode
            stored, Object value, java.util.Set<String> ignored) {
        com.fasterxml.jackson.databind.JsonNode given;
        try {
            given = MAPPER.readTree(MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value, e);
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        diff("", stored, given, ignored, out);
        return out;
    }

    private static void diff(String path, com.fasterxml.jackson.databind.JsonNode a,
            com.fasterxml.jackson.databind.JsonNode b, java.util.Set<String> ignored,
            java.util.List<String> out) {
        if (ignored.contains(path) || a.equals(b)) {
            return;
        }
        if (a.isObject() && b.isObject()) {
            java.util.Set<String> names = new java.util.TreeSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                diff(path.isEmpty() ? n : path + "." + n, a.path(n), b.path(n), ignored, out);
            }
            return;
        }
        out.add((path.isEmpty() ? "(whole)" : path) + ": " + shown(a) + " -> " + shown(b));
    }

    private static String shown(com.fasterxml.jackson.databind.JsonNode n) {
        return n.isMissingNode() ? "(absent)" : n.toString();
    }
}
