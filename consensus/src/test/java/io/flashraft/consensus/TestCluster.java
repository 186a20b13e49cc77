package io.flashraft.consensus;

import com.codahale.metrics.MetricRegistry;
import io.flashraft.device.StoreConfig;
import io.flashraft.statemachine.SessionConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Real Ratis servers on loopback ports in one JVM: {@code TestCluster.of(3).start(dir)}. Nodes
 * can be halted (as a crash looks to the stores) and started again on the same data directory.
 */
final class TestCluster implements AutoCloseable {
    static final String NAMESPACE = "test";
    static final RaftTuning TUNING = new RaftTuning(1_000, 2_000, 100_000, false, 200);

    private final ClusterConfig config;
    private final Path dir;
    private final RaftTuning tuning;
    private final NodeServer[] nodes;

    private TestCluster(ClusterConfig config, Path dir, RaftTuning tuning) {
        this.config = config;
        this.dir = dir;
        this.tuning = tuning;
        this.nodes = new NodeServer[config.nodes().size()];
    }

    /** A cluster of {@code nodes} nodes, one group per node, every group on {@code replicationFactor} nodes. */
    static TestCluster start(Path dir, int nodeCount, int replicationFactor, RaftTuning tuning) {
        List<NodeAddress> nodes = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            nodes.add(new NodeAddress("n" + (i + 1), "127.0.0.1", freePort(), freePort(), freePort()));
        }
        ClusterConfig config = new ClusterConfig(nodes, 1, replicationFactor, List.of(NAMESPACE), SessionConfig.DEFAULT);
        TestCluster cluster = new TestCluster(config, dir, tuning);
        for (int i = 0; i < nodeCount; i++) {
            cluster.startNode(i);
        }
        return cluster;
    }

    ClusterConfig config() {
        return config;
    }

    int size() {
        return nodes.length;
    }

    NodeServer node(int i) {
        return nodes[i];
    }

    /** The index of the node with this id. */
    int indexOf(String nodeId) {
        for (int i = 0; i < config.nodes().size(); i++) {
            if (config.nodes().get(i).id().equals(nodeId)) {
                return i;
            }
        }
        throw new IllegalArgumentException(nodeId);
    }

    void startNode(int i) {
        Path nodeDir = dir.resolve("n" + (i + 1));
        StoreConfig store = StoreConfig.builder().engine(StoreConfig.Engine.DEVICE)
                .dataDir(nodeDir.resolve("store")).devices(List.of(nodeDir.resolve("device.dat")))
                .deviceSizeBytes(32L << 20).writeBlockSizeBytes(256 * 1024).flushIntervalMs(50).build();
        try {
            nodes[i] = NodeServer.start(config, config.nodes().get(i).id(), nodeDir, Map.of(NAMESPACE, store),
                    tuning, new MetricRegistry(), System::currentTimeMillis);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops a node the way a crash looks to its stores (nothing checkpointed first). */
    void halt(int i) {
        nodes[i].halt();
        nodes[i] = null;
    }

    /** Stops a node cleanly. */
    void stop(int i) {
        nodes[i].close();
        nodes[i] = null;
    }

    boolean running(int i) {
        return nodes[i] != null;
    }

    /** Waits until every group has a ready leader among the running nodes. */
    void awaitLeaders() {
        await("a leader for every group", Duration.ofSeconds(60), () -> {
            for (int g = 0; g < config.groupCount(); g++) {
                if (leaderIndex(g) < 0) {
                    return false;
                }
            }
            return true;
        });
    }

    /** The running node that leads the group, or -1. */
    int leaderIndex(int group) {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] != null && nodes[i].leads(group)) {
                return i;
            }
        }
        return -1;
    }

    /** Polls a condition until it holds, failing after the timeout. */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /** The content digest of a group's partitions on a node. */
    String contentDigest(int node, int group, long nowMs) {
        return nodes[node].stateMachine(group).applier().contentDigest(nowMs);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] != null) {
                nodes[i].halt();
                nodes[i] = null;
            }
        }
    }
}
