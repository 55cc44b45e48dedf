package dev.graft.cli;

import dev.graft.io.GraftException;
import dev.graft.train.GraftVersion;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code graft}: the transfer-learning workbench's command line. */
@Command(name = "graft", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"A transfer-learning workbench for the JVM: train a network on one task,",
            "make it serve another, make it small, and see what carried over.", ""},
        footer = {"", "Run 'graft COMMAND --help' for a command's options.",
            "Every command accepts --json (one JSON object on stdout; progress on stderr),",
            "--seed and --out (the run folder, by default runs/<time>-<name>).",
            "'./graft spark extract|probe|predict|transfer' runs the data-parallel jobs on",
            "Apache Spark (the spark/ module, built on first use; './graft spark --help')."},
        subcommands = {PretrainCommand.class, EvaluateCommand.class, ExtractCommand.class,
            ProbeCommand.class, FinetuneCommand.class, AdviseCommand.class, DemoCommand.class,
            TransferCommand.class, AdaptCommand.class, ExploreCommand.class, DistillCommand.class,
            MultitaskCommand.class,
            PruneCommand.class,
            LowRankCommand.class, ClusterCommand.class,
            QuantizeCommand.class, LotteryCommand.class, AnalyzeCommand.class,
            ExportCommand.class, CompressCommand.class, ImportCommand.class,
            PredictCommand.class, BenchCommand.class, TfIdfCommand.class,
            DataCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    /** Columns of --help output. */
    static final int HELP_WIDTH = 100;

    /** Exit code for bad input (files, options): the message says what to fix. */
    static final int BAD_INPUT = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests). */
    public static int run(String... args) {
        System.setProperty("ai.djl.offline", "true");
        CommandLine cli = new CommandLine(new Main());
        // descriptions are written as lines of up to ~100 characters; picocli's default of 80
        // would break them mid-sentence
        cli.setUsageHelpWidth(HELP_WIDTH);
        var adaptHelp = cli.getSubcommands().get("adapt").getCommandSpec().usageMessage();
        adaptHelp.footer((String.join("\n", adaptHelp.footer()) + "\n" + AdaptCommand.footer())
                .split("\n"));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            String name = cmd.getCommandSpec().qualifiedName();
            if (e instanceof GraftException || e instanceof IllegalArgumentException) {
                err.println(name + ": error: " + e.getMessage());
                err.flush();
                return BAD_INPUT;
            }
            if (e instanceof java.io.UncheckedIOException io) { // the disk or a file, not a bug
                err.println(name + ": error: " + dev.graft.io.AtomicFiles.describe(io.getCause()));
                err.flush();
                return BAD_INPUT;
            }
            err.println(name + ": internal error. This is a bug in graft, not in your input;"
                    + " please report it with the command line and the trace below.");
            e.printStackTrace(err);
            err.flush();
            return 1;
        });
        cli.setParameterExceptionHandler((e, args0) -> {
            PrintWriter err = e.getCommandLine().getErr();
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            err.println(name + ": error: " + e.getMessage());
            err.println("Run '" + name + " --help' for usage.");
            err.flush();
            return BAD_INPUT;
        });
        String unknown = unknownCommand(cli, args);
        if (unknown != null) {
            PrintWriter err = cli.getErr();
            err.println("graft: error: unknown command '" + unknown + "'; the commands are "
                    + String.join(", ", cli.getSubcommands().keySet()));
            err.println("Run 'graft --help' for what each does.");
            err.flush();
            return BAD_INPUT;
        }
        cli.setExecutionStrategy(Main::executeKeepingNoEmptyOut);
        return cli.execute(args);
    }

    /**
     * Runs the command; when it fails, an --out folder it created and left empty (or holding
     * only leftovers of interrupted writes) is removed, so a refused command leaves nothing
     * behind. A folder that existed before, or holds anything, is never touched.
     */
    private static int executeKeepingNoEmptyOut(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult last = parsed;
        while (last.hasSubcommand()) {
            last = last.subcommand();
        }
        java.nio.file.Path out = last.hasMatchedOption("--out")
                ? last.matchedOptionValue("--out", (java.nio.file.Path) null) : null;
        boolean existed = out != null && java.nio.file.Files.exists(out);
        int code = 1; // a command that throws reaches the exception handler after this
        try {
            code = new CommandLine.RunLast().execute(parsed);
        } finally {
            if (code != 0 && out != null && !existed) {
                removeIfEmpty(out);
            }
        }
        return code;
    }

    private static void removeIfEmpty(java.nio.file.Path dir) {
        try {
            if (java.nio.file.Files.isDirectory(dir)
                    && dev.graft.io.AtomicFiles.contents(dir, "--out").isEmpty()) {
                dev.graft.io.AtomicFiles.deleteTree(dir);
            }
        } catch (java.io.IOException | GraftException e) {
            // best effort: an empty folder is all that stays
        }
    }

    /**
     * The first word, when it is neither an option nor a command (picocli would print the
     * top-level help for {@code graft nosuchcommand --help} and exit 0), else null.
     */
    private static String unknownCommand(CommandLine cli, String[] args) {
        if (args.length == 0 || args[0].startsWith("-")
                || cli.getSubcommands().containsKey(args[0])) {
            return null;
        }
        return args[0];
    }

    /** Version line: graft, DJL and engine. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"graft " + GraftVersion.graft() + " (DJL " + GraftVersion.djl()
                    + ")"};
        }
    }
}
