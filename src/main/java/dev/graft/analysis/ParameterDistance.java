package dev.graft.analysis;

import ai.djl.nn.Parameter;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.graft.model.StagedNet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Euclidean distance between two models of one architecture in parameter space, per module
 * (stage or head), over trained parameters (BatchNorm running statistics excluded), with each
 * module's distance relative to the norm of its weights in the second model (null where that
 * norm is 0).
 */
public record ParameterDistance(
        @JsonProperty("distance") Map<String, Double> distance,
        @JsonProperty("relative") Map<String, Double> relative) {

    public static ParameterDistance between(StagedNet a, StagedNet b) {
        Blend.requireSameShape(a, b, "parameter distance");
        Map<String, Double> dist = new LinkedHashMap<>();
        Map<String, Double> rel = new LinkedHashMap<>();
        for (String module : a.groupNames()) {
            Map<String, Parameter> pb = b.parameters(module);
            double sq = 0;
            double norm = 0;
            for (Map.Entry<String, Parameter> e : a.parameters(module).entrySet()) {
                if (Blend.isRunningStatistic(e.getKey())) {
                    continue;
                }
                float[] x = e.getValue().getArray().toFloatArray();
                float[] y = pb.get(e.getKey()).getArray().toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    double d = (double) x[i] - y[i];
                    sq += d * d;
                    norm += (double) y[i] * y[i];
                }
            }
            dist.put(module, Math.sqrt(sq));
            rel.put(module, norm == 0 ? null : Math.sqrt(sq / norm));
        }
        return new ParameterDistance(dist, rel);
    }
}
