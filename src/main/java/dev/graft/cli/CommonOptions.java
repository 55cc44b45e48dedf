package dev.graft.cli;

import dev.graft.io.Json;
import dev.graft.train.Progress;
import java.io.PrintStream;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command shares. */
final class CommonOptions {

    @Option(names = "--json", description = "Print the result as one JSON object on stdout "
            + "(progress and logs go to stderr).")
    boolean json;

    @Option(names = "--seed", defaultValue = "42", description = "Root seed: data splits, "
            + "initial weights, shuffling and dropout all derive from it (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder for results and "
            + "checkpoints (default: runs/<time>-<command>-<config hash>).")
    Path out;

    @Option(names = {"-q", "--quiet"}, description = "No progress or log lines on stderr.")
    boolean quiet;

    /** For a command that writes no files: a given --out would be silently ignored. */
    void refuseOut(String command) {
        if (out != null) {
            throw new IllegalArgumentException(command + " writes no files, so --out " + out
                    + " would be ignored; drop it (--json gives the result to keep)");
        }
    }

    /** Log lines go to stderr unless quiet. */
    void log(String line) {
        if (!quiet) {
            System.err.println(line);
        }
    }

    Progress progress() {
        return quiet ? Progress.SILENT : Progress.console(System.err);
    }

    /** Prints {@code result} as JSON when asked, else the human text. */
    void print(Object result, String human) {
        PrintStream out = System.out;
        if (json) {
            out.println(Json.line(result));
        } else {
            out.print(human);
        }
        out.flush();
    }
}
