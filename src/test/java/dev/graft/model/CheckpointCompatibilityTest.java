package dev.graft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.graft.data.Normalization;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Checkpoints written by earlier graft versions keep loading and computing the same logits.
 * The fixture (format version 1) was written by {@link #writeFixture()}:
 * {@code mvn test -Dtest=CheckpointCompatibilityTest -Dgraft.writeFixtures=true}.
 */
class CheckpointCompatibilityTest {

    static final Path FIXTURE = Path.of("src/test/resources/fixtures/checkpoint-v1");

    @Test
    void formatVersion1StillLoadsAndGivesTheSameLogits() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoint.Loaded loaded = Checkpoint.load(FIXTURE.resolve("model"), m);
            assertEquals(1, loaded.spec().formatVersion());
            assertEquals(List.of("a", "b", "c"), loaded.spec().classNames());
            NDList io;
            try (InputStream in = Files.newInputStream(FIXTURE.resolve("io.safetensors"))) {
                io = NDList.decode(m, in);
            }
            NDArray logits = loaded.net().forward(new ParameterStore(m, false),
                    new NDList(io.get("input")), false).head();
            assertArrayEquals(io.get("logits").toFloatArray(), logits.toFloatArray(), 1e-6f);
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "graft.writeFixtures", matches = "true")
    void writeFixture() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            StagedNet net = Architecture.MLP.build(new int[] {1, 4, 4}, 3, ModelOptions.DEFAULT)
                    .initialize(m, 2026);
            Checkpoint.save(FIXTURE.resolve("model"), net, new ModelSpec(1, "mlp",
                    ModelOptions.DEFAULT, new int[] {1, 4, 4}, 3, List.of("a", "b", "c"),
                    new Normalization(new float[] {0.5f}, new float[] {0.25f}), net.stageNames(),
                    Checkpoint.parameterShapes(net), new ModelSpec.Provenance("0.1.0", "0.35.1",
                            "PyTorch 2.7.1", "2026-11-23T00:00:00Z", 2026, "fixture", "fixture",
                            "none", null, "fixture")), null);
            NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(5, 1, 4, 4));
            NDArray logits = net.forward(new ParameterStore(m, false), new NDList(x), false)
                    .head();
            x.setName("input");
            logits.setName("logits");
            try (OutputStream out = Files.newOutputStream(FIXTURE.resolve("io.safetensors"))) {
                new NDList(x, logits).encode(out, NDList.Encoding.SAFETENSORS);
            }
        }
    }
}
