package dev.graft.data;

import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules a list of class names keeps wherever graft reads one ({@code classes.txt},
 * {@code import --class-names}, {@code model.json}): each name is also a folder name when a
 * dataset is written as an image folder, so names must be distinct as folders, and must not
 * be {@code .}, {@code ..} or hidden (an image folder's reader skips hidden folders).
 */
public final class ClassNames {

    private ClassNames() {}

    /** Reads one class name per line (stripped; blank lines skipped) and checks the list. */
    public static List<String> read(Path file) {
        List<String> names;
        try {
            names = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new BadFileException(file, "cannot read class names: " + e.getMessage(), e);
        }
        String problem = problem(names);
        if (problem != null) {
            throw new BadFileException(file, problem + "; give one distinct name per line");
        }
        return names;
    }

    /** Fails, naming {@code where}, unless the names keep the rules. */
    public static void check(List<String> names, String where) {
        String problem = problem(names);
        if (problem != null) {
            throw new GraftException(where + ": " + problem);
        }
    }

    /** What is wrong with the names, or null. */
    static String problem(List<String> names) {
        if (names == null || names.isEmpty()) {
            return "no class names";
        }
        Map<String, String> byFolder = new HashMap<>();
        List<String> bad = new ArrayList<>();
        for (String n : names) {
            if (n == null || n.isBlank()) {
                bad.add("a blank name");
                continue;
            }
            String folder = ImageFolder.folderName(n);
            if (folder.startsWith(".")) {
                bad.add("'" + n + "' starts with a dot (it would name the folder '" + folder
                        + "', hidden or outside the dataset)");
            } else if (n.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f || ch == '\\')) {
                bad.add("'" + printable(n) + "' holds a control character or a backslash");
            }
            String before = byFolder.putIfAbsent(folder, n);
            if (before != null) {
                bad.add(before.equals(n) ? "'" + n + "' appears twice"
                        : "'" + before + "' and '" + n + "' are the same folder name '"
                                + folder + "'");
            }
        }
        return bad.isEmpty() ? null : "bad class names: " + String.join("; ", bad);
    }

    /** The name with control characters shown as {@code \\uXXXX}, safe for a terminal. */
    public static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (Character.isISOControl(cp)) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }
}
