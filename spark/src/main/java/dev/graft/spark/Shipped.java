package dev.graft.spark;

import dev.graft.io.GraftException;
import dev.graft.model.Checkpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A checkpoint folder shipped with a job ({@code addFile}, so executors need no copy of their
 * own and nothing downloads), named by its folder name and checked on arrival by the SHA-256 of
 * its {@code model.json} and weights.
 */
record Shipped(String name, String hash) implements Serializable {

    /** Adds {@code dir} to the job's files. */
    static Shipped ship(JavaSparkContext jsc, Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        jsc.sc().addFile(abs.toString(), true);
        return new Shipped(abs.getFileName().toString(), contentHash(abs));
    }

    /** The executor's copy, checked against the driver's. */
    Path local() {
        Path dir = Path.of(SparkFiles.get(name));
        String found = contentHash(dir);
        if (!found.equals(hash)) {
            throw new GraftException("the checkpoint shipped to this executor (" + dir + ") is"
                    + " not the driver's: content hash " + found + ", expected " + hash);
        }
        return dir;
    }

    static String contentHash(Path dir) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String f : List.of(Checkpoint.SPEC, Checkpoint.WEIGHTS)) {
                try (InputStream in = new DigestInputStream(Files.newInputStream(dir.resolve(f)),
                        md)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new GraftException("cannot read the checkpoint " + dir + ": " + e.getMessage(),
                    e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
