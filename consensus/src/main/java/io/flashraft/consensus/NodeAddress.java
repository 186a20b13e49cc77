package io.flashraft.consensus;

import java.util.Objects;

/**
 * Where a node listens.
 *
 * @param id          the node's stable identity (letters, digits, '-' and '_')
 * @param host        its address
 * @param raftPort    Ratis (gRPC) traffic between replicas
 * @param gatewayPort the binary protocol: clients, forwarding and snapshot streaming
 * @param metricsPort the HTTP metrics endpoint
 */
public record NodeAddress(String id, String host, int raftPort, int gatewayPort, int metricsPort) {
    public NodeAddress {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        if (!id.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("node id must be 1..64 letters, digits, '-' or '_': " + id);
        }
        for (int port : new int[] {raftPort, gatewayPort, metricsPort}) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("node " + id + ": port " + port + " outside 1..65535");
            }
        }
    }

    /** host:raftPort, as Ratis addresses a peer. */
    public String raftAddress() {
        return host + ":" + raftPort;
    }
}
