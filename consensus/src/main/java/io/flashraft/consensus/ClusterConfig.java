package io.flashraft.consensus;

import io.flashraft.protocol.Partitions;
import io.flashraft.statemachine.SessionConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What every node of a cluster must agree on: its nodes, how many partition groups it has and
 * how widely they are replicated, the namespaces, and the settings that decide applied results.
 * Nodes compare {@link #hash()} and refuse a peer whose hash differs.
 *
 * @param nodes             the initial nodes, in order; placement follows this order
 * @param groupCount        the number of partition groups, G, fixed at the cluster's first start
 * @param replicationFactor replicas of each group: 3 by default, 5 supported, at most the nodes
 * @param namespaces        the namespaces, each with its own store on every node
 * @param sessions          the session table settings (they decide replies)
 */
public record ClusterConfig(List<NodeAddress> nodes, int groupCount, int replicationFactor,
                            List<NamespaceConfig> namespaces, SessionConfig sessions) {
    public ClusterConfig {
        nodes = List.copyOf(nodes);
        namespaces = List.copyOf(namespaces);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one node");
        }
        Set<String> ids = new HashSet<>();
        for (NodeAddress node : nodes) {
            if (!ids.add(node.id())) {
                throw new IllegalArgumentException("node id " + node.id() + " appears twice");
            }
        }
        if (groupCount < 1 || groupCount > Partitions.COUNT) {
            throw new IllegalArgumentException("partition groups must be 1.." + Partitions.COUNT + ", got " + groupCount);
        }
        if (replicationFactor < 1 || replicationFactor > nodes.size()) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " needs 1.." + nodes.size());
        }
        if (namespaces.isEmpty() || namespaces.stream().map(NamespaceConfig::name).distinct().count() != namespaces.size()) {
            throw new IllegalArgumentException("namespaces must be named, each once: " + namespaces);
        }
    }

    /** The node with this id. */
    public NodeAddress node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + id + " in the cluster " + nodes));
    }

    /** The namespace of this name, or null. */
    public NamespaceConfig namespace(String name) {
        return namespaces.stream().filter(ns -> ns.name().equals(name)).findFirst().orElse(null);
    }

    /** SHA-256 (hex) of everything here: nodes that disagree on it must not talk. */
    public String hash() {
        StringBuilder canonical = new StringBuilder("flashraft-cluster-v1\n");
        for (NodeAddress node : nodes) {
            canonical.append(node.id()).append(' ').append(node.host()).append(' ').append(node.raftPort())
                    .append(' ').append(node.gatewayPort()).append(' ').append(node.metricsPort()).append('\n');
        }
        canonical.append(groupCount).append(' ').append(replicationFactor).append('\n');
        namespaces.forEach(ns -> canonical.append(ns.name()).append(' ').append(ns.consistency()).append(' ')
                .append(ns.defaultTtlSec()).append(' ').append(ns.maxRecordSizeBytes()).append('\n'));
        canonical.append(sessions.windowSize()).append(' ').append(sessions.idleMs()).append(' ')
                .append(sessions.maxSessions()).append('\n');
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return io.flashraft.protocol.Hex.encode(sha);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
