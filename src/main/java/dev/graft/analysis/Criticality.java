package dev.graft.analysis;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.data.TensorDataset;
import dev.graft.model.StagedNet;
import dev.graft.model.Weights;
import dev.graft.train.Evaluation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Module criticality (Zhang, Bengio and Singer 2019; Neyshabur et al. 2020): one module (a stage
 * or the head, or a single layer) at a time is moved back toward its initial value, {@code (1 - alpha) init + alpha
 * trained}, the rest kept trained, and the test accuracy measured. A module whose rewinding
 * costs little is not critical: what it learned is not needed, or the starting point already
 * had it. Running statistics of BatchNorm layers move with their module.
 *
 * @param modules stage names then the head, or layer paths
 * @param alphas the points on each module's path, 0 = initial value, 1 = trained
 * @param accuracy {@code accuracy[module][alpha]}
 * @param trainedAccuracy the model as trained
 */
public record Criticality(
        @JsonProperty("modules") List<String> modules,
        @JsonProperty("alphas") double[] alphas,
        @JsonProperty("accuracy") double[][] accuracy,
        @JsonProperty("trained_accuracy") double trainedAccuracy) {

    /**
     * Per stage (and the head).
     *
     * @param init the same architecture's weights at the start of training
     */
    public static Criticality of(StagedNet trained, Weights init, double[] alphas,
            TensorDataset test, NDManager manager) {
        Map<String, List<String>> modules = new LinkedHashMap<>();
        trained.groupNames().forEach(g -> modules.put(g, List.copyOf(trained.parameters(g)
                .keySet())));
        return of(trained, init, modules, alphas, test, manager);
    }

    /**
     * Per layer with weights: every convolution and linear layer (its weight and bias), named by
     * its PyTorch path; BatchNorm layers stay trained.
     */
    public static Criticality ofLayers(StagedNet trained, Weights init, double[] alphas,
            TensorDataset test, NDManager manager) {
        Map<String, List<String>> modules = new LinkedHashMap<>();
        trained.namedParameters().forEach((name, p) -> {
            int d = p.getArray().getShape().dimension();
            if (name.endsWith(".weight") && (d == 2 || d == 4)) {
                String layer = name.substring(0, name.length() - ".weight".length());
                List<String> names = new ArrayList<>(List.of(name));
                if (trained.namedParameters().containsKey(layer + ".bias")) {
                    names.add(layer + ".bias");
                }
                modules.put(layer, names);
            }
        });
        return of(trained, init, modules, alphas, test, manager);
    }

    private static Criticality of(StagedNet trained, Weights init,
            Map<String, List<String>> byModule, double[] alphas, TensorDataset test,
            NDManager manager) {
        List<String> modules = List.copyOf(byModule.keySet());
        double[][] acc = new double[modules.size()][alphas.length];
        try (NDManager m = manager.newSubManager()) {
            StagedNet work = trained.newLike(m);
            try (Weights end = Weights.of(trained, m)) {
                end.restore(work);
                double base = Evaluation.of(work, test, null, m).accuracy();
                for (int i = 0; i < modules.size(); i++) {
                    List<String> names = byModule.get(modules.get(i));
                    for (int j = 0; j < alphas.length; j++) {
                        Blend.into(work, init, end, alphas[j], names, m);
                        acc[i][j] = Evaluation.of(work, test, null, m).accuracy();
                    }
                    end.restore(work, names);
                }
                return new Criticality(modules, alphas.clone(), acc, base);
            }
        }
    }

    /** Accuracy lost when module {@code i} is fully rewound ({@code alpha = 0}), in points. */
    public double drop(int i) {
        int zero = 0;
        for (int j = 0; j < alphas.length; j++) {
            if (alphas[j] < alphas[zero]) {
                zero = j;
            }
        }
        return 100 * (trainedAccuracy - accuracy[i][zero]);
    }
}
