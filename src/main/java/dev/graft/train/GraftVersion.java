package dev.graft.train;

import ai.djl.engine.Engine;

/** Versions recorded in every checkpoint's provenance. */
public final class GraftVersion {

    private GraftVersion() {}

    /** graft's version from the jar manifest, or {@code dev} when run from classes. */
    public static String graft() {
        String v = GraftVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    public static String djl() {
        return Engine.getDjlVersion();
    }

    /** Engine name and version, e.g. {@code PyTorch 2.7.1}. */
    public static String engine() {
        Engine e = Engine.getInstance();
        return e.getEngineName() + " " + e.getVersion();
    }
}
