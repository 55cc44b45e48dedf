package dev.graft.data;

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
import java.util.List;
import java.util.function.Consumer;

/**
 * WordNet 3.0 noun glosses labelled by lexicographer file: 82,115 synsets in 26 classes
 * ({@code noun.Tops}, {@code noun.act}, ... {@code noun.time}), read from a {@code data.noun}
 * file (Debian's {@code wordnet-base} installs it as {@code /usr/share/wordnet/data.noun}), or a
 * bundled subset of 40 synsets per class, verbatim lines of that file, licence beside it.
 *
 * <p>A line of {@code data.noun} is {@code offset lex_filenum ss_type w_cnt word lex_id ...
 * | gloss} (wndb(5WN)); the licence header's lines start with two spaces. The text is the
 * whole gloss (the definition, then any quoted examples), the label the lexicographer file
 * named by {@code lex_filenum} (lexnames(5WN): 03 is {@code noun.Tops}, 28 {@code noun.time}).
 */
public final class WordNetGlosses {

    /** The lexicographer files of nouns, numbered 03 to 28, in that order. */
    public static final List<String> CLASSES = List.of("noun.Tops", "noun.act", "noun.animal",
            "noun.artifact", "noun.attribute", "noun.body", "noun.cognition",
            "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
            "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon",
            "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
            "noun.shape", "noun.state", "noun.substance", "noun.time");

    private static final int FIRST_NOUN_FILE = 3;

    /** Where Debian's {@code wordnet-base} puts the noun data. */
    public static final Path DEBIAN = Path.of("/usr/share/wordnet/data.noun");

    static final String NAME = "wordnet-glosses";
    static final String SMALL = "wordnet-glosses-small";
    private static final String RESOURCE = "/dev/graft/data/wordnet/data.noun.subset";

    private WordNetGlosses() {}

    /** Whether {@code data} names the WordNet glosses. */
    static boolean names(String data) {
        String d = data.trim();
        return d.equals(NAME) || d.equals(SMALL) || d.startsWith(NAME + ":");
    }

    /**
     * {@code wordnet-glosses} (Debian's file when installed, else the bundled subset, saying
     * so), {@code wordnet-glosses-small} (always the subset) or {@code wordnet-glosses:FILE}.
     */
    static TextData.Resolved resolve(String data, Consumer<String> log) {
        String d = data.trim();
        TextDataset all;
        String source;
        if (d.startsWith(NAME + ":")) {
            Path file = Path.of(d.substring(NAME.length() + 1));
            all = read(file);
            source = file.toString();
        } else if (d.equals(NAME) && Files.isReadable(DEBIAN)) {
            all = read(DEBIAN);
            source = DEBIAN + " (Debian wordnet-base)";
        } else {
            if (d.equals(NAME)) {
                log.accept("note: " + DEBIAN + " is not installed (Debian's wordnet-base); using"
                        + " the bundled subset of 40 glosses per class");
            }
            try (InputStream in = WordNetGlosses.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new GraftException("the bundled " + RESOURCE + " is missing from the"
                            + " jar; rebuild graft");
                }
                all = parse(in.readAllBytes(), Path.of(RESOURCE), SMALL);
            } catch (IOException e) {
                throw new GraftException("cannot read the bundled " + RESOURCE + ": "
                        + e.getMessage(), e);
            }
            source = "bundled (40 glosses per class of WordNet 3.0's data.noun)";
        }
        TextDataset.Split s = all.holdOut(TextData.TEST_FRACTION, TextData.SPLIT_SEED);
        log.accept("data: " + all + ", " + Math.round(TextData.TEST_FRACTION * 100)
                + "% of each class held out as the test split");
        return new TextData.Resolved(s.train(), s.validation(), source);
    }

    /** Reads a {@code data.noun} file. */
    public static TextDataset read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadFileException(file, "file not found (WordNet's data.noun: install"
                    + " Debian's wordnet-base, or name the file as wordnet-glosses:FILE)");
        }
        try {
            return parse(Files.readAllBytes(file), file, NAME);
        } catch (IOException e) {
            throw new BadFileException(file, "cannot be read: " + e.getMessage(), e);
        }
    }

    static TextDataset parse(byte[] bytes, Path file, String name) {
        String content;
        try {
            content = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadFileException(file, "is not valid UTF-8 (WordNet's data files are"
                    + " ASCII)", e);
        }
        List<String> texts = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        String[] lines = content.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n];
            if (line.isBlank() || line.startsWith("  ")) {
                continue; // the licence header
            }
            String where = "line " + (n + 1);
            int bar = line.indexOf(" | ");
            if (bar < 0) {
                throw new BadFileException(file, where + ": no gloss (a data.noun line ends"
                        + " with ' | ' and the gloss)");
            }
            String[] head = line.substring(0, bar).split(" ");
            if (head.length < 4 || !head[1].matches("\\d\\d")) {
                throw new BadFileException(file, where + ": '" + line.substring(0, Math.min(40,
                        line.length())) + "' does not start with an offset and a two-digit"
                        + " lexicographer file number");
            }
            int lexFile = Integer.parseInt(head[1]);
            if (!head[2].equals("n") || lexFile < FIRST_NOUN_FILE
                    || lexFile >= FIRST_NOUN_FILE + CLASSES.size()) {
                throw new BadFileException(file, where + ": synset " + head[0] + " is not a"
                        + " noun (type " + head[2] + ", lexicographer file " + head[1]
                        + "; nouns are n, 03-28): is this data.noun?");
            }
            String gloss = line.substring(bar + 3).trim();
            if (gloss.isEmpty()) {
                throw new BadFileException(file, where + ": synset " + head[0]
                        + " has an empty gloss");
            }
            texts.add(gloss);
            labels.add(lexFile - FIRST_NOUN_FILE);
        }
        if (texts.isEmpty()) {
            throw new BadFileException(file, "holds no synsets");
        }
        return new TextDataset(name, texts, labels.stream().mapToInt(Integer::intValue)
                .toArray(), CLASSES);
    }
}
