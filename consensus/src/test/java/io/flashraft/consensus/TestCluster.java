package io.flashraft.consensus;

import com.codahale.metrics.MetricRegistry;
import io.flashraft.device.StoreConfig;
import io.flashraft.statemachine.PartitionGroupStateMachine;
import io.flashraft.statemachine.SessionConfig;
import io.flashraft.statemachine.SnapshotInstaller;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Real Ratis servers on loopback ports in one JVM: {@code TestCluster.in(dir).nodes(3).start()}.
 * Nodes can be halted (as a crash looks to the stores), stopped cleanly, wiped and started again
 * on their data directory. {@link NodeServices} adds what other modules run beside each node
 * (the gateway, with its snapshot installer).
 */
public final class TestCluster implements AutoCloseable {
    /** Where {@link #freePort} looks: 20000 to 32767. */
    private static final int FIRST_PORT = 20_000;
    private static final int PORTS_BELOW_EPHEMERAL = 32_768 - FIRST_PORT;
    private static final AtomicInteger nextPort = new AtomicInteger((int) (ProcessHandle.current().pid() * 97 % PORTS_BELOW_EPHEMERAL));

    public static final String NAMESPACE = "test";
    public static final RaftTuning TUNING = new RaftTuning(1_000, 2_000, 100_000, 200, 1L << 20, 500, 0,
            RaftTuning.DEFAULT.proposalLingerUs());

    /** What runs beside each node. */
    public interface NodeServices {
        /** The node's way to rebuild a replica from its leader. */
        SnapshotInstaller installer(ClusterConfig cluster, String nodeId);

        /** Starts the node's other services; closed when the node stops. */
        AutoCloseable started(NodeServer node) throws Exception;
    }

    /** No services: a replica that must be rebuilt from its leader cannot be, and says so. */
    public static final NodeServices NO_SERVICES = new NodeServices() {
        @Override
        public SnapshotInstaller installer(ClusterConfig cluster, String nodeId) {
            return (leader, group, target) -> CompletableFuture.failedFuture(
                    new UnsupportedOperationException("consensus tests run no gateway to install from"));
        }

        @Override
        public AutoCloseable started(NodeServer node) {
            return () -> { };
        }
    };

    private final ClusterConfig config;
    private final Path dir;
    private final RaftTuning tuning;
    private final NodeServices services;
    private final UnaryOperator<StoreConfig.Builder> store;
    private final NodeServer[] nodes;
    private final AutoCloseable[] nodeServices;

    private TestCluster(ClusterConfig config, Path dir, RaftTuning tuning, NodeServices services,
                        UnaryOperator<StoreConfig.Builder> store) {
        this.store = store;
        this.config = config;
        this.dir = dir;
        this.tuning = tuning;
        this.services = services;
        this.nodes = new NodeServer[config.nodes().size()];
        this.nodeServices = new AutoCloseable[config.nodes().size()];
    }

    /** A cluster to start: {@code TestCluster.in(dir).nodes(3).start()}. */
    public static Builder in(Path dir) {
        return new Builder(dir);
    }

    /** How the cluster is made; every setting has a test default. */
    public static final class Builder {
        private final Path dir;
        private int nodeCount = 3;
        private int replicationFactor = 3;
        private RaftTuning tuning = TUNING;
        private NodeServices services = NO_SERVICES;
        private UnaryOperator<StoreConfig.Builder> store = UnaryOperator.identity();
        private SessionConfig sessions = SessionConfig.DEFAULT;

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** Nodes, one partition group per node; replication factor as many, up to 3 unless set. */
        public Builder nodes(int count) {
            this.nodeCount = count;
            this.replicationFactor = Math.min(count, replicationFactor);
            return this;
        }

        public Builder replicationFactor(int factor) {
            this.replicationFactor = factor;
            return this;
        }

        public Builder tuning(RaftTuning raftTuning) {
            this.tuning = raftTuning;
            return this;
        }

        public Builder services(NodeServices nodeServices) {
            this.services = nodeServices;
            return this;
        }

        /** The session table settings of every group. */
        public Builder sessions(SessionConfig sessionConfig) {
            this.sessions = sessionConfig;
            return this;
        }

        /** Changes the record store settings of every node (a device store of 32 MiB by default). */
        public Builder store(UnaryOperator<StoreConfig.Builder> change) {
            this.store = change;
            return this;
        }

        public TestCluster start() {
            List<NodeAddress> nodes = new ArrayList<>();
            for (int i = 0; i < nodeCount; i++) {
                nodes.add(new NodeAddress("n" + (i + 1), "127.0.0.1", freePort(), freePort(), freePort()));
            }
            ClusterConfig config = new ClusterConfig(nodes, nodes.size(), replicationFactor,
                    List.of(NamespaceConfig.of(NAMESPACE, store.apply(storeConfig(dir)).build())), sessions);
            TestCluster cluster = new TestCluster(config, dir, tuning, services, store);
            for (int i = 0; i < nodeCount; i++) {
                cluster.startNode(i);
            }
            return cluster;
        }
    }

    public ClusterConfig config() {
        return config;
    }

    public int size() {
        return nodes.length;
    }

    public NodeServer node(int i) {
        return nodes[i];
    }

    /** The index of the node with this id. */
    public int indexOf(String nodeId) {
        for (int i = 0; i < config.nodes().size(); i++) {
            if (config.nodes().get(i).id().equals(nodeId)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no node " + nodeId);
    }

    /** The data directory of node {@code i}. */
    public Path nodeDir(int i) {
        return dir.resolve("n" + (i + 1));
    }

    /** The store of a node whose data lives in {@code nodeDir}. */
    private static StoreConfig.Builder storeConfig(Path nodeDir) {
        return StoreConfig.builder().engine(StoreConfig.Engine.DEVICE)
                .dataDir(nodeDir.resolve("store")).devices(List.of(nodeDir.resolve("device.dat")))
                .deviceSizeBytes(32L << 20).writeBlockSizeBytes(256 * 1024).flushIntervalMs(50);
    }

    public void startNode(int i) {
        Path nodeDir = nodeDir(i);
        StoreConfig nodeStore = store.apply(storeConfig(nodeDir)).build();
        String id = config.nodes().get(i).id();
        try {
            nodes[i] = NodeServer.start(config, id, nodeDir, Map.of(NAMESPACE, nodeStore), tuning,
                    services.installer(config, id), new MetricRegistry(), System::currentTimeMillis);
            nodeServices[i] = services.started(nodes[i]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("starting the services of node " + id, e);
        }
    }

    /** Deletes everything a stopped node stored: it starts again as a new replica of its groups. */
    public void wipe(int i) {
        if (running(i)) {
            throw new IllegalStateException("node " + i + " runs: halt or stop it before wiping it");
        }
        try (Stream<Path> paths = Files.walk(nodeDir(i))) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops a node the way a crash looks to its stores (nothing checkpointed first). */
    public void halt(int i) {
        closeServices(i);
        nodes[i].halt();
        nodes[i] = null;
    }

    /**
     * Stops a node as SIGTERM does: hand off leadership, checkpoint, close.
     *
     * @return the new leader of each group the node led
     */
    public Map<Integer, String> stop(int i) {
        Map<Integer, String> handedTo = nodes[i].handOffLeadership(10_000);
        closeServices(i);
        nodes[i].close();
        nodes[i] = null;
        return handedTo;
    }

    private void closeServices(int i) {
        try {
            nodeServices[i].close();
        } catch (Exception e) {
            throw new IllegalStateException("stopping the services of node " + i, e);
        }
        nodeServices[i] = null;
    }

    public boolean running(int i) {
        return nodes[i] != null;
    }

    /** Waits until every group has a ready leader among the running nodes. */
    public void awaitLeaders() {
        for (int g = 0; g < config.groupCount(); g++) {
            awaitLeader(g);
        }
    }

    /**
     * Waits until a running node leads the group and answers its index. A group can be without a
     * leader for a moment at any time: while the balancer hands it to its preferred node.
     */
    public int awaitLeader(int group) {
        int[] leader = {-1};
        await("a leader of group " + group, Duration.ofSeconds(60), () -> (leader[0] = leaderIndex(group)) >= 0);
        return leader[0];
    }

    /** The running node that leads the group, or -1. */
    public int leaderIndex(int group) {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] != null && nodes[i].leads(group)) {
                return i;
            }
        }
        return -1;
    }

    /** Polls a condition until it holds, failing after the timeout. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
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
    /**
     * The content digest of a group's partitions on a node as of {@code nowMs}; null while the
     * node has no state machine for the group (starting, or reopening the group).
     */
    public String contentDigest(int node, int group, long nowMs) {
        PartitionGroupStateMachine machine = nodes[node].stateMachine(group);
        return machine == null ? null : machine.applier().contentDigest(nowMs);
    }

    /** Whether two nodes hold the same contents of a group now (false while either has no state machine for it). */
    public boolean sameContent(int node, int other, int group, long nowMs) {
        String digest = contentDigest(node, group, nowMs);
        return digest != null && digest.equals(contentDigest(other, group, nowMs));
    }

    /**
     * A port that is free now, below the kernel's ephemeral range (from 32768 on Linux). A port
     * picked by binding port 0 lies in that range, and until the node binds it (or binds it again
     * after a restart) any connection's local end can take it: a cluster once failed to start
     * with "Address already in use". Each JVM starts at its own place in the range.
     */
    public static int freePort() {
        for (int attempt = 0; attempt < PORTS_BELOW_EPHEMERAL; attempt++) {
            int port = FIRST_PORT + Math.floorMod(nextPort.getAndIncrement(), PORTS_BELOW_EPHEMERAL);
            try (ServerSocket socket = new ServerSocket(port)) {
                return port;
            } catch (IOException taken) {
                // in use: the next one
            }
        }
        throw new IllegalStateException("no free port from " + FIRST_PORT + " to " + (FIRST_PORT + PORTS_BELOW_EPHEMERAL));
    }

    @Override
    public void close() {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] != null) {
                halt(i);
            }
        }
    }
}
