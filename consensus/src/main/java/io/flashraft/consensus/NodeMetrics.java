package io.flashraft.consensus;

import com.codahale.metrics.Counting;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Sampling;
import io.flashraft.device.RecordStore;
import io.flashraft.device.StoreStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.impl.RatisMetricRegistryImpl;

/**
 * Everything a node measures, read together and labelled with the node id: FlashRaft's own
 * metrics (a Dropwizard 4 registry: per-group apply timer, applied index, sessions, faults,
 * installs), the record stores' stats, and Ratis' metrics (ratis-metrics-default keeps them in
 * a global registry, shaded Dropwizard 3 inside; only this node's registries are read, so
 * several nodes in one JVM stay apart).
 *
 * <p>Names follow Prometheus: {@code flashraft_group_<metric>{node,group}},
 * {@code flashraft_store_<stat>{node,namespace}}, {@code ratis_<component>_<metric>{node,member}};
 * timers and histograms give {@code _count} and quantiles (seconds for timers).
 */
final class NodeMetrics {
    private static final double[] QUANTILES = {0.5, 0.99, 0.999};

    private NodeMetrics() {
    }

    static List<MetricSample> collect(String nodeId, MetricRegistry ours, Map<String, RecordStore> stores) {
        List<MetricSample> samples = new ArrayList<>();
        for (Map.Entry<String, Metric> metric : ours.getMetrics().entrySet()) {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("node", nodeId);
            String name = metric.getKey();
            if (name.startsWith("group.")) {
                int dot = name.indexOf('.', 6);
                labels.put("group", name.substring(6, dot));
                name = "group_" + name.substring(dot + 1);
            }
            add(samples, "flashraft_" + sanitize(name), labels, metric.getValue());
        }
        stores.forEach((namespace, store) -> {
            StoreStats stats = store.stats();
            Map<String, String> labels = Map.of("node", nodeId, "namespace", namespace);
            samples.add(new MetricSample("flashraft_store_records", labels, stats.records()));
            samples.add(new MetricSample("flashraft_store_tombstones", labels, stats.tombstones()));
            samples.add(new MetricSample("flashraft_store_memory_used_bytes", labels, stats.memoryUsedBytes()));
            samples.add(new MetricSample("flashraft_store_disk_used_bytes", labels, stats.diskUsedBytes()));
            samples.add(new MetricSample("flashraft_store_disk_capacity_bytes", labels, stats.diskCapacityBytes()));
            samples.add(new MetricSample("flashraft_store_stop_writes", labels, stats.stopWrites() ? 1 : 0));
            stats.engine().forEach((key, value) ->
                    samples.add(new MetricSample("flashraft_store_" + sanitize(key), labels, value)));
        });
        for (RatisMetricRegistry registry : MetricRegistries.global().getMetricRegistries()) {
            String member = registry.getMetricRegistryInfo().getPrefix();
            if (!member.equals(nodeId) && !member.startsWith(nodeId + "@")
                    || !(registry instanceof RatisMetricRegistryImpl impl)) {
                continue;
            }
            String component = sanitize(registry.getMetricRegistryInfo().getMetricsComponentName());
            Map<String, String> labels = Map.of("node", nodeId, "member", member);
            impl.getDropWizardMetricRegistry().getMetrics().forEach((name, metric) ->
                    addRatis(samples, "ratis_" + component + "_" + sanitize(name), labels, metric));
        }
        return samples;
    }

    private static void add(List<MetricSample> samples, String name, Map<String, String> labels, Metric metric) {
        addReading(samples, name, labels, metric instanceof Gauge<?> gauge ? gauge.getValue() : null,
                metric instanceof Counting counting ? counting.getCount() : null,
                metric instanceof Sampling sampling ? sampling.getSnapshot()::getValue : null,
                metric instanceof com.codahale.metrics.Timer);
    }

    /** The same for Ratis' metrics, whose Dropwizard classes are shaded. */
    private static void addRatis(List<MetricSample> samples, String name, Map<String, String> labels,
                                 org.apache.ratis.thirdparty.com.codahale.metrics.Metric metric) {
        addReading(samples, name, labels,
                metric instanceof org.apache.ratis.thirdparty.com.codahale.metrics.Gauge<?> gauge ? gauge.getValue() : null,
                metric instanceof org.apache.ratis.thirdparty.com.codahale.metrics.Counting counting ? counting.getCount() : null,
                metric instanceof org.apache.ratis.thirdparty.com.codahale.metrics.Sampling sampling
                        ? sampling.getSnapshot()::getValue : null,
                metric instanceof org.apache.ratis.thirdparty.com.codahale.metrics.Timer);
    }

    /**
     * Adds what a metric offers: a numeric gauge value, a count ({@code _count}), quantiles of a
     * histogram or timer (timers in {@code _seconds}).
     */
    private static void addReading(List<MetricSample> samples, String name, Map<String, String> labels,
                                   Object gaugeValue, Long count, DoubleUnaryOperator quantiles, boolean timer) {
        if (gaugeValue instanceof Number number) {
            samples.add(new MetricSample(name, labels, number.doubleValue()));
        }
        if (count != null) {
            samples.add(new MetricSample(name + "_count", labels, count));
        }
        if (quantiles != null) {
            for (double q : QUANTILES) {
                Map<String, String> withQuantile = new LinkedHashMap<>(labels);
                withQuantile.put("quantile", Double.toString(q));
                double value = quantiles.applyAsDouble(q);
                samples.add(new MetricSample(name + (timer ? "_seconds" : ""), withQuantile, timer ? value / 1e9 : value));
            }
        }
    }

    /** A Prometheus-safe name: anything but letters, digits, '_' and ':' becomes '_'. */
    static String sanitize(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            out.append(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':' ? c : '_');
        }
        return out.toString();
    }
}
