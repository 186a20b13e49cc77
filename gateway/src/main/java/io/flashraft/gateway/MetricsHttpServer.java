package io.flashraft.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.flashraft.consensus.DaemonThreads;
import io.flashraft.consensus.MetricSample;
import io.flashraft.consensus.NodeServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The node's metrics port (HTTP): {@code /metrics} in Prometheus text format (FlashRaft's and
 * Ratis' metrics together, every sample labelled with the node id), {@code /status} as a plain
 * table of the groups this node hosts, {@code /health}.
 */
public final class MetricsHttpServer implements AutoCloseable {
    private final HttpServer http;
    private final ExecutorService threads = Executors.newSingleThreadExecutor(DaemonThreads.named("metrics-http"));

    private MetricsHttpServer(NodeServer node) throws IOException {
        http = HttpServer.create(new InetSocketAddress(node.self().host(), node.self().metricsPort()), 16);
        http.createContext("/metrics", exchange -> answer(exchange, () -> prometheus(node)));
        http.createContext("/status", exchange -> answer(exchange, () -> status(node)));
        http.createContext("/health", exchange -> answer(exchange, () -> "ok\n"));
        http.setExecutor(threads);
        http.start();
    }

    /** Binds the node's metrics port. */
    public static MetricsHttpServer start(NodeServer node) throws IOException {
        return new MetricsHttpServer(node);
    }

    private static void answer(HttpExchange exchange, Supplier<String> body) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Prometheus text exposition, version 0.0.4. */
    static String prometheus(NodeServer node) {
        StringBuilder out = new StringBuilder(64 * 1024);
        Set<String> typed = new HashSet<>();
        for (MetricSample sample : node.metrics()) {
            if (typed.add(sample.name())) {
                out.append("# TYPE ").append(sample.name()).append(' ')
                        .append(sample.labels().containsKey("quantile") ? "summary" : "untyped").append('\n');
            }
            out.append(sample.name()).append('{');
            boolean first = true;
            for (Map.Entry<String, String> label : new java.util.TreeMap<>(sample.labels()).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                out.append(label.getKey()).append("=\"").append(label.getValue().replace("\\", "\\\\").replace("\"", "\\\""))
                        .append('"');
            }
            out.append("} ").append(sample.value()).append('\n');
        }
        return out.toString();
    }

    /** The groups this node hosts, one line each. */
    static String status(NodeServer node) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("node %s  cluster %s  groups %d%n", node.self().id(),
                node.cluster().hash().substring(0, 12), node.placement().groupCount()));
        out.append(String.format("%-6s %-10s %-8s %6s %10s %10s %8s %s%n",
                "group", "role", "leader", "term", "applied", "committed", "installs", "fault"));
        for (NodeServer.GroupStatus g : node.status()) {
            out.append(String.format("%-6d %-10s %-8s %6d %10d %10d %8d %s%n", g.group(), g.role(),
                    g.leader() == null ? "-" : g.leader(), g.term(), g.appliedIndex(), g.commitIndex(), g.installs(),
                    g.fault() == null ? "-" : g.fault()));
        }
        return out.toString();
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
    }
}
