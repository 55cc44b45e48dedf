package dev.graft.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.ClassSelection;
import dev.graft.data.Examples;
import dev.graft.data.ImageDataset;
import dev.graft.data.Labelled;
import dev.graft.data.TensorDataset;
import dev.graft.data.TextData;
import dev.graft.data.TextDataset;
import dev.graft.data.TextTokenizer;
import dev.graft.io.GraftException;
import dev.graft.model.Adapter;
import dev.graft.model.Architecture;
import dev.graft.model.Checkpoint;
import dev.graft.model.ModelOptions;
import dev.graft.model.ModelSpec;
import dev.graft.model.Pooling;
import dev.graft.model.StagedNet;
import dev.graft.train.Benchmark;
import dev.graft.train.EpochCost;
import dev.graft.train.EpochMetrics;
import dev.graft.train.Evaluation;
import dev.graft.train.GraftVersion;
import dev.graft.train.LrSchedule;
import dev.graft.train.OneDnnCheck;
import dev.graft.train.ParamGroup;
import dev.graft.train.Pretrain;
import dev.graft.train.Progress;
import dev.graft.train.RunFolder;
import dev.graft.train.RunTraining;
import dev.graft.train.Seeds;
import dev.graft.train.Spread;
import dev.graft.train.TrainConfig;
import dev.graft.train.TrainingDivergedException;
import dev.graft.train.TrainingLoop;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Teacher to student: trains the same student architecture alone and under each distillation
 * kind, over several seeds (every kind starts from the same initial weights and sees the same
 * batches within a seed), and compares them with the teacher.
 */
public final class Distillation {

    /** What the student learns from besides (or instead of) the labels. */
    public enum Kind {
        /** No teacher: the student trained alone, the baseline. */
        ALONE(false, false, false),
        /** Softened logits (Hinton et al. 2015). */
        RESPONSE(true, false, false),
        /** Hints through an adapter plus attention transfer (FitNets; Zagoruyko 2017). */
        FEATURE(false, true, false),
        /** Distances and angles between examples (RKD, Park et al. 2019). */
        RELATION(false, false, true),
        /** All three. */
        COMBINED(true, true, true);

        private final boolean response;
        private final boolean hints;
        private final boolean relations;

        Kind(boolean response, boolean hints, boolean relations) {
            this.response = response;
            this.hints = hints;
            this.relations = relations;
        }

        public boolean usesResponse() {
            return response;
        }

        public boolean usesHints() {
            return hints;
        }

        public boolean usesRelations() {
            return relations;
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.id().equalsIgnoreCase(s.trim())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("--kind " + s + " is not one of alone, response,"
                    + " feature, relation, combined");
        }
    }

    /**
     * The distillation terms' settings.
     *
     * @param temperature softens both softmaxes of the response term
     * @param alpha weight of the response term; the labels' cross-entropy gets 1 - alpha
     * @param hintStudent the student stage whose output is adapted to the teacher's (null: the
     *     student's last stage with feature maps)
     * @param hintTeacher the teacher stage it must match (null: the one whose maps are the
     *     smallest multiple of the student's)
     * @param hintWeight weight of the hint's mean squared error
     * @param attentionWeight weight of attention transfer (0 turns it off)
     * @param distanceWeight weight of RKD's distance term
     * @param angleWeight weight of RKD's angle term
     * @param hintEpochs epochs of FitNets' first stage (only the hint, training the student up
     *     to its hint stage) before the main training; 0 skips it
     */
    public record Terms(
            @JsonProperty("temperature") double temperature,
            @JsonProperty("alpha") double alpha,
            @JsonProperty("hint_student") String hintStudent,
            @JsonProperty("hint_teacher") String hintTeacher,
            @JsonProperty("hint_weight") double hintWeight,
            @JsonProperty("attention_weight") double attentionWeight,
            @JsonProperty("distance_weight") double distanceWeight,
            @JsonProperty("angle_weight") double angleWeight,
            @JsonProperty("hint_epochs") int hintEpochs) {

        public Terms {
            if (!(temperature > 0)) {
                throw new IllegalArgumentException("--temperature must be > 0, got "
                        + temperature);
            }
            if (!(alpha >= 0 && alpha <= 1)) {
                throw new IllegalArgumentException("--alpha must be in [0, 1], got " + alpha);
            }
            for (double w : new double[] {hintWeight, attentionWeight, distanceWeight,
                angleWeight}) {
                if (!(w >= 0)) {
                    throw new IllegalArgumentException("loss weights must be >= 0, got " + w);
                }
            }
            if (hintEpochs < 0) {
                throw new IllegalArgumentException("--hint-epochs must be >= 0, got "
                        + hintEpochs);
            }
        }

        /** T = 4, alpha = 0.9, hint 1, attention 1000, RKD distance 25 and angle 50. */
        public static Terms defaults() {
            return new Terms(4, 0.9, null, null, 1, 1000, 25, 50, 0);
        }
    }

    /**
     * Everything a distillation run depends on.
     *
     * @param teachers the teacher's checkpoint, or several: an ensemble whose logits are the
     *     mean of theirs (hints and relations read the first one's stages)
     * @param data dataset name or folder (null: the teacher's)
     * @param classes class subset of the task, as the teacher was trained (null: all)
     * @param transferClasses the training images used for distillation are those of these
     *     classes only (null: all); the test set keeps every class
     * @param unlabeled distill without the training labels (no cross-entropy term)
     * @param kinds what to train, e.g. alone and response
     * @param seeds repetitions; kinds share initial weights and batches within a seed
     * @param cacheMb memory budget for the teacher's cached outputs
     */
    public record Config(
            @JsonProperty("teachers") List<Path> teachers,
            @JsonProperty("data") String data,
            @JsonProperty("classes") String classes,
            @JsonProperty("shots") Integer shots,
            @JsonProperty("transfer_classes") String transferClasses,
            @JsonProperty("unlabeled") boolean unlabeled,
            @JsonProperty("val_fraction") double valFraction,
            @JsonProperty("student") String student,
            @JsonProperty("student_options") ModelOptions studentOptions,
            @JsonProperty("kinds") List<Kind> kinds,
            @JsonProperty("seeds") int seeds,
            @JsonProperty("terms") Terms terms,
            @JsonProperty("cache_mb") int cacheMb,
            @JsonProperty("train") TrainConfig train) {

        public Config {
            teachers = List.copyOf(teachers);
            if (teachers.isEmpty()) {
                throw new IllegalArgumentException("--teacher names no checkpoint");
            }
            if (new LinkedHashSet<>(teachers).size() != teachers.size()) {
                throw new IllegalArgumentException("--teacher lists a checkpoint twice: "
                        + teachers);
            }
            kinds = List.copyOf(new LinkedHashSet<>(kinds));
            if (kinds.isEmpty()) {
                throw new IllegalArgumentException("--kind lists nothing to train");
            }
            if (seeds < 1) {
                throw new IllegalArgumentException("--seeds must be at least 1, got " + seeds);
            }
            if (cacheMb < 0) {
                throw new IllegalArgumentException("--cache-mb must be >= 0, got " + cacheMb);
            }
            if (unlabeled) {
                for (Kind k : kinds) {
                    if (k != Kind.ALONE && !k.usesResponse()) {
                        throw new IllegalArgumentException("--unlabeled: " + k.id() + " has no"
                                + " term that teaches the student's head without labels; use"
                                + " response or combined");
                    }
                }
            }
            Architecture.byId(student);
        }
    }

    /**
     * Which stages the terms connect.
     *
     * @param hintSize the spatial size both hint maps are compared at ({@code [h, w]}), or null
     *     for vectors
     */
    public record Plan(
            @JsonProperty("hint_student") String hintStudent,
            @JsonProperty("hint_teacher") String hintTeacher,
            @JsonProperty("hint_size") long[] hintSize,
            @JsonProperty("relation_student") String relationStudent,
            @JsonProperty("relation_teacher") String relationTeacher) {}

    /**
     * One student run.
     *
     * @param testAccuracy null when training diverged
     * @param diverged why training stopped on a non-finite loss, or null when it finished
     */
    public record StudentRun(
            @JsonProperty("kind") Kind kind,
            @JsonProperty("seed_index") int seedIndex,
            @JsonProperty("test_accuracy") Double testAccuracy,
            @JsonProperty("best_epoch") int bestEpoch,
            @JsonProperty("train_images_per_second") Double trainImagesPerSecond,
            @JsonProperty("teacher_outputs") String teacherOutputs,
            @JsonProperty("checkpoint") String checkpoint,
            @JsonProperty("history") List<EpochMetrics> history,
            @JsonProperty("diverged") String diverged) {
        boolean finished() {
            return diverged == null;
        }
    }

    /**
     * One kind over its seeds.
     *
     * @param accuracy over the seeds that finished; null when none did
     * @param vsAlone accuracy minus the student alone's on the same seed
     * @param gapRecovered (mean accuracy - alone's) / (teacher's - alone's), or null
     * @param trainImagesPerSecond mean training throughput of the runs (each timed alone, so
     *     only a rough guide on a shared machine)
     * @param epochCostVsAlone a training epoch's time relative to the student alone's, timed
     *     side by side (see {@link Benchmark#sideBySideRatio})
     * @param diverged seeds whose training stopped on a non-finite loss
     */
    public record Row(
            @JsonProperty("kind") Kind kind,
            @JsonProperty("accuracy") Spread accuracy,
            @JsonProperty("vs_alone") Spread vsAlone,
            @JsonProperty("gap_recovered") Double gapRecovered,
            @JsonProperty("train_images_per_second") Double trainImagesPerSecond,
            @JsonProperty("epoch_cost_vs_alone") Double epochCostVsAlone,
            @JsonProperty("teacher_outputs") String teacherOutputs,
            @JsonProperty("diverged") int diverged) {}

    /** A network's size and speed. */
    public record Model(
            @JsonProperty("architecture") String architecture,
            @JsonProperty("parameters") long parameters,
            @JsonProperty("inference_images_per_second") double inferenceImagesPerSecond,
            @JsonProperty("test_accuracy") Double testAccuracy) {}

    /** The run's outcome. */
    public record Result(
            @JsonProperty("teacher") Model teacher,
            @JsonProperty("student") Model student,
            @JsonProperty("student_speedup") double studentSpeedup,
            @JsonProperty("plan") Plan plan,
            @JsonProperty("rows") List<Row> rows,
            @JsonProperty("runs") List<StudentRun> runs,
            @JsonProperty("teacher_cache") String teacherCache,
            @JsonProperty("train_examples") int trainExamples,
            @JsonProperty("data_source") String dataSource,
            @JsonProperty("run") String run) {}

    private final Consumer<String> log;
    private Progress progress = Progress.SILENT;

    public Distillation(Consumer<String> log) {
        this.log = log;
    }

    public Distillation progress(Progress p) {
        this.progress = p;
        return this;
    }

    public Result run(Config c, Path runDir) {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<StagedNet> members = new ArrayList<>();
            List<ModelSpec> specs = new ArrayList<>();
            for (Path p : c.teachers()) {
                Checkpoint.Loaded loaded = Checkpoint.load(p, manager);
                members.add(loaded.net());
                specs.add(loaded.spec());
            }
            StagedNet teacher = members.get(0);
            ModelSpec tspec = specs.get(0);
            checkEnsemble(c.teachers(), specs);
            String dataName = c.data() != null ? c.data() : tspec.sourceDataset();
            if (dataName == null) {
                throw new GraftException("--teacher " + c.teachers().get(0) + " names no"
                        + " dataset of its own; give the task with --data");
            }
            Architecture arch = Architecture.byId(c.student());
            checkModality(c, tspec, arch);
            StagedNet probeStudent = arch.build(tspec.inputShape(), tspec.numClasses(),
                    c.studentOptions()).initialize(manager, 0);
            OneDnnCheck.requireSafeTraining(probeStudent); // before the teacher's outputs
            Plan plan = plan(c, probeStudent, teacher);
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "distill");
            runJson.put("config", c);
            runJson.put("plan", plan);
            try (Task data = task(c, tspec, dataName, manager);
                    RunFolder run = RunFolder.open(runDir, true)) {
                Examples train = data.train();
                Examples test = data.test();
                runJson.put("status", "running");
                run.writeRun(runJson);
                TeacherOutputs outputs = teacherOutputs(members, plan, probeStudent);
                Model teacherModel = teacherModel(c, members, specs, outputs, test, manager);
                log.accept(String.format("teacher %s (%s, %,d parameters, %.2f%%); student %s,"
                        + " %,d parameters (%.1fx fewer); %,d training images%s",
                        teacherNames(c),
                        teacherModel.architecture(), teacherModel.parameters(),
                        100 * teacherModel.testAccuracy(), arch.id(),
                        probeStudent.parameterCount(), (double) teacherModel.parameters()
                                / probeStudent.parameterCount(), train.size(),
                        c.unlabeled() ? " (labels unused)" : ""));
                String cacheNote = cache(c, outputs, train, manager);
                Shared shared = new Shared(c, arch, tspec, new ModelSpec.Provenance(
                        GraftVersion.graft(), GraftVersion.djl(), GraftVersion.engine(), null, 0,
                        dataName, data.source(), data.fingerprint(),
                        teacherNames(c), "distill"), plan, outputs,
                        new RunTraining.Data(train, data.validation(), test, data.classNames()),
                        train, teacher, run);
                Map<Kind, Double> costs = epochCosts(shared, manager);
                List<StudentRun> runs = new ArrayList<>();
                int total = c.seeds() * c.kinds().size();
                for (int s = 1; s <= c.seeds(); s++) {
                    for (Kind k : c.kinds()) {
                        log.accept(String.format("[%d/%d] %s, seed %d", runs.size() + 1, total,
                                k.id(), s));
                        runs.add(student(shared, k, s, manager));
                    }
                }
                Model studentModel;
                double speedup;
                try (NDManager m = manager.newSubManager()) {
                    // speed does not depend on the weights: a fresh student, whatever diverged
                    StagedNet fresh = newStudent(shared, 0, m);
                    int n = Math.min(SPEED_EXAMPLES, test.size());
                    double[] seconds = new double[2];
                    double ratio = Benchmark.sideBySideRatio(() -> seconds[0] = teacherSeconds(
                            members, test, n, m), () -> seconds[1] = Benchmark
                                    .inferenceSeconds(fresh, test, n, fresh.inferenceBatchSize(),
                                            m), 5);
                    speedup = 1 / ratio;
                    teacherModel = new Model(teacherModel.architecture(),
                            teacherModel.parameters(), n / seconds[0],
                            teacherModel.testAccuracy());
                    studentModel = new Model(arch.id(), fresh.parameterCount(), n / seconds[1],
                            null);
                }
                Result r = new Result(teacherModel, studentModel, speedup, plan,
                        rows(c, runs, costs, teacherModel.testAccuracy()), runs, cacheNote,
                        train.size(),
                        data.source(), runDir.toString());
                runJson.put("status", "finished");
                runJson.put("result", r);
                run.writeRun(runJson);
                DistillReport.write(run.resolve(dev.graft.report.Report.FILE), c, r);
                return r;
            }
        }
    }

    /** The teachers' checkpoints, comma-separated as on the command line. */
    private static String teacherNames(Config c) {
        return String.join(",", c.teachers().stream().map(Path::toString).toList());
    }

    /**
     * The teacher's size, speed and accuracy; an ensemble's parameters are its members' sum,
     * its speed theirs run one after the other, and its accuracy that of the mean logits.
     */
    private Model teacherModel(Config c, List<StagedNet> members, List<ModelSpec> specs,
            TeacherOutputs outputs, Examples test, NDManager manager) {
        long parameters = 0;
        for (int i = 0; i < members.size(); i++) {
            StagedNet m = members.get(i);
            parameters += m.parameterCount();
            if (members.size() > 1) {
                log.accept(String.format("ensemble member %s (%s, %,d parameters): test accuracy"
                        + " %.2f%%", c.teachers().get(i), specs.get(i).architecture(),
                        m.parameterCount(), 100 * Evaluation.of(m, test, null, manager)
                                .accuracy()));
            }
        }
        String architecture = members.size() == 1 ? specs.get(0).architecture()
                : "ensemble of " + members.size() + " (" + String.join(", ", specs.stream()
                        .map(ModelSpec::architecture).toList()) + ")";
        // the speed is measured at the end, alternating with the student's
        return new Model(architecture, parameters, Double.NaN, outputs.accuracy(test, manager));
    }

    /** Test examples timed per round when teacher and student alternate. */
    static final int SPEED_EXAMPLES = 2048;

    /** Seconds the teacher (an ensemble: its members one after the other) takes over n. */
    private static double teacherSeconds(List<StagedNet> members, Examples test, int n,
            NDManager manager) {
        double seconds = 0;
        for (StagedNet m : members) {
            seconds += Benchmark.inferenceSeconds(m, test, n, m.inferenceBatchSize(), manager);
        }
        return seconds;
    }

    /** An ensemble's members must answer the same question about the same inputs. */
    static void checkEnsemble(List<Path> paths, List<ModelSpec> specs) {
        ModelSpec first = specs.get(0);
        for (int i = 1; i < specs.size(); i++) {
            ModelSpec s = specs.get(i);
            String clash = null;
            if (!Arrays.equals(s.inputShape(), first.inputShape())) {
                clash = "takes inputs " + Arrays.toString(s.inputShape()) + ", "
                        + paths.get(0) + " " + Arrays.toString(first.inputShape());
            } else if (!s.classNames().equals(first.classNames())) {
                clash = "has classes " + s.classNames() + ", " + paths.get(0) + " "
                        + first.classNames();
            } else if (!Arrays.equals(s.normalization().mean(), first.normalization().mean())
                    || !Arrays.equals(s.normalization().std(), first.normalization().std())) {
                clash = "normalizes inputs with mean " + Arrays.toString(s.normalization()
                        .mean()) + " std " + Arrays.toString(s.normalization().std()) + ", "
                        + paths.get(0) + " with mean " + Arrays.toString(first.normalization()
                                .mean()) + " std " + Arrays.toString(first.normalization().std());
            }
            if (clash != null) {
                throw new GraftException("--teacher: the members of an ensemble must share"
                        + " classes, input shape and input normalization (train them on the"
                        + " same data), but " + paths.get(i) + " " + clash);
            }
        }
    }

    /**
     * The task's examples as the teacher reads them: images normalized as it was trained, or
     * texts through its tokenizer; the training set cut to --transfer-classes.
     */
    private record Task(Examples train, Examples validation, Examples test,
            List<String> classNames, String source, String fingerprint)
            implements AutoCloseable {
        @Override
        public void close() {
            train.close();
            validation.close();
            test.close();
        }
    }

    private Task task(Config c, ModelSpec tspec, String dataName, NDManager manager) {
        long root = c.train().seed();
        Path teacher = c.teachers().get(0);
        if (Architecture.byId(tspec.architecture()).isText()) {
            TextData.Prepared d = TextData.prepare(dataName, TextData.Fields.DEFAULT,
                    c.classes(), c.shots(), c.valFraction(), Seeds.derive(root, "split"),
                    Seeds.derive(root, "shots"), log);
            checkClasses(teacher, c, tspec, dataName, d.train());
            TextDataset train = (TextDataset) transferSet(c, d.train());
            try (TextTokenizer tok = Checkpoint.tokenizer(teacher, tspec)) {
                return new Task(tok.tokenize(train), tok.tokenize(d.validation()),
                        tok.tokenize(d.test()), d.test().classNames(), d.source(),
                        train.fingerprint());
            }
        }
        Pretrain.Splits data = Pretrain.prepareData(dataName, tspec.inputShape(),
                c.classes(), c.shots(), c.valFraction(), root, log);
        if (!Arrays.equals(data.train().imageShape(), tspec.inputShape())) {
            throw new GraftException("--teacher " + teacher + " was trained on images "
                    + Arrays.toString(tspec.inputShape()) + " but " + dataName + " has "
                    + Arrays.toString(data.train().imageShape()) + "; distill on the teacher's"
                    + " kind of data");
        }
        checkClasses(teacher, c, tspec, dataName, data.train());
        ImageDataset train = (ImageDataset) transferSet(c, data.train());
        return new Task(TensorDataset.of(train, tspec.normalization(), manager),
                TensorDataset.of(data.validation(), tspec.normalization(), manager),
                TensorDataset.of(data.test(), tspec.normalization(), manager),
                data.test().classNames(), data.source(), train.fingerprint());
    }

    private static void checkClasses(Path teacher, Config c, ModelSpec tspec, String dataName,
            Labelled train) {
        if (train.numClasses() != tspec.numClasses()) {
            throw new GraftException("--teacher " + teacher + " has " + tspec.numClasses()
                    + " classes " + tspec.classNames() + " but " + dataName
                    + (c.classes() == null ? "" : " --classes " + c.classes()) + " has "
                    + train.numClasses() + " " + train.classNames()
                    + "; pass --classes to select the teacher's classes");
        }
    }

    /**
     * A text teacher takes a text student (a BERT of fewer layers, started from the teacher's,
     * see {@link #fromTeacherLayers}). Every kind applies: hints and relations compare the
     * stages' sentence vectors (their tokens averaged over the mask, {@link Pooling#embedding}).
     */
    static void checkModality(Config c, ModelSpec tspec, Architecture student) {
        boolean text = Architecture.byId(tspec.architecture()).isText();
        if (text != student.isText()) {
            throw new GraftException("--student-arch " + student.id() + (text
                    ? " reads images, and the teacher is a text encoder; a text student is"
                    + " bert (its size from --student-layers)"
                    : " reads text, and the teacher reads images"));
        }
        if (text) {
            if (c.studentOptions().text() == null) {
                throw new GraftException("a text student needs its sizes (--student-layers)");
            }
            int teacherLayers = tspec.options().text().layers();
            int studentLayers = c.studentOptions().text().layers();
            if (studentLayers < 1 || studentLayers > teacherLayers) {
                throw new GraftException("--student-layers " + studentLayers + ": a text"
                        + " student takes 1 to " + teacherLayers + " of its teacher's layers");
            }
            if (!c.studentOptions().text().withLayers(teacherLayers).equals(
                    tspec.options().text())) {
                throw new GraftException("a text student keeps its teacher's sizes but for the"
                        + " number of layers (teacher " + tspec.options().text() + ")");
            }
        }
    }

    /**
     * Starts a text student from its teacher, as DistilBERT does (Sanh et al. 2019): the
     * embeddings and the head copied, student layer {@code i} from teacher layer
     * {@code i * (teacher layers / student layers)} (6 to 2: layers 0 and 3; 6 to 3: 0, 2, 4).
     */
    static void fromTeacherLayers(StagedNet student, StagedNet teacher) {
        int stride = layers(teacher) / layers(student);
        Map<String, ai.djl.nn.Parameter> from = teacher.namedParameters();
        for (Map.Entry<String, ai.djl.nn.Parameter> e : student.namedParameters().entrySet()) {
            String name = e.getKey();
            java.util.regex.Matcher m = LAYER.matcher(name);
            String source = m.lookingAt() ? "encoder.layer." + Integer.parseInt(m.group(1))
                    * stride + "." + name.substring(m.end()) : name;
            ai.djl.nn.Parameter p = from.get(source);
            if (p == null || !p.getArray().getShape().equals(e.getValue().getArray()
                    .getShape())) {
                throw new GraftException("the teacher has no " + source + " of shape "
                        + e.getValue().getArray().getShape() + " for the student's " + name);
            }
            e.getValue().getArray().set(p.getArray().toFloatArray());
        }
    }

    private static final java.util.regex.Pattern LAYER = java.util.regex.Pattern.compile(
            "encoder\\.layer\\.(\\d+)\\.");

    private static int layers(StagedNet net) {
        return (int) net.stageNames().stream().filter(n -> n.startsWith("layer")).count();
    }

    /** The training examples distilled on: all, or those of --transfer-classes. */
    private static Labelled transferSet(Config c, Labelled train) {
        if (c.transferClasses() == null) {
            return train;
        }
        Set<Integer> keep = new java.util.HashSet<>();
        for (int k : ClassSelection.parse(c.transferClasses(), train.classNames())) {
            keep.add(k);
        }
        int[] idx = java.util.stream.IntStream.range(0, train.size())
                .filter(i -> keep.contains(train.label(i))).toArray();
        return train.select(idx);
    }

    /** Resolves the stages the terms connect, checking names and sizes before any training. */
    static Plan plan(Config c, StagedNet student, StagedNet teacher) {
        if (c.kinds().stream().noneMatch(k -> k.usesHints() || k.usesRelations())) {
            return new Plan(null, null, null, null, null); // only the logits are compared
        }
        Map<String, Shape> ss = student.stageOutputShapes();
        Map<String, Shape> ts = teacher.stageOutputShapes();
        List<String> sNames = student.stageNames();
        List<String> tNames = teacher.stageNames();
        if (sNames.isEmpty() || tNames.isEmpty()) {
            throw new IllegalArgumentException("distillation needs stages in both networks");
        }
        boolean hints = c.kinds().stream().anyMatch(Kind::usesHints);
        String hs = c.terms().hintStudent();
        String ht = c.terms().hintTeacher();
        long[] size = null;
        if (hints) {
            if (hs == null) {
                hs = sNames.get(sNames.size() - 1);
                for (String n : sNames) {
                    if (ss.get(n).dimension() == 4) {
                        hs = n;
                    }
                }
            } else if (!sNames.contains(hs)) {
                throw new IllegalArgumentException("--hint-student " + hs + " is not a stage of "
                        + student.architecture().id() + "; stages are " + sNames);
            }
            if (ht != null && !tNames.contains(ht)) {
                throw new IllegalArgumentException("--hint-teacher " + ht + " is not a stage of "
                        + teacher.architecture().id() + "; stages are " + tNames);
            }
            Shape s = ss.get(hs);
            if (ht == null) {
                ht = defaultHintTeacher(s, ts, tNames);
            }
            Shape t = ts.get(ht);
            if (s.dimension() == 4 && t.dimension() == 4) {
                long h = Math.min(s.get(2), t.get(2));
                long w = Math.min(s.get(3), t.get(3));
                for (Shape x : new Shape[] {s, t}) {
                    if (x.get(2) % h != 0 || x.get(3) % w != 0 || x.get(2) / h != x.get(3) / w) {
                        throw new IllegalArgumentException("hint maps " + hs + " " + s.slice(1)
                                + " (student) and " + ht + " " + t.slice(1) + " (teacher): one"
                                + " size must be a whole multiple of the other; choose"
                                + " --hint-student / --hint-teacher");
                    }
                }
                size = new long[] {h, w};
            }
        }
        boolean relations = c.kinds().stream().anyMatch(Kind::usesRelations);
        return new Plan(hints ? hs : null, hints ? ht : null, size,
                relations ? sNames.get(sNames.size() - 1) : null,
                relations ? tNames.get(tNames.size() - 1) : null);
    }

    /**
     * For a student map of size h: the teacher's map stage whose size is the smallest multiple
     * of h (the deepest on ties); else the teacher's last stage.
     */
    private static String defaultHintTeacher(Shape s, Map<String, Shape> ts, List<String> names) {
        String best = names.get(names.size() - 1);
        if (s.dimension() != 4) {
            return best;
        }
        long bestH = Long.MAX_VALUE;
        for (String n : names) {
            Shape t = ts.get(n);
            if (t.dimension() == 4 && t.get(2) >= s.get(2) && t.get(2) % s.get(2) == 0
                    && t.get(2) <= bestH) {
                bestH = t.get(2);
                best = n;
            }
        }
        return best;
    }

    static TeacherOutputs teacherOutputs(List<StagedNet> members, Plan plan,
            StagedNet student) {
        List<String> stages = new ArrayList<>();
        if (plan.hintTeacher() != null) {
            stages.add(plan.hintTeacher());
        }
        if (plan.relationTeacher() != null && !stages.contains(plan.relationTeacher())) {
            stages.add(plan.relationTeacher());
        }
        boolean studentMaps = plan.hintStudent() != null
                && student.stageOutputShapes().get(plan.hintStudent()).dimension() == 4;
        return new TeacherOutputs(members, stages, (logits, outs, inputs) -> {
            Map<String, NDArray> m = new LinkedHashMap<>();
            m.put(TeacherOutputs.LOGITS, logits);
            if (plan.hintTeacher() != null) {
                NDArray h = outs.get(plan.hintTeacher());
                // maps meet maps at the plan's size; anything else meets as vectors (a text
                // stage's tokens vary in number from batch to batch, their mean does not)
                h = studentMaps && h.getShape().dimension() == 4 ? DistillLosses.poolTo(h,
                        plan.hintSize()[0], plan.hintSize()[1]) : Pooling.embedding(h, inputs);
                m.put(DistillObjective.HINT, h);
            }
            if (plan.relationTeacher() != null) {
                m.put(DistillObjective.RELATION, Pooling.embedding(outs.get(
                        plan.relationTeacher()), inputs));
            }
            return m;
        });
    }

    /**
     * Caches what fits of the teacher's outputs (logits first, then relation embeddings, then
     * hint maps), unless augmentation would make them stale; returns what was done, in words.
     */
    private String cache(Config c, TeacherOutputs outputs, Examples train,
            NDManager manager) {
        if (c.kinds().stream().allMatch(k -> k == Kind.ALONE)) {
            return "not used";
        }
        if (!c.train().augmentation().isNone()) {
            String note = "computed per batch (augmentation makes cached outputs stale)";
            log.accept("teacher outputs: " + note);
            return note;
        }
        Map<String, Long> per = outputs.floatsPerExample(train, manager);
        long budget = (long) c.cacheMb() << 20;
        long used = 0;
        Set<String> keep = new LinkedHashSet<>();
        List<String> skipped = new ArrayList<>();
        for (String key : List.of(TeacherOutputs.LOGITS, DistillObjective.RELATION,
                DistillObjective.HINT)) {
            if (!per.containsKey(key)) {
                continue;
            }
            long bytes = per.get(key) * train.size() * Float.BYTES;
            if (used + bytes <= budget && per.get(key) * train.size() < Integer.MAX_VALUE) {
                keep.add(key);
                used += bytes;
            } else {
                skipped.add(String.format("%s (%,d MB)", key, bytes >> 20));
            }
        }
        if (!keep.isEmpty()) {
            outputs.cache(train, keep, progress, manager);
        }
        String note = "cached " + String.join(", ", keep) + String.format(" (%,d MB)", used >> 20)
                + (skipped.isEmpty() ? "" : "; computed per batch: " + String.join(", ", skipped)
                        + ", over --cache-mb " + c.cacheMb());
        log.accept("teacher outputs: " + note);
        return note;
    }

    /**
     * What every student run of one distillation shares.
     *
     * @param provenance the students' provenance, but for time, seed and command
     */
    private record Shared(Config c, Architecture arch, ModelSpec tspec,
            ModelSpec.Provenance provenance, Plan plan, TeacherOutputs outputs,
            RunTraining.Data data, Examples train, StagedNet teacher, RunFolder parent) {}

    private StudentRun student(Shared sh, Kind k, int seedIndex, NDManager manager) {
        Config c = sh.c();
        Architecture arch = sh.arch();
        ModelSpec tspec = sh.tspec();
        RunTraining.Data data = sh.data();
        long seed = Seeds.derive(c.train().seed(), "seed" + seedIndex);
        TrainConfig tc = new TrainConfig(c.train().epochs(), c.train().batchSize(),
                c.train().optimizer(), c.train().schedule(), c.train().augmentation(), seed,
                c.train().patience(), c.train().groups());
        String id = k.id() + "-seed" + seedIndex;
        Path dir = sh.parent().resolve("students").resolve(id);
        try (NDManager m = manager.newSubManager();
                RunFolder run = RunFolder.open(dir, true)) {
            StagedNet net = newStudent(sh, seed, m);
            ModelSpec spec = new ModelSpec(ModelSpec.FORMAT_VERSION, arch.id(),
                    c.studentOptions(), net.inputShape(), net.numClasses(), tspec.classNames(),
                    tspec.normalization(), net.stageNames(), Checkpoint.parameterShapes(net),
                    new ModelSpec.Provenance(sh.provenance().graftVersion(),
                            sh.provenance().djlVersion(), sh.provenance().engine(),
                            Instant.now().toString(), seed, sh.provenance().dataset(),
                            sh.provenance().dataSource(), sh.provenance().dataFingerprint(),
                            k == Kind.ALONE && !arch.isText() ? null : teacherNames(c),
                            "distill " + k.id()));
            DistillObjective objective = objective(sh, k, net, seed, m);
            if (k.usesHints() && c.terms().hintEpochs() > 0) {
                hintStage(c, tc, net, objective, sh.plan(), sh.train(), m);
            }
            Map<String, Object> runJson = new LinkedHashMap<>();
            runJson.put("command", "distill");
            runJson.put("kind", k.id());
            runJson.put("seed_index", seedIndex);
            String teacherNote = k == Kind.ALONE ? "not used"
                    : c.train().augmentation().isNone()
                            && sh.outputs().cached(DistillObjective.needs(k)) ? "cached"
                            : "computed per batch";
            RunTraining.Outcome o;
            try {
                // the student alone learns from the labels of the transfer set, even with
                // --unlabeled
                o = RunTraining.run(run, net, spec, data, tc, null,
                        new RunTraining.Extras(objective, List.of(), null, null), runJson,
                        progress, log, m);
            } catch (TrainingDivergedException e) {
                // one unstable student must not cost the others' results: recorded, not fatal
                log.accept(String.format("warning: %s seed %d diverged and is left out of the"
                        + " table: %s", k.id(), seedIndex, e.getMessage()));
                return new StudentRun(k, seedIndex, null, 0, null, teacherNote, null, List.of(),
                        e.getMessage());
            }
            StudentRun r = new StudentRun(k, seedIndex, o.test().accuracy(), o.bestEpoch(),
                    o.loop().meanImagesPerSecond(), teacherNote,
                    run.resolve(RunTraining.MODEL).toString(), o.history(), null);
            runJson.put("status", "finished");
            runJson.put("result", r);
            run.writeRun(runJson);
            log.accept(String.format("%s seed %d: test accuracy %.2f%%", k.id(), seedIndex,
                    100 * r.testAccuracy()));
            return r;
        }
    }

    /**
     * A student with the initial weights of {@code seed}; a text student starts from the
     * teacher's layers instead (and keeps the teacher's tokenizer through its provenance).
     */
    private static StagedNet newStudent(Shared sh, long seed, NDManager m) {
        StagedNet net = sh.arch().build(sh.tspec().inputShape(), sh.tspec().numClasses(),
                sh.c().studentOptions()).initialize(m, Seeds.derive(seed, "init"));
        if (sh.arch().isText()) {
            fromTeacherLayers(net, sh.teacher());
        }
        return net;
    }

    /** The objective of kind {@code k} for {@code net}, with a fresh adapter; null alone. */
    private static DistillObjective objective(Shared sh, Kind k, StagedNet net, long seed,
            NDManager m) {
        if (k == Kind.ALONE) {
            return null;
        }
        Adapter adapter = null;
        if (k.usesHints()) {
            Shape s = net.stageOutputShapes().get(sh.plan().hintStudent());
            Shape target = hintTargetShape(sh.outputs(), sh.train(), m);
            Shape in = s.dimension() == target.dimension() ? s : Pooling.embeddingShape(s);
            adapter = Adapter.create(in, (int) target.get(1), "adapter", m,
                    Seeds.derive(seed, "adapter"));
        }
        return new DistillObjective(k, sh.c().terms(), sh.c().unlabeled(), sh.outputs(),
                sh.plan(), adapter);
    }

    /**
     * Each distilling kind's cost per training image relative to the student alone, timed side
     * by side ({@link EpochCost}) on the first training images, a fresh student alone against
     * one with the kind's objective (teacher outputs as the run uses them).
     */
    private Map<Kind, Double> epochCosts(Shared sh, NDManager manager) {
        Config c = sh.c();
        Map<Kind, Double> costs = new EnumMap<>(Kind.class);
        if (c.kinds().stream().allMatch(k -> k == Kind.ALONE)) {
            return costs;
        }
        long seed = Seeds.derive(c.train().seed(), "cost");
        TrainConfig tc = new TrainConfig(1, c.train().batchSize(), c.train().optimizer(),
                new LrSchedule.Constant(), c.train().augmentation(), seed, 0, List.of());
        int n;
        try {
            n = costChunk(sh, tc, seed, manager);
        } catch (TrainingDivergedException e) {
            log.accept("epoch costs not timed: the student alone diverged in the timed training ("
                    + e.getMessage() + ")");
            return costs;
        }
        log.accept(String.format("epoch cost: timing chunks of %,d images, %d rounds", n,
                EpochCost.ROUNDS));
        try (NDManager m = manager.newSubManager();
                Examples head = sh.train().head(n, m)) {
            for (Kind k : c.kinds()) {
                if (k == Kind.ALONE) {
                    continue;
                }
                try (NDManager km = m.newSubManager();
                        TrainingLoop alone = new TrainingLoop(newStudent(sh, seed, km), tc, km)) {
                    StagedNet net = newStudent(sh, seed, km);
                    try (TrainingLoop distill = new TrainingLoop(net, tc, km)) {
                        distill.objective(objective(sh, k, net, seed, km));
                        try {
                            double cost = EpochCost.ratio(alone, distill, head);
                            costs.put(k, cost);
                            log.accept(String.format("epoch cost of %s vs alone, timed side by"
                                    + " side: %.2fx", k.id(), cost));
                        } catch (TrainingDivergedException e) {
                            // the timed chunks train a fresh student at a constant rate, and how
                            // many steps they take depends on the machine's speed: a kind that
                            // diverges there goes without a cost, the run goes on
                            log.accept("epoch cost of " + k.id() + " not timed: the timed"
                                    + " training diverged (" + e.getMessage() + ")");
                        }
                    }
                }
            }
        }
        return costs;
    }

    /** Images per timed chunk ({@link EpochCost#chunk}), timed on a fresh student alone. */
    private static int costChunk(Shared sh, TrainConfig tc, long seed, NDManager manager) {
        try (NDManager m = manager.newSubManager();
                TrainingLoop alone = new TrainingLoop(newStudent(sh, seed, m), tc, m)) {
            return EpochCost.chunk(alone, sh.train(), tc.batchSize(), m);
        }
    }

    private static Shape hintTargetShape(TeacherOutputs outputs, Examples train,
            NDManager m) {
        try (NDManager sub = m.newSubManager()) {
            return outputs.compute(train.range(0, 1, sub).inputs()).get(DistillObjective.HINT)
                    .getShape();
        }
    }

    /** FitNets' first stage: only the hint, training the student's stages up to the hint's. */
    private void hintStage(Config c, TrainConfig tc, StagedNet net, DistillObjective objective,
            Plan plan, Examples train, NDManager m) {
        List<ParamGroup> groups = new ArrayList<>();
        boolean above = false;
        for (String g : net.groupNames()) {
            groups.add(above ? ParamGroup.frozen(g) : ParamGroup.trainable(g));
            above |= g.equals(plan.hintStudent());
        }
        TrainConfig hint = new TrainConfig(c.terms().hintEpochs(), tc.batchSize(),
                tc.optimizer(), tc.schedule(), tc.augmentation(), Seeds.derive(tc.seed(), "hint"),
                0, groups);
        try (TrainingLoop loop = new TrainingLoop(net, hint, m)) {
            loop.objective(objective.hintOnly()).progress(progress);
            loop.fit(train, null, 1, Double.NEGATIVE_INFINITY, (e, i) -> { });
        }
        for (String g : net.groupNames()) {
            net.setFrozen(g, false);
        }
    }

    /**
     * One row per kind over the seeds that finished (diverged seeds are counted, not averaged).
     *
     * @param costs each distilling kind's side-by-side epoch cost
     */
    static List<Row> rows(Config c, List<StudentRun> runs, Map<Kind, Double> costs,
            double teacherAccuracy) {
        List<Row> rows = new ArrayList<>();
        List<StudentRun> finished = runs.stream().filter(StudentRun::finished).toList();
        double aloneMean = finished.stream().filter(r -> r.kind() == Kind.ALONE)
                .mapToDouble(StudentRun::testAccuracy).average().orElse(Double.NaN);
        for (Kind k : c.kinds()) {
            List<StudentRun> mine = finished.stream().filter(r -> r.kind() == k).toList();
            int diverged = (int) runs.stream().filter(r -> r.kind() == k && !r.finished())
                    .count();
            String teacherNote = runs.stream().filter(r -> r.kind() == k).findFirst()
                    .map(StudentRun::teacherOutputs).orElse(null);
            if (mine.isEmpty()) {
                rows.add(new Row(k, null, null, null, null, costs.get(k), teacherNote,
                        diverged));
                continue;
            }
            Spread accuracy = Spread.of(mine.stream().mapToDouble(StudentRun::testAccuracy)
                    .toArray());
            Spread vsAlone = null;
            Double gap = null;
            if (k != Kind.ALONE && !Double.isNaN(aloneMean)) {
                List<Double> d = new ArrayList<>();
                for (StudentRun r : mine) {
                    finished.stream().filter(a -> a.kind() == Kind.ALONE
                            && a.seedIndex() == r.seedIndex()).findFirst()
                            .ifPresent(a -> d.add(r.testAccuracy() - a.testAccuracy()));
                }
                vsAlone = d.isEmpty() ? null
                        : Spread.of(d.stream().mapToDouble(Double::doubleValue).toArray());
                double g = teacherAccuracy - aloneMean;
                gap = g > 0 ? (accuracy.mean() - aloneMean) / g : null;
            }
            double ips = mine.stream().mapToDouble(StudentRun::trainImagesPerSecond).average()
                    .orElseThrow();
            rows.add(new Row(k, accuracy, vsAlone, gap, ips, costs.get(k), teacherNote,
                    diverged));
        }
        return rows;
    }
}
