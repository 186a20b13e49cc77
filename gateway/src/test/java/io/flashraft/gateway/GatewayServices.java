package io.flashraft.gateway;

import io.flashraft.consensus.ClusterConfig;
import io.flashraft.consensus.NodeServer;
import io.flashraft.consensus.TestCluster;
import io.flashraft.statemachine.SnapshotInstaller;

/** What runs beside each node of a test cluster here: its gateway and metrics ports, installer and leader poller. */
public final class GatewayServices implements TestCluster.NodeServices {
    public static final GatewayServices INSTANCE = new GatewayServices();
    private static final long POLL_INTERVAL_MS = 200;

    @Override
    public SnapshotInstaller installer(ClusterConfig cluster, String nodeId) {
        return new PeerSnapshotClient(cluster, nodeId);
    }

    @Override
    public AutoCloseable started(NodeServer node) throws Exception {
        GatewayServer gateway = GatewayServer.start(node);
        MetricsHttpServer metrics = MetricsHttpServer.start(node);
        PeerLeaderPoller poller = PeerLeaderPoller.start(node, POLL_INTERVAL_MS);
        return () -> {
            poller.close();
            metrics.close();
            gateway.close();
        };
    }
}
