package dev.graft.train;

import java.io.PrintStream;
import java.util.function.Supplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Where long work reports how far it has got. */
public interface Progress {

    /** Starts a task of {@code max} units. */
    void start(String task, long max);

    /**
     * One unit done; {@code message} summarizes the state (loss, accuracy, speed). It is a
     * supplier so that progress nobody watches costs no formatting in the training step.
     */
    void step(Supplier<String> message);

    /** The task is over; {@code summary} is its one-line result. */
    void finish(String summary);

    /** The same progress, every task named after {@code label} (e.g. which run it is). */
    default Progress labelled(String label) {
        Progress inner = this;
        return new Progress() {
            @Override
            public void start(String task, long max) {
                inner.start(label + ", " + task, max);
            }

            @Override
            public void step(Supplier<String> message) {
                inner.step(message);
            }

            @Override
            public void finish(String summary) {
                inner.finish(summary);
            }
        };
    }

    /** Reports nothing. */
    Progress SILENT = new Progress() {
        @Override
        public void start(String task, long max) {}

        @Override
        public void step(Supplier<String> message) {}

        @Override
        public void finish(String summary) {}
    };

    /** A progress bar on a terminal, one line per task otherwise (logs, CI). */
    static Progress console(PrintStream err) {
        return System.console() != null ? new Bar(err) : new Lines(err);
    }

    /** An animated bar on stderr. */
    final class Bar implements Progress {
        private final PrintStream err;
        private ProgressBar bar;

        Bar(PrintStream err) {
            this.err = err;
        }

        @Override
        public void start(String task, long max) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(err)).continuousUpdate().build();
        }

        @Override
        public void step(Supplier<String> message) {
            bar.step();
            bar.setExtraMessage(message.get());
        }

        @Override
        public void finish(String summary) {
            bar.setExtraMessage(summary);
            bar.close();
        }
    }

    /** One line per finished task. */
    final class Lines implements Progress {
        private final PrintStream err;
        private String task;

        Lines(PrintStream err) {
            this.err = err;
        }

        @Override
        public void start(String task, long max) {
            this.task = task;
        }

        @Override
        public void step(Supplier<String> message) {}

        @Override
        public void finish(String summary) {
            err.println(task + ": " + summary);
        }
    }
}
