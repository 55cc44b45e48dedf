package dev.graft.cli;

import dev.graft.model.Checkpoint;
import dev.graft.zoo.TextEncoders;
import java.nio.file.Path;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** {@code --task}: one head of a multi-task checkpoint, for commands that work on one. */
final class TaskOption {

    @Option(names = "--task", paramLabel = "NAME", description = "For a multi-task checkpoint"
            + " (graft multitask): the task whose head to use; its single-task checkpoint is"
            + " written beside the model as <model>-<task> on first use (default: the first"
            + " task).")
    String task;

    /**
     * The checkpoint folder a command reads: a text encoder graft carries by name
     * ({@code minilm}) materialized, then the chosen task's head.
     */
    Path resolve(Path model, Consumer<String> log) {
        Path dir = TextEncoders.resolve(model, log);
        if (task == null) {
            return dir;
        }
        Path out = Checkpoint.taskCheckpoint(dir, task);
        log.accept("model: task " + task + " of " + dir + (out.equals(dir) ? "" : ", " + out));
        return out;
    }
}
