package dev.graft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The download step against a server on the loopback address serving the bundled files. */
class DatasetDownloadTest {

    static final String[] FILES = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

    HttpServer server;
    Map<String, String> contentSha = new HashMap<>();
    String base;

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        for (String f : FILES) {
            byte[] body;
            try (InputStream in = getClass().getResourceAsStream(DatasetResolver.BUNDLED_RESOURCE
                    + f)) {
                body = in.readAllBytes();
            }
            contentSha.put(f.substring(0, f.indexOf("-idx")), DatasetResolver.sha256(
                    IdxReader.parse(Path.of(f), body)));
            server.createContext("/fm/" + f, ex -> {
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
        }
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/fm/";
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void verifiedDownloadLandsInTheUserCache(@TempDir Path home) {
        DatasetResolver r = new DatasetResolver(Map.of(), home, true,
                n -> new DatasetResolver.Download(base, contentSha), home.resolve("no-system"));
        DatasetResolver.Resolved got = r.resolve("fashion-mnist", s -> { });
        assertTrue(got.source().startsWith("downloaded from " + base), got.source());
        assertEquals(6000, got.train().size());
        for (String f : FILES) {
            assertTrue(Files.exists(home.resolve(".graft/datasets/fashion-mnist").resolve(f)));
        }
    }

    @Test
    void contentWithTheWrongHashIsNotSavedAndTheBundledSubsetServes(@TempDir Path home) {
        Map<String, String> wrong = new HashMap<>(contentSha);
        wrong.put("t10k-labels", "0".repeat(64));
        List<String> log = new ArrayList<>();
        DatasetResolver r = new DatasetResolver(Map.of(), home, true,
                n -> new DatasetResolver.Download(base, wrong), home.resolve("no-system"));
        DatasetResolver.Resolved got = r.resolve("fashion-mnist", log::add);
        assertTrue(got.source().contains("bundled"), got.source());
        assertTrue(log.stream().anyMatch(l -> l.contains("expected " + "0".repeat(64))), log
                .toString());
        assertFalse(Files.exists(home.resolve(".graft/datasets/fashion-mnist")
                .resolve(FILES[0])), "a file of a failed download was saved");
    }
}
