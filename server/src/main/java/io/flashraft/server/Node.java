package io.flashraft.server;

import com.codahale.metrics.MetricRegistry;
import io.flashraft.consensus.NodeServer;
import io.flashraft.gateway.GatewayServer;
import io.flashraft.gateway.MetricsHttpServer;
import io.flashraft.gateway.PeerLeaderPoller;
import io.flashraft.gateway.PeerSnapshotClient;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running node, assembled from its config: the record stores and Ratis server
 * ({@link NodeServer}), the gateway port, the metrics port, the client that rebuilds a replica
 * from its leader, and the poller that learns the leaders of the groups it does not host.
 */
public final class Node implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);
    /** How often a node asks its peers for the leaders of the groups it does not host. */
    private static final long LEADER_POLL_INTERVAL_MS = 2_000;

    private final NodeConfig config;
    private final PeerSnapshotClient installer;
    private final NodeServer server;
    private final GatewayServer gateway;
    private final MetricsHttpServer metricsHttp;
    private final PeerLeaderPoller leaderPoller;

    private Node(NodeConfig config) throws IOException, InterruptedException {
        this.config = config;
        this.installer = new PeerSnapshotClient(config.cluster(), config.nodeId());
        NodeServer started = null;
        GatewayServer gatewayStarted = null;
        try {
            started = NodeServer.start(config.cluster(), config.nodeId(), config.dataDir(), config.stores(), config.raft(),
                    installer, new MetricRegistry(), System::currentTimeMillis);
            gatewayStarted = GatewayServer.start(started);
            this.metricsHttp = MetricsHttpServer.start(started);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (gatewayStarted != null) {
                gatewayStarted.close();
            }
            if (started != null) {
                started.halt();
            }
            installer.close();
            throw e;
        }
        this.server = started;
        this.gateway = gatewayStarted;
        this.leaderPoller = PeerLeaderPoller.start(started, LEADER_POLL_INTERVAL_MS);
    }

    /** Starts a node: opens (and cold-starts) its stores, joins its groups, binds its ports. */
    public static Node start(NodeConfig config) throws IOException, InterruptedException {
        return new Node(config);
    }

    public NodeServer server() {
        return server;
    }

    /**
     * The graceful stop of SIGTERM: hand every group this node leads to another replica, stop
     * taking peer traffic, checkpoint every group, close.
     */
    @Override
    public void close() {
        LOG.info("node {}: stopping: handing off leadership", config.nodeId());
        server.handOffLeadership(config.handOffTimeoutMs());
        leaderPoller.close();
        metricsHttp.close();
        gateway.close();
        server.close();
        installer.close();
        LOG.info("node {}: stopped", config.nodeId());
    }
}
