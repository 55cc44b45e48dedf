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
 * A checkpoint folder shipped with a job, so executors need no copy of their own and nothing
 * downloads: each of its files added to the job under the folder's content hash (Spark adds
 * whole folders only in local mode), the folder rebuilt from them on each executor and checked
 * against the SHA-256 of its {@code model.json} and weights.
 *
 * @param origin the folder on the driver's machine, which the driver (and an embedded
 *     executor) reads in place
 * @param files the folder's file names
 */
record Shipped(String origin, String hash, List<String> files) implements Serializable {

    /** Adds the files of {@code dir} to the job. */
    static Shipped ship(JavaSparkContext jsc, Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        String hash = contentHash(abs);
        List<String> names;
        try (var list = Files.list(abs)) {
            names = list.filter(Files::isRegularFile).map(f -> f.getFileName().toString())
                    .sorted().toList();
        } catch (IOException e) {
            throw new GraftException("cannot read the checkpoint " + abs + ": " + e.getMessage(),
                    e);
        }
        Path staging;
        try {
            staging = Files.createTempDirectory("graft-ship");
            for (String n : names) {
                // under its own name (Spark serves a symbolic link under its target's): a hard
                // link where the file system allows one, else a copy
                Path link = staging.resolve(key(hash, n));
                try {
                    Files.createLink(link, abs.resolve(n));
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(abs.resolve(n), link);
                }
                link.toFile().deleteOnExit();
                jsc.sc().addFile(link.toString());
            }
            staging.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new GraftException("cannot stage the checkpoint " + abs + " for the executors: "
                    + e.getMessage(), e);
        }
        return new Shipped(abs.toString(), hash, names);
    }

    private static String key(String hash, String file) {
        return hash.substring(0, 16) + "-" + file;
    }

    /** The executor's copy (rebuilt once per JVM), checked against the driver's. */
    synchronized Path local() {
        boolean driver = "driver".equals(org.apache.spark.SparkEnv.get().executorId());
        Path dir = driver ? Path.of(origin) : Path.of(SparkFiles.getRootDirectory())
                .toAbsolutePath().resolve("checkpoint-" + hash.substring(0, 16));
        try {
            if (!driver && !Files.isRegularFile(dir.resolve(Checkpoint.SPEC))) {
                Path tmp = Files.createTempDirectory(dir.getParent(), ".checkpoint");
                for (String n : files) {
                    Files.copy(Path.of(SparkFiles.get(key(hash, n))), tmp.resolve(n));
                }
                try {
                    Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } catch (java.nio.file.FileAlreadyExistsException
                        | java.nio.file.DirectoryNotEmptyException raced) {
                    // another task of this executor rebuilt it first
                }
            }
        } catch (IOException e) {
            throw new GraftException("cannot rebuild the shipped checkpoint in " + dir + ": "
                    + e.getMessage(), e);
        }
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
