package io.flashraft.protocol;

import java.util.List;
import java.util.Objects;

/**
 * What a partition-aware client needs to send each request straight to its group's leader: the
 * nodes with their gateway addresses, and per partition group its replicas and known leader.
 * Partition p belongs to group {@code p mod groups().size()} (docs/protocol.md, section 12).
 *
 * @param version grows whenever any group's known leadership changes (the sum of the leaders'
 *                terms); of two maps a client keeps the one with the higher version
 * @param nodes   every node of the cluster, in config order
 * @param groups  one route per group, in group order
 */
public record ClusterMap(long version, List<Node> nodes, List<Route> groups) {
    /** The most nodes and groups a map may list. */
    public static final int MAX_NODES = 255;
    public static final int MAX_GROUPS = Partitions.COUNT;

    public ClusterMap {
        nodes = List.copyOf(nodes);
        groups = List.copyOf(groups);
        if (nodes.isEmpty() || nodes.size() > MAX_NODES) {
            throw new IllegalArgumentException("a cluster map lists 1.." + MAX_NODES + " nodes, got " + nodes.size());
        }
        if (groups.isEmpty() || groups.size() > MAX_GROUPS) {
            throw new IllegalArgumentException("a cluster map lists 1.." + MAX_GROUPS + " groups, got " + groups.size());
        }
        for (int g = 0; g < groups.size(); g++) {
            Route route = groups.get(g);
            if (route.group() != g) {
                throw new IllegalArgumentException("route " + g + " is for group " + route.group());
            }
            for (int replica : route.replicas()) {
                checkNode(replica, nodes.size());
            }
            if (route.leader() != Route.NO_LEADER) {
                checkNode(route.leader(), nodes.size());
            }
        }
    }

    private static void checkNode(int index, int nodes) {
        if (index < 0 || index >= nodes) {
            throw new IllegalArgumentException("node index " + index + " outside 0.." + (nodes - 1));
        }
    }

    /**
     * A node and the addresses of its ports.
     *
     * @param id          its node id
     * @param host        the host its ports listen on
     * @param port        its gateway port
     * @param metricsPort its metrics HTTP port ({@code /metrics}, {@code /status})
     */
    public record Node(String id, String host, int port, int metricsPort) {
        public Node {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65_535 || metricsPort < 1 || metricsPort > 65_535) {
                throw new IllegalArgumentException("ports " + port + ", " + metricsPort);
            }
        }

        /** {@code host:port}. */
        public String address() {
            return host + ":" + port;
        }
    }

    /**
     * One group's route.
     *
     * @param group    the group
     * @param replicas indexes into {@link #nodes()} of the nodes that host it
     * @param leader   the index of its leader, or {@link #NO_LEADER}
     * @param term     the term in which that leader leads (0 when none is known)
     */
    public record Route(int group, List<Integer> replicas, int leader, long term) {
        public static final int NO_LEADER = -1;

        public Route {
            replicas = List.copyOf(replicas);
        }
    }

    /** The group that owns a partition. */
    public int groupOf(int partition) {
        return Partitions.check(partition) % groups.size();
    }

    /** The node that leads a group, or null when the map knows none. */
    public Node leaderOf(int group) {
        Route route = groups.get(group);
        return route.leader() == Route.NO_LEADER ? null : nodes.get(route.leader());
    }

    /** The node with this id, or null. */
    public Node node(String id) {
        for (Node node : nodes) {
            if (node.id().equals(id)) {
                return node;
            }
        }
        return null;
    }

    /** This map with one group's leader replaced, as a result that named the leader teaches. */
    public ClusterMap withLeader(int group, String leaderId) {
        int index = -1;
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).id().equals(leaderId)) {
                index = i;
            }
        }
        Route old = groups.get(group);
        if (index < 0 || old.leader() == index) {
            return this;
        }
        List<Route> routes = new java.util.ArrayList<>(groups);
        routes.set(group, new Route(group, old.replicas(), index, old.term()));
        return new ClusterMap(version, nodes, routes);
    }
}
