package dev.graft.adapt;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.List;

/**
 * What one cell of an adaptation runs: a method, optionally after AdaBN ({@code
 * adabn+self-training} re-estimates BatchNorm statistics on the target, then trains).
 *
 * @param adabn re-estimate BatchNorm statistics on the target first
 * @param method the method (ADABN alone when nothing trains after it)
 */
public record Recipe(boolean adabn, Method method) {

    public Recipe {
        if (adabn && (method == Method.ADABN || method == Method.ORACLE
                || !(method.trains() || method.onCodes()))) {
            throw new IllegalArgumentException("adabn+" + method.id() + " does not combine:"
                    + " adabn goes before a method that trains on the target or reads its codes");
        }
    }

    /** Parses {@code METHOD} or {@code adabn+METHOD}. */
    @JsonCreator
    public static Recipe parse(String s) {
        String[] parts = s.trim().split("\\+");
        if (parts.length == 1) {
            return new Recipe(false, Method.parse(parts[0]));
        }
        if (parts.length == 2 && Method.parse(parts[0]) == Method.ADABN) {
            return new Recipe(true, Method.parse(parts[1]));
        }
        throw new IllegalArgumentException("'" + s + "': methods combine only as"
                + " adabn+METHOD, e.g. adabn+self-training");
    }

    /** Parses a comma-separated list, refusing repeats. */
    public static List<Recipe> parseList(String s) {
        List<Recipe> out = new ArrayList<>();
        for (String part : s.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            Recipe r = parse(part);
            if (out.contains(r)) {
                throw new IllegalArgumentException("--methods lists " + r.id() + " twice");
            }
            out.add(r);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--methods lists nothing to run");
        }
        return out;
    }

    @JsonValue
    public String id() {
        return adabn ? "adabn+" + method.id() : method.id();
    }

    /** Whether it trains on target labels (the oracle): never a candidate for selection. */
    public boolean readsTargetLabels() {
        return method == Method.ORACLE;
    }

    /** Whether its result is the same for every seed (nothing random happens). */
    public boolean deterministic() {
        return !method.trains();
    }
}
