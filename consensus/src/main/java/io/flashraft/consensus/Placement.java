package io.flashraft.consensus;

import io.flashraft.protocol.Partitions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.UUID;

/**
 * Where each partition group lives: a pure function of the {@link ClusterConfig}, so every node
 * computes the same answer without asking.
 *
 * <p>Partition p belongs to group p mod G. Group g is hosted by the replication-factor nodes that
 * follow node g mod N in the config's order, and prefers node g mod N as its leader: when G is a
 * multiple of N, leadership spreads evenly (each node's leader balance agent hands a group back
 * to its preferred node when that node is up); with fewer groups than nodes some nodes lead none,
 * which is what one machine hosting every node wants (one log, as etcd and ZooKeeper have).
 */
public final class Placement {
    private final ClusterConfig config;

    public Placement(ClusterConfig config) {
        this.config = config;
    }

    public int groupCount() {
        return config.groupCount();
    }

    /** The group that owns a partition. */
    public int groupOf(int partition) {
        return Partitions.check(partition) % groupCount();
    }

    /** The partitions a group owns. */
    public BitSet partitionsOf(int group) {
        BitSet partitions = new BitSet(Partitions.COUNT);
        for (int p = group; p < Partitions.COUNT; p += groupCount()) {
            partitions.set(p);
        }
        return partitions;
    }

    /** The nodes that host a group, its preferred leader first. */
    public List<NodeAddress> replicas(int group) {
        List<NodeAddress> nodes = config.nodes();
        List<NodeAddress> replicas = new ArrayList<>(config.replicationFactor());
        for (int k = 0; k < config.replicationFactor(); k++) {
            replicas.add(nodes.get((group + k) % nodes.size()));
        }
        return replicas;
    }

    /** The node a group's leadership returns to when it is up. */
    public NodeAddress preferredLeader(int group) {
        return replicas(group).get(0);
    }

    /** The groups a node hosts. */
    public List<Integer> groupsOf(String nodeId) {
        List<Integer> groups = new ArrayList<>();
        for (int g = 0; g < groupCount(); g++) {
            if (replicas(g).stream().anyMatch(n -> n.id().equals(nodeId))) {
                groups.add(g);
            }
        }
        return groups;
    }

    /** The stable Ratis group id of a group: the same across restarts and nodes. */
    public static UUID groupUuid(int group) {
        return UUID.nameUUIDFromBytes(("flashraft-group-" + group).getBytes(StandardCharsets.UTF_8));
    }
}
