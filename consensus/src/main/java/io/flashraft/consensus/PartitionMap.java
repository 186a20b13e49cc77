package io.flashraft.consensus;

import java.util.List;

/**
 * Where every partition group lives and who leads it, as one node knows it: what a
 * partition-aware client needs to send each request straight to its leader.
 *
 * <p>Partition p belongs to group p mod {@code groups().size()}. Placement (the replicas) comes
 * from the cluster config; leaders come from this node's own divisions for the groups it hosts,
 * and from the hosts of the other groups, asked over the gateway port and cached.
 *
 * @param version the sum of the terms of every group's known leader: it grows whenever any
 *                group's leadership changes, so a client keeps the map with the higher version
 * @param groups  one route per group, in group order
 */
public record PartitionMap(long version, List<GroupRoute> groups) {
    public PartitionMap {
        groups = List.copyOf(groups);
    }

    /**
     * One group's route.
     *
     * @param group    the group
     * @param replicas the node ids that host it, its preferred leader first
     * @param leader   the node id of its leader, or null when not known
     * @param term     the term in which that leader leads (0 when none is known)
     */
    public record GroupRoute(int group, List<String> replicas, String leader, long term) {
        public GroupRoute {
            replicas = List.copyOf(replicas);
        }
    }

    /** The route of the group that owns a partition. */
    public GroupRoute routeOf(int partition) {
        return groups.get(io.flashraft.protocol.Partitions.check(partition) % groups.size());
    }
}
