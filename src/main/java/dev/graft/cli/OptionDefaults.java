package dev.graft.cli;

import java.util.Map;
import picocli.CommandLine;

/**
 * A command's own defaults for shared options (e.g. {@link TrainOptions}' {@code --epochs}),
 * by longest option name; picocli shows them in {@code --help}. A command names a subclass
 * with a no-argument constructor as its {@code defaultValueProvider}.
 */
abstract class OptionDefaults implements CommandLine.IDefaultValueProvider {

    private final Map<String, String> defaults;

    OptionDefaults(Map<String, String> defaults) {
        this.defaults = Map.copyOf(defaults);
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        return arg instanceof CommandLine.Model.OptionSpec o ? defaults.get(o.longestName())
                : null;
    }
}
