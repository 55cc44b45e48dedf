package dev.graft.data;

import dev.graft.io.AtomicFiles;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Makes a stratified subset of a dataset (the same number of images from every class, chosen by
 * a seeded shuffle) and writes it as IDX files plus {@code classes.txt}: how the subset bundled
 * in the jar is made from the full Fashion-MNIST ({@code graft data subset}).
 */
public final class SubsetMaker {

    private SubsetMaker() {}

    /**
     * @param trainPerClass images per class from the training split
     * @param testPerClass images per class from the test split
     * @param all write every image of both splits instead (the counts are ignored)
     */
    public static void write(DatasetResolver.Resolved full, int trainPerClass, int testPerClass,
            boolean all, long seed, Path out) {
        AtomicFiles.requireEmpty(out, "--out");
        DatasetResolver.Resolved s = all ? full
                : sample(full, trainPerClass, testPerClass, seed);
        ImageDataset train = s.train();
        ImageDataset test = s.test();
        IdxWriter.writeDataset(train, out.resolve("train-images-idx3-ubyte.gz"),
                out.resolve("train-labels-idx1-ubyte.gz"));
        IdxWriter.writeDataset(test, out.resolve("t10k-images-idx3-ubyte.gz"),
                out.resolve("t10k-labels-idx1-ubyte.gz"));
        AtomicFiles.writeString(out.resolve("classes.txt"),
                String.join("\n", full.train().classNames()) + "\n");
    }

    /** The same count of images from every class of each split, drawn with {@code seed}. */
    public static DatasetResolver.Resolved sample(DatasetResolver.Resolved full,
            int trainPerClass, int testPerClass, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return new DatasetResolver.Resolved(full.train().sampleShots(trainPerClass,
                rng.nextLong()), full.test().sampleShots(testPerClass, rng.nextLong()),
                full.source());
    }
}
