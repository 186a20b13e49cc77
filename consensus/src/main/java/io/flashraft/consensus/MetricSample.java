package io.flashraft.consensus;

import java.util.Map;

/**
 * One reading of one metric, ready for an exporter.
 *
 * @param name   the metric's name in Prometheus form ([a-zA-Z_:][a-zA-Z0-9_:]*)
 * @param labels its labels; every sample of a node carries {@code node}
 * @param value  the reading
 */
public record MetricSample(String name, Map<String, String> labels, double value) {
    public MetricSample {
        labels = Map.copyOf(labels);
    }
}
