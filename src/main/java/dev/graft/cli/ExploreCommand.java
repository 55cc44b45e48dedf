package dev.graft.cli;

import dev.graft.explore.ExploreReport;
import dev.graft.explore.Exploration;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft explore}: unsupervised transfer on cached codes. */
@Command(name = "explore", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Cluster and project cached codes (from graft extract): unsupervised"
            + " transfer.", "",
            "A pretrained network meets data nobody labelled for it. For each folder of codes",
            "(one stage each), k-means (k given, or the best silhouette from 2 to --k-max),",
            "its NMI and adjusted Rand index against the labels where they exist, and",
            "pictures: PCA and t-SNE (exact, scikit-learn's defaults: perplexity 30, 1,000",
            "iterations) of a sample, by label and by cluster. Several folders, one per stage,",
            "say which stage's codes cluster the data best.", ""},
        footer = {"", "Examples:",
            "  graft extract --model runs/fm/model --stage stage2 --data mnist-small --out c2",
            "  graft extract --model runs/fm/model --stage stage3 --data mnist-small --out c3",
            "  graft explore --codes c2,c3 --out runs/explore-mnist",
            "  graft explore --codes c3 --k 10 --json"})
final class ExploreCommand implements Callable<Integer> {

    @Option(names = "--codes", required = true, split = ",", paramLabel = "DIR",
            description = "Folders written by graft extract, comma-separated.")
    List<Path> codes;

    @Option(names = "--split", defaultValue = "train", description = "Split of each folder to"
            + " read (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--k", description = "Number of clusters (default: the best silhouette"
            + " from 2 to --k-max).")
    Integer k;

    @Option(names = "--k-max", defaultValue = "15", description = "Largest k tried when --k is"
            + " not given (default: ${DEFAULT-VALUE}).")
    int kMax;

    @Option(names = "--sample", defaultValue = "10000", description = "Codes clustered, at"
            + " most: a seeded random sample (default: ${DEFAULT-VALUE}).")
    int sample;

    @Option(names = "--projection-sample", defaultValue = "1000", description = "Codes drawn in"
            + " 2-D, at most; t-SNE's time grows with its square (default: ${DEFAULT-VALUE}).")
    int projectionSample;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        Exploration.Config c = new Exploration.Config(codes, split, k, kMax, sample,
                projectionSample, common.seed);
        Path dir = RunNames.stableFolder(common.out, "explore", codes.get(0).getFileName()
                .toString(), c);
        Exploration.Result r = new Exploration(common::log).run(c, dir);
        common.print(r, ExploreReport.text(r) + "report: " + dir.resolve(
                dev.graft.report.Report.FILE) + "\n");
        return 0;
    }
}
