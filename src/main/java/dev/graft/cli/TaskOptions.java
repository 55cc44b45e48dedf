package dev.graft.cli;

import picocli.CommandLine.Option;

/** Which data a training command learns from: dataset, class subset, label budget, validation. */
final class TaskOptions {

    @Option(names = "--data", description = "Dataset name (fashion-mnist, fashion-mnist-small ="
            + " the bundled subset), a folder of IDX files, or an image folder (train/<class>/*.png"
            + "|jpg and test/<class>/..., resized and cropped to the model's input) (default:"
            + " fashion-mnist, or the model's dataset when fine-tuning).")
    String data;

    @Option(names = "--classes", description = "Use these classes only, relabelled 0..k-1 in "
            + "the order given: 0-4, 5,6,7, or class names.")
    String classes;

    @Option(names = "--shots", description = "Labelled training images per class (default: "
            + "all).")
    Integer shots;

    @Option(names = "--val-fraction", defaultValue = "0.1", description = "Share of each class "
            + "held out for validation and early stopping, before --shots sampling; 0 for none "
            + "(default: ${DEFAULT-VALUE}).")
    double valFraction;
}
