package dev.graft.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from {@code /proc/self/status}, native and heap together.
 * {@link #resetPeak()} restarts the peak so it can be read per epoch.
 */
public final class MemoryProbe {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
    private static final Path STAT = Path.of("/proc/self/stat");

    private MemoryProbe() {}

    /** Restarts the peak-RSS counter (Linux: writing 5 to clear_refs); a no-op elsewhere. */
    public static void resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
        } catch (IOException | UnsupportedOperationException | SecurityException ignored) {
            // the peak then covers the whole process lifetime, which still bounds the epoch
        }
    }

    /** Peak resident set size in MiB since the last reset, or NaN where unknown. */
    public static double peakRssMb() {
        return field("VmHWM:");
    }

    /**
     * Minor page faults of this process so far (each a page the kernel maps and zeroes on first
     * touch), or -1 where unknown. Memory freed to the kernel and touched again faults again.
     */
    public static long minorFaults() {
        try {
            String stat = Files.readString(STAT);
            // the fields after the command name, which is in parentheses and may hold spaces
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Heap in use in MiB. */
    public static double heapUsedMb() {
        Runtime r = Runtime.getRuntime();
        return (r.totalMemory() - r.freeMemory()) / (1024.0 * 1024.0);
    }

    private static double field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux: report unknown rather than a made-up figure
        }
        return Double.NaN;
    }
}
