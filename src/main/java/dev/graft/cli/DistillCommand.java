package dev.graft.cli;

import dev.graft.distill.DistillReport;
import dev.graft.distill.Distillation;
import dev.graft.model.ModelOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code graft distill}: teacher to student. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a small student from a trained teacher, and compare it with the"
            + " same student trained alone.", "",
            "Kinds (--kind, comma-separated; each over --seeds seeds):",
            "  alone      the student on the labels only (the baseline)",
            "  response   + KL to the teacher's softened outputs (Hinton et al. 2015):",
            "             alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * cross-entropy",
            "  feature    + hint: MSE between an adapter (1x1 conv or linear) of a student stage",
            "             and a teacher stage (FitNets), + attention transfer on the maps",
            "  relation   + RKD: distances (weight 25) and angles (weight 50) between the",
            "             examples of a batch, student's last stage vs teacher's; its",
            "             gradients spike on near-duplicate examples, so long runs want",
            "             --clip-grad-norm 1",
            "  combined   response + feature + relation",
            "",
            "Within a seed every kind starts from the same weights and sees the same batches,",
            "so 'vs alone' is a paired difference. Without augmentation the teacher's outputs",
            "are computed once and reused every epoch (within --cache-mb).", ""},
        footer = {"", "Examples:",
            "  graft pretrain --arch convnet --width 4 --epochs 10 --out runs/teacher",
            "  graft distill --teacher runs/teacher/model --student-arch convnet --seeds 3",
            "  graft distill --teacher runs/teacher/model --kind alone,response,feature,relation,"
                + "combined",
            "  graft distill --teacher runs/teacher/model --student-arch mlp --unlabeled"
                + " --transfer-classes 0-8",
            "  graft distill --teacher runs/t1/model,runs/t2/model,runs/t3/model --seeds 3",
            "  graft distill --teacher runs/minilm-sentiment/model --student-layers 2 --epochs 3",
            ""})
final class DistillCommand implements Callable<Integer> {

    @Option(names = "--teacher", required = true, split = ",", paramLabel = "CKPT",
            description = "The teacher's checkpoint folder; several, comma-separated, make an"
                    + " ensemble teacher whose logits are the mean of theirs (Hinton et al.'s"
                    + " setting; hints and relations read the first one's stages).")
    List<Path> teachers;

    @Option(names = "--student-arch", paramLabel = "ARCH", description = "mlp, convnet or"
            + " resnet18 (default: convnet; for a text teacher: bert).")
    String studentArch;

    @Option(names = "--student-layers", defaultValue = "2", paramLabel = "N", description =
            "Text: the student keeps N of the teacher's layers, started from every"
            + " (teacher/N)-th of them and its embeddings, as DistilBERT (default:"
            + " ${DEFAULT-VALUE}).")
    int studentLayers;

    @Option(names = "--student-width", defaultValue = "1", paramLabel = "N",
            description = "Channel multiplier of a convnet student; below 1 for a thinner one, e.g."
                    + " 0.25 (default: ${DEFAULT-VALUE}).")
    double studentWidth;

    @Option(names = "--kind", defaultValue = "alone,response", description = "alone, response,"
            + " feature, relation, combined; comma-separated (default: ${DEFAULT-VALUE}).")
    String kinds;

    @Option(names = "--seeds", defaultValue = "1", description = "Repetitions of every kind "
            + "(default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = {"--temperature", "-T"}, defaultValue = "4", description = "Softmax "
            + "temperature of the response term (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--alpha", defaultValue = "0.9", description = "Weight of the response "
            + "term; cross-entropy gets 1 - alpha (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--hint-student", paramLabel = "STAGE", description = "Student stage of "
            + "the hint (default: its last stage with feature maps).")
    String hintStudent;

    @Option(names = "--hint-teacher", paramLabel = "STAGE", description = "Teacher stage of "
            + "the hint (default: the one whose maps are the smallest multiple of the"
            + " student's).")
    String hintTeacher;

    @Option(names = "--hint-weight", defaultValue = "1", description = "(default: "
            + "${DEFAULT-VALUE}).")
    double hintWeight;

    @Option(names = "--attention-weight", defaultValue = "1000", description = "Attention "
            + "transfer; 0 turns it off (default: ${DEFAULT-VALUE}).")
    double attentionWeight;

    @Option(names = "--distance-weight", defaultValue = "25", description = "RKD distance "
            + "term (default: ${DEFAULT-VALUE}).")
    double distanceWeight;

    @Option(names = "--angle-weight", defaultValue = "50", description = "RKD angle term "
            + "(default: ${DEFAULT-VALUE}).")
    double angleWeight;

    @Option(names = "--hint-epochs", defaultValue = "0", description = "FitNets' first stage:"
            + " epochs training the student up to its hint stage on the hint alone"
            + " (default: ${DEFAULT-VALUE}).")
    int hintEpochs;

    @Option(names = "--unlabeled", description = "Distill without the training labels (the "
            + "transfer set is unlabeled); needs response or combined.")
    boolean unlabeled;

    @Option(names = "--transfer-classes", paramLabel = "CLASSES", description = "Distill on "
            + "the training images of these classes only (e.g. 0-8: the student never sees"
            + " class 9, as in Hinton's experiment); the test set keeps all.")
    String transferClasses;

    @Option(names = "--cache-mb", defaultValue = "2048", description = "Memory for the "
            + "teacher's cached outputs (default: ${DEFAULT-VALUE}).")
    int cacheMb;

    @Mixin
    TaskOption head;

    @Mixin
    TaskOptions task;

    @Mixin
    TrainOptions train;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        teachers = teachers.stream().map(t -> head.resolve(t, common::log)).toList();
        dev.graft.model.ModelSpec teacher = dev.graft.model.Checkpoint.readSpec(teachers.get(0),
                "--teacher");
        boolean text = dev.graft.model.Architecture.byId(teacher.architecture()).isText();
        String arch = studentArch != null ? studentArch : text ? "bert" : "convnet";
        ModelOptions options = text ? ModelOptions.ofText(teacher.options().text().withLayers(
                studentLayers)) : new ModelOptions(studentWidth, null);
        Distillation.Config config = new Distillation.Config(teachers, task.data, task.classes,
                task.shots, transferClasses, unlabeled, task.valFraction, arch, options,
                Arrays.stream(kinds.split(",")).map(Distillation.Kind::parse).toList(), seeds,
                new Distillation.Terms(temperature, alpha, hintStudent, hintTeacher, hintWeight,
                        attentionWeight, distanceWeight, angleWeight, hintEpochs), cacheMb,
                train.toConfig(common.seed, 5, text));
        Path dir = RunNames.folder(common.out, "distill", arch, config);
        common.log("run folder: " + dir);
        Distillation.Result r = new Distillation(common::log).progress(common.progress())
                .run(config, dir);
        common.print(r, DistillReport.text(r) + "report: "
                + dir.resolve(dev.graft.report.Report.FILE) + "\n");
        return 0;
    }
}
