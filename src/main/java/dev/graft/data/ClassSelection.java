package dev.graft.data;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Parses {@code --classes} values: {@code 0-4}, {@code 5,6,7}, {@code 0-2,7}, or class names. */
public final class ClassSelection {

    private ClassSelection() {}

    /**
     * @param spec the option's text
     * @param classNames the dataset's classes, to resolve names and check ranges
     * @return class indices in the order given
     */
    public static int[] parse(String spec, List<String> classNames) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("--classes is empty; give e.g. 0-4 or 5,6,7");
        }
        Set<Integer> out = new LinkedHashSet<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                throw new IllegalArgumentException("--classes '" + spec + "' has an empty item");
            }
            int dash = p.indexOf('-', 1);
            if (dash > 0 && isInt(p.substring(0, dash)) && isInt(p.substring(dash + 1))) {
                int lo = Integer.parseInt(p.substring(0, dash).trim());
                int hi = Integer.parseInt(p.substring(dash + 1).trim());
                if (hi < lo) {
                    throw new IllegalArgumentException("--classes range '" + p
                            + "' runs backwards; write " + hi + "-" + lo);
                }
                for (int c = lo; c <= hi; c++) {
                    add(out, c, spec, classNames);
                }
            } else if (isInt(p)) {
                add(out, Integer.parseInt(p), spec, classNames);
            } else {
                int idx = indexOfName(p, classNames);
                if (idx < 0) {
                    throw new IllegalArgumentException("--classes names '" + p
                            + "', which is not a class; classes are 0-" + (classNames.size() - 1)
                            + " " + classNames);
                }
                add(out, idx, spec, classNames);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void add(Set<Integer> out, int c, String spec, List<String> classNames) {
        if (c < 0 || c >= classNames.size()) {
            throw new IllegalArgumentException("--classes " + spec + " names class " + c
                    + ", which does not exist: classes are 0-" + (classNames.size() - 1) + " "
                    + classNames);
        }
        if (!out.add(c)) {
            throw new IllegalArgumentException("--classes " + spec + " lists class " + c
                    + " twice");
        }
    }

    private static int indexOfName(String name, List<String> classNames) {
        List<String> lower = new ArrayList<>();
        classNames.forEach(n -> lower.add(n.toLowerCase(java.util.Locale.ROOT)));
        return lower.indexOf(name.toLowerCase(java.util.Locale.ROOT));
    }

    private static boolean isInt(String s) {
        String t = s.trim();
        if (t.isEmpty()) {
            return false;
        }
        for (int i = 0; i < t.length(); i++) {
            if (!Character.isDigit(t.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
