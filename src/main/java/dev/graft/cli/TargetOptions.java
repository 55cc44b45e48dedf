package dev.graft.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The source checkpoint and the target task, for commands that compare or advise. */
final class TargetOptions {

    @Option(names = "--model", required = true, paramLabel = "CKPT", description =
            "Pretrained checkpoint folder (the source model).")
    Path model;

    @Option(names = "--data", description = "Target dataset name or folder (default: the"
            + " model's dataset).")
    String data;

    @Option(names = "--classes", description = "Target classes, relabelled 0..k-1: 5-9, 5,6,7,"
            + " or class names (default: all).")
    String classes;

    @Option(names = "--disjoint", description = "Refuse target classes the source model was "
            + "trained on.")
    boolean disjoint;

    /** A file-name-safe label of the target classes. */
    String label() {
        return classes == null ? "all" : classes.replaceAll("[^A-Za-z0-9]+", "_");
    }
}
