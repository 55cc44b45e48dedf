package dev.graft.cli;

import dev.graft.data.TextData;
import picocli.CommandLine.Option;

/** Which fields of a text dataset's file hold the text and the label. */
final class TextFieldOptions {

    @Option(names = "--text-field", defaultValue = "text", paramLabel = "NAME", description =
            "Field (JSON Lines) or column (CSV, TSV) holding the text (default: ${DEFAULT-VALUE}).")
    String text;

    @Option(names = "--label-field", defaultValue = "label", paramLabel = "NAME", description =
            "Field or column holding the label (default: ${DEFAULT-VALUE}).")
    String label;

    TextData.Fields fields() {
        return new TextData.Fields(text, label);
    }
}
