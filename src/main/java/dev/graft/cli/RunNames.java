package dev.graft.cli;

import dev.graft.io.Json;
import dev.graft.train.RunFolder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Default run folders: {@code runs/<time>-<command>-<name>-<hash of the config>}. */
final class RunNames {

    private RunNames() {}

    static Path folder(Path explicit, String command, String name, Object config) {
        if (explicit != null) {
            return explicit;
        }
        return RunFolder.defaultPath(command + "-" + name + "-" + hash(config));
    }

    /**
     * {@code runs/<command>-<name>-<hash>}, without a time: the same config finds the same
     * folder, so a command whose runs resume by cell (transfer) continues where it stopped.
     */
    static Path stableFolder(Path explicit, String command, String name, Object config) {
        if (explicit != null) {
            return explicit;
        }
        return Path.of("runs", command + "-" + name + "-" + hash(config));
    }

    /** First 8 hex digits of the SHA-256 of the config's JSON. */
    static String hash(Object config) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(
                    Json.line(config).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
