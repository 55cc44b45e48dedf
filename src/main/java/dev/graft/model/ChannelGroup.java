package dev.graft.model;

import java.util.List;

/**
 * The output channels (or units) of one layer and every tensor indexed by them: what
 * structured pruning removes together. Removing channel {@code c} removes index {@code c} along
 * dimension 0 of every producer (the layer's weight and bias, the BatchNorm after it) and the
 * block of {@code blockSize} indices {@code [c * blockSize, (c + 1) * blockSize)} along
 * dimension 1 of every consumer (the next layer's weight; a linear layer after a flatten reads
 * {@code height * width} inputs per channel).
 *
 * @param layer the layer's name, e.g. {@code stage1.0.conv}
 * @param producers parameter names whose dimension 0 is the channel; the first is the weight
 *     that ranks the channels
 * @param consumers the following layers' weights, reading the channels along dimension 1
 */
public record ChannelGroup(String layer, List<String> producers, List<Consumer> consumers) {

    /** A weight that reads the group's channels along dimension 1. */
    public record Consumer(String parameter, int blockSize) {}

    public ChannelGroup {
        producers = List.copyOf(producers);
        consumers = List.copyOf(consumers);
    }

    /** The weight whose rows rank the channels. */
    public String weight() {
        return producers.get(0);
    }
}
