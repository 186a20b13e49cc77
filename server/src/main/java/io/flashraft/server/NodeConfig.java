package io.flashraft.server;

import io.flashraft.consensus.ClusterConfig;
import io.flashraft.consensus.NamespaceConfig;
import io.flashraft.consensus.NodeAddress;
import io.flashraft.consensus.RaftTuning;
import io.flashraft.device.StoreConfig;
import io.flashraft.protocol.Partitions;
import io.flashraft.statemachine.SessionConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * A node's config file (YAML), validated: every key documented in docs/configuration.md, every
 * optional key with its default, and any bad, missing or unknown key refused with a message that
 * names the file and the key. Relative paths are resolved against the file's directory
 * ({@code data-dir}) and against the data directory (devices).
 *
 * @param nodeId           this node's id, one of the cluster's nodes
 * @param dataDir          where the node keeps its Raft logs and stores
 * @param cluster          what every node must agree on
 * @param raft             this node's Ratis settings
 * @param stores           this node's store of each namespace
 * @param handOffTimeoutMs how long a graceful stop waits for each group it leads to change leader
 */
public record NodeConfig(String nodeId, Path dataDir, ClusterConfig cluster, RaftTuning raft,
                         Map<String, StoreConfig> stores, long handOffTimeoutMs) {

    /** Reads and validates a node config file. */
    public static NodeConfig load(Path file) throws ConfigException {
        String name = file.toString();
        Object document;
        try (Reader reader = Files.newBufferedReader(file)) {
            document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot read the file: " + e);
        } catch (YAMLException e) {
            throw new ConfigException(name + ": not valid YAML: " + e.getMessage());
        }
        ConfigSection root = ConfigSection.root(name, document);
        String nodeId = root.string("node-id");
        Path base = file.toAbsolutePath().getParent();
        Path dataDir = base.resolve(root.string("data-dir")).normalize();

        ConfigSection clusterSection = root.section("cluster");
        List<NodeAddress> nodes = new ArrayList<>();
        for (ConfigSection node : clusterSection.sections("nodes")) {
            String id = node.string("id");
            String host = node.string("host");
            int raftPort = (int) node.integer("raft-port", 1, 65535);
            int gatewayPort = (int) node.integer("gateway-port", 1, 65535);
            int metricsPort = (int) node.integer("metrics-port", 1, 65535);
            node.finish();
            try {
                nodes.add(new NodeAddress(id, host, raftPort, gatewayPort, metricsPort));
            } catch (IllegalArgumentException e) {
                throw node.error("id", e.getMessage());
            }
        }
        if (nodes.stream().noneMatch(n -> n.id().equals(nodeId))) {
            throw root.error("node-id", "'" + nodeId + "' is not the id of any of cluster.nodes");
        }
        int groups = (int) clusterSection.integer("partition-groups", 1, Partitions.COUNT, nodes.size());
        int replicationFactor = (int) clusterSection.integer("replication-factor", 1, nodes.size(), Math.min(3, nodes.size()));
        SessionConfig defaults = SessionConfig.DEFAULT;
        SessionConfig sessions = new SessionConfig(
                (int) clusterSection.integer("session-window", 1, 1 << 16, defaults.windowSize()),
                clusterSection.integer("session-idle-ms", 1_000, Long.MAX_VALUE / 4, defaults.idleMs()),
                (int) clusterSection.integer("max-sessions", 1, 10_000_000, defaults.maxSessions()));
        clusterSection.finish();

        ConfigSection raftSection = root.sectionOrEmpty("raft");
        RaftTuning d = RaftTuning.DEFAULT;
        long electionMin = raftSection.integer("election-timeout-min-ms", 100, 600_000, d.electionTimeoutMinMs());
        long electionMax = raftSection.integer("election-timeout-max-ms", electionMin + 1, 1_200_000,
                Math.max(d.electionTimeoutMaxMs(), electionMin + 1));
        RaftTuning raft = new RaftTuning(electionMin, electionMax,
                raftSection.integer("snapshot-every-entries", 1, Long.MAX_VALUE, d.snapshotEveryEntries()),
                raftSection.integer("fault-retry-ms", 1, 3_600_000, d.faultRetryMs()),
                raftSection.integer("log-segment-bytes", 16 << 10, 1L << 32, d.logSegmentBytes()),
                raftSection.integer("leader-balance-interval-ms", 1, 3_600_000, d.leaderBalanceIntervalMs()),
                raftSection.integer("log-disk-reserve-bytes", 0, Long.MAX_VALUE, d.logDiskReserveBytes()),
                raftSection.integer("proposal-linger-us", 0, 1_000_000, d.proposalLingerUs()));
        long handOffTimeoutMs = raftSection.integer("hand-off-timeout-ms", 100, 600_000, 10_000);
        raftSection.finish();

        Map<String, StoreConfig> stores = new LinkedHashMap<>();
        List<NamespaceConfig> namespaces = new ArrayList<>();
        for (ConfigSection ns : root.sections("namespaces")) {
            String nsName = ns.string("name");
            String consistency = ns.string("consistency", "strong");
            if (!consistency.equals("strong")) {
                throw ns.error("consistency", "only 'strong' exists so far, got '" + consistency + "'");
            }
            StoreConfig store = store(ns, dataDir.resolve(nsName));
            if (stores.put(nsName, store) != null) {
                throw ns.error("name", "namespace '" + nsName + "' appears twice");
            }
            try {
                namespaces.add(NamespaceConfig.of(nsName, store));
            } catch (IllegalArgumentException e) {
                throw ns.error("name", e.getMessage());
            }
            ns.finish();
        }
        root.finish();
        return new NodeConfig(nodeId, dataDir, new ClusterConfig(nodes, groups, replicationFactor, namespaces, sessions),
                raft, stores, handOffTimeoutMs);
    }

    /**
     * A namespace's store on this node: shared settings at the namespace, the rest under storage.
     * Ranges are the store's own ({@code StoreConfig} checks them and names the key).
     */
    private static StoreConfig store(ConfigSection ns, Path storeDir) throws ConfigException {
        StoreConfig.Builder b = StoreConfig.builder().dataDir(storeDir);
        ns.ifLong("default-ttl-sec", b::defaultTtlSec);
        ns.ifInt("max-record-size-bytes", b::maxRecordSizeBytes);
        ConfigSection s = ns.section("storage");
        String engine = s.string("engine", "device");
        switch (engine) {
            case "device" -> b.engine(StoreConfig.Engine.DEVICE);
            case "memory" -> b.engine(StoreConfig.Engine.MEMORY);
            case "rocksdb" -> b.engine(StoreConfig.Engine.ROCKSDB);
            default -> throw s.error("engine", "expected device, memory or rocksdb, got '" + engine + "'");
        }
        if (s.has("devices")) {
            b.devices(s.strings("devices").stream().map(storeDir::resolve).toList());
        } else if (engine.equals("device")) {
            throw s.error("devices", "missing (required by the device engine)");
        }
        s.ifLong("device-size-bytes", b::deviceSizeBytes);
        s.ifInt("write-block-size-bytes", b::writeBlockSizeBytes);
        s.ifLong("flush-interval-ms", b::flushIntervalMs);
        s.ifInt("post-write-queue-blocks", b::postWriteQueueBlocks);
        b.directIo(s.bool("direct-io", false));
        s.ifInt("defrag-low-water-percent", b::defragLowWaterPercent);
        s.ifInt("defrag-blocks-per-pass", b::defragBlocksPerPass);
        s.ifLong("maintenance-interval-ms", b::maintenanceIntervalMs);
        s.ifLong("tombstone-retention-ms", b::tombstoneRetentionMs);
        s.ifLong("memory-limit-bytes", b::memoryLimitBytes);
        s.ifInt("stop-writes-memory-percent", b::stopWritesMemoryPercent);
        s.ifInt("stop-writes-disk-percent", b::stopWritesDiskPercent);
        s.ifInt("evict-used-percent", b::evictUsedPercent);
        s.finish();
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw ns.error(e.getMessage());
        }
    }
}
