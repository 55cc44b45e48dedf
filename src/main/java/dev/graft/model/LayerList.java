package dev.graft.model;

import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import java.util.ArrayList;
import java.util.List;

/** Reads graft's own block trees into {@link Layer}s: the one place that knows their kinds. */
final class LayerList {

    private LayerList() {}

    static List<Layer> of(String path, Block block) {
        List<Layer> out = new ArrayList<>();
        add(path, block, out);
        return out;
    }

    private static void add(String path, Block block, List<Layer> out) {
        if (block instanceof TorchModule module) {
            out.addAll(module.layers(path));
        } else if (block instanceof Conv2d conv) {
            if (conv.getDilation() != null && conv.getDilation().size() != 1) {
                throw new IllegalStateException(path + ": no dilated convolutions");
            }
            out.add(new Layer.Conv(path, (int) conv.getStride().get(0),
                    (int) conv.getStride().get(1), (int) conv.getPadding().get(0),
                    (int) conv.getPadding().get(1), conv.isIncludeBias(), conv.getGroups()));
        } else if (block instanceof BatchNorm) {
            out.add(new Layer.BatchNorm(path));
        } else if (block instanceof Linear) {
            out.add(new Layer.Linear(path, block.getParameters().keys().contains("bias")));
        } else if (block instanceof Dropout) {
            out.add(new Layer.Dropout());
        } else if (block instanceof Layers.Known known) {
            out.add(known.layer);
        } else {
            throw new IllegalStateException("no layer description for " + path + " ("
                    + block.getClass().getName() + ")");
        }
    }
}
