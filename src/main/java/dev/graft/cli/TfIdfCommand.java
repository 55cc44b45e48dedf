package dev.graft.cli;

import dev.graft.data.ClassSelection;
import dev.graft.data.TextData;
import dev.graft.data.TextDataset;
import dev.graft.train.Seeds;
import dev.graft.transfer.TfIdf;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft tfidf}: the no-transfer baseline of text. */
@Command(name = "tfidf", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The baseline a text transfer must beat: word 1-2-gram TF-IDF and"
            + " logistic regression.", "",
            "As scikit-learn's TfidfVectorizer(ngram_range=(1, 2)) + LogisticRegression:",
            "lowercased words of two or more letters, smoothed idf, unit-length rows;",
            "LIBLINEAR's L2 logistic regression with C chosen on 20%% of the training texts.",
            "No pretrained model is involved: it shows what the labels alone give.", ""},
        footer = {"", "Example (8 labelled reviews per class):",
            "  graft tfidf --data uci-sentiment --shots 8"})
final class TfIdfCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "Text data: uci-sentiment[:SITES],"
            + " FILE.jsonl|csv|tsv, or train=FILE,test=FILE.")
    String data;

    @Option(names = "--classes", description = "Classes to keep, relabelled 0..k-1.")
    String classes;

    @Option(names = "--shots", description = "Training texts per class (default: all).")
    Integer shots;

    @Mixin
    TextFieldOptions fields;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        common.refuseOut("tfidf");
        TextData.Resolved r = TextData.resolve(data, fields.fields(), common::log);
        TextDataset train = r.train();
        TextDataset test = r.test();
        if (classes != null) {
            int[] cls = ClassSelection.parse(classes, train.classNames());
            train = train.withClasses(cls);
            test = test.withClasses(cls);
        }
        if (shots != null) {
            train = train.sampleShots(shots, Seeds.derive(common.seed, "shots"));
        }
        TfIdf.Result res = TfIdf.run(train, test, Seeds.derive(common.seed, "split"));
        common.print(res, String.format("TF-IDF (1-2 grams, %,d features) + logistic regression"
                + " on %,d texts: test accuracy %.2f%%, C = %s%n", res.vocabulary(),
                res.trainExamples(), 100 * res.testAccuracy(), res.c()));
        return 0;
    }
}
