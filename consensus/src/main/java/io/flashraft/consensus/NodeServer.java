package io.flashraft.consensus;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import io.flashraft.device.RecordStore;
import io.flashraft.device.RecordStores;
import io.flashraft.device.StoreConfig;
import io.flashraft.protocol.ReplyCodec;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.RequestCodec;
import io.flashraft.statemachine.Command;
import io.flashraft.statemachine.GroupApplier;
import io.flashraft.statemachine.LogEntryCodec;
import io.flashraft.statemachine.LogSegmentTrash;
import io.flashraft.statemachine.PartitionGroupStateMachine;
import io.flashraft.statemachine.SnapshotInstaller;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.LeaderElectionManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.protocol.exceptions.ReadIndexException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node: its record stores (one per namespace, shared by its groups) and one Ratis server
 * hosting every partition group that the placement gives it.
 *
 * <p>Requests reach a group through {@link #submit} (writes, proposed when this node leads the
 * group) and {@link #read} (linearizable reads: Ratis' read index, on the leader or on a
 * follower). Neither ever blocks the caller: both answer with a future.
 */
public final class NodeServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeServer.class);

    private final ClusterConfig cluster;
    private final Placement placement;
    private final NodeAddress self;
    private final RaftPeerId selfId;
    private final Map<String, RecordStore> stores;
    private final Map<Integer, RaftGroup> groups = new LinkedHashMap<>();
    private final Map<RaftGroupId, Integer> groupNumbers = new HashMap<>();
    private final Map<Integer, PartitionGroupStateMachine> machines = new ConcurrentHashMap<>();
    /** Each hosted group's batcher of proposals (used while this node leads the group). */
    private final Map<Integer, ProposalBatcher> batchers = new HashMap<>();
    /**
     * The one thread that answers the batchers' completed entries and proposes their next ones,
     * off Ratis' threads, also after they linger (see {@link ProposalBatcher}); once closed,
     * completions run where they occur, at once.
     */
    private final ScheduledThreadPoolExecutor proposalCompletions;
    /** Leaders of the groups this node does not host, learned from their hosts. */
    private final Map<Integer, LeaderTerm> learnedLeaders = new ConcurrentHashMap<>();
    /** Groups removed from the Ratis server to reopen their failed log, not yet added back. */
    private final Set<Integer> reopening = ConcurrentHashMap.newKeySet();
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** How often the log recovery agent looks for groups whose Raft log failed here. */
    private static final long LOG_RECOVERY_INTERVAL_MS = 2_000;
    /** Free space a log disk needs before a failed log is reopened, at the least. */
    private static final long LOG_RECOVERY_MIN_FREE_BYTES = 64L << 20;
    /** How often the purged Raft log segments a snapshot let go of are freed ({@link LogSegmentTrash}). */
    private static final long LOG_TRASH_INTERVAL_MS = 1_000;

    /** The most bytes of commands {@link ProposalBatcher} puts in one log entry (one command may exceed it). */
    private static final int MAX_ENTRY_BYTES = 1 << 20;
    /**
     * Entries {@link ProposalBatcher} keeps in flight per group. One: what arrives while an entry
     * is replicated goes out as the next one, so a busy group's entries are as large as its load
     * makes them. Measured on 2 cores, 64 threads of updates: 1,742 ops/s at 0.90 server CPU-s per
     * 1,000 with one in flight, 946 at 1.76 with two, 768 at 2.18 with four (docs/benchmarks.md).
     */
    private static final int PROPOSALS_IN_FLIGHT = 1;
    /** How long a reading of the log disk's free space is used before it is read again. */
    private static final long LOG_DISK_FREE_REUSE_MS = 10;
    /** How often the eviction agent compares each store with its eviction mark. */
    private static final long EVICTION_INTERVAL_MS = 1_000;
    /**
     * A planted bug, for the consistency harness only: serve reads from this replica's local
     * state without a read index (-Dflashraft.test.unsafe-local-reads=true). A replica cut off
     * from the majority then answers stale values; the harness must catch it.
     */
    private static final boolean UNSAFE_LOCAL_READS = Boolean.getBoolean("flashraft.test.unsafe-local-reads");
    /** How long one round waits for a group to apply its evictions. */
    private static final long EVICTION_WAIT_MS = 30_000;
    /** The most evictions one round proposes to one group: one log entry. */
    private static final int EVICTION_BATCH = 256;

    /** How far behind the leader's commit index a follower may be and still take leadership at once. */
    private static final long CATCH_UP_SLACK_ENTRIES = 64;
    /** Threads that answer confirmed reads from the store: one per core, at least two (a read may wait on the device). */
    private static final int READ_ANSWER_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());
    /** How long a hand-off that found no one to take a group waits before it looks again. */
    private static final long HAND_OFF_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Rounds of the empty-replica watch in the shortest election timeout. */
    private static final int EMPTY_WATCH_ROUNDS = 4;

    private final RaftServer server;
    private final RaftTuning tuning;
    private final Path raftDir;
    private final MetricRegistry metrics;
    private final Map<String, StoreConfig> storeConfigs;
    private final LongSupplier clockMs;
    private final LeaderReads leaderReads = new LeaderReads();
    /**
     * Answers confirmed reads: off the gRPC threads that confirm them and the apply thread that
     * releases them, where the reads' store lookups would hold back commits and applies.
     */
    private final ExecutorService readAnswers;
    private final com.codahale.metrics.Counter evictions;
    private final NodeAgent balancer;
    private final NodeAgent evictor;
    private final NodeAgent logRecovery;
    private final NodeAgent logTrashEmptier;
    private final NodeAgent emptyReplicaWatch;
    /** Groups whose storage this node created empty, with the rounds each has been stuck so (see {@link #reclaimEmptyReplicas}). */
    private final Map<Integer, Integer> emptyReplicas = new ConcurrentHashMap<>();
    private volatile boolean stopping;
    /** The file system of the Raft logs, once known. */
    private volatile FileStore logDisk;
    /** The last reading of its free space. */
    private volatile LogDiskFree logDiskFree;

    private record LogDiskFree(long bytes, long readAtNanos) {
    }

    private NodeServer(ClusterConfig cluster, String nodeId, Path dataDir, Map<String, RecordStore> stores,
                       Map<String, StoreConfig> storeConfigs, RaftTuning tuning, SnapshotInstaller installer,
                       MetricRegistry metrics, LongSupplier clockMs) throws IOException {
        this.cluster = cluster;
        this.placement = new Placement(cluster);
        this.self = cluster.node(nodeId);
        this.selfId = RaftPeerId.valueOf(nodeId);
        this.stores = stores;
        this.tuning = tuning;
        this.raftDir = dataDir.resolve("raft");
        this.metrics = metrics;
        this.storeConfigs = Map.copyOf(storeConfigs);
        this.clockMs = clockMs;
        this.evictions = metrics.counter("evictions");
        Histogram entrySizes = metrics.histogram("commands-per-entry");
        this.readAnswers = Executors.newFixedThreadPool(READ_ANSWER_THREADS, DaemonThreads.named("read-answers-" + nodeId));
        this.proposalCompletions = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("proposal-completions-" + nodeId),
                (task, pool) -> task.run());
        ProposalBatcher.Linger linger = ProposalBatcher.Linger.of(tuning.proposalLingerUs(), proposalCompletions);
        this.balancer = new NodeAgent("leader-balance-" + nodeId, tuning.leaderBalanceIntervalMs(), this::balanceLeaders);
        this.evictor = new NodeAgent("eviction-" + nodeId, EVICTION_INTERVAL_MS, this::evictOnce);
        this.logRecovery = new NodeAgent("log-recovery-" + nodeId, LOG_RECOVERY_INTERVAL_MS, this::reopenBrokenGroups);
        LogSegmentTrash trash = new LogSegmentTrash(dataDir.resolve("raft-purged"));
        this.logTrashEmptier = new NodeAgent("log-trash-" + nodeId, LOG_TRASH_INTERVAL_MS, trash::empty);
        this.emptyReplicaWatch = new NodeAgent("empty-replica-watch-" + nodeId, emptyWatchIntervalMs(tuning),
                this::reclaimEmptyReplicas);
        for (int g : placement.groupsOf(nodeId)) {
            RaftGroup group = raftGroup(g);
            groups.put(g, group);
            groupNumbers.put(group.getGroupId(), g);
            batchers.put(g, new ProposalBatcher(PROPOSALS_IN_FLIGHT, MAX_ENTRY_BYTES, entrySizes, proposalCompletions,
                    linger, batch -> proposeEntry(g, batch)));
            RaftStorageCheck.setAsideIfDamaged(raftDir, group.getGroupId().getUuid().toString(), nodeId);
        }
        RaftProperties properties = properties(dataDir, tuning);
        LOG.info("node {}: durability: {}", nodeId, checkDurable(properties));
        this.server = RaftServer.newBuilder()
                .setServerId(selfId)
                .setProperties(properties)
                .setParameters(leaderReads.parameters())
                .setStateMachineRegistry(gid -> {
                    Integer g = groupNumbers.get(gid);
                    if (g == null) {
                        throw new IllegalStateException("node " + nodeId + " does not host Ratis group " + gid);
                    }
                    return machines.computeIfAbsent(g, n -> new PartitionGroupStateMachine(
                            new GroupApplier(n, placement.partitionsOf(n), stores, cluster.sessions()),
                            installer, trash, clockMs, tuning.faultRetryMs(), metrics));
                })
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
    }

    /**
     * Opens the node's stores, starts its Ratis server, and joins every group the placement gives
     * it (creating the group's storage the first time). Returns once the server runs; leaders
     * are elected in the background.
     *
     * @param namespaceStores the store settings of each namespace of the cluster on this node
     * @param installer       fetches a group's state from its leader when a replica must be rebuilt
     */
    public static NodeServer start(ClusterConfig cluster, String nodeId, Path dataDir,
                                   Map<String, StoreConfig> namespaceStores, RaftTuning tuning,
                                   SnapshotInstaller installer, MetricRegistry metrics, LongSupplier clockMs)
            throws IOException {
        for (NamespaceConfig ns : cluster.namespaces()) {
            StoreConfig store = namespaceStores.get(ns.name());
            if (store == null) {
                throw new IllegalArgumentException("node " + nodeId + " has no store for namespace " + ns.name());
            }
            ns.check(store);
        }
        if (namespaceStores.size() != cluster.namespaces().size()) {
            throw new IllegalArgumentException("node " + nodeId + " configures namespaces " + namespaceStores.keySet()
                    + " but the cluster has " + cluster.namespaces());
        }
        Map<String, RecordStore> stores = new LinkedHashMap<>();
        try {
            for (NamespaceConfig ns : cluster.namespaces()) {
                LOG.info("node {}: opening the store of namespace {}", nodeId, ns.name());
                stores.put(ns.name(), RecordStores.open(namespaceStores.get(ns.name())));
            }
            NodeServer node = new NodeServer(cluster, nodeId, dataDir, Map.copyOf(stores), namespaceStores, tuning,
                    installer, metrics, clockMs);
            node.startServer();
            return node;
        } catch (IOException | RuntimeException e) {
            stores.values().forEach(RecordStore::close);
            throw e;
        }
    }

    private void startServer() throws IOException {
        if (UNSAFE_LOCAL_READS) {
            LOG.warn("node {}: UNSAFE LOCAL READS (a planted bug for the consistency tests): reads skip the read index",
                    self.id());
        }
        server.start();
        balancer.start();
        evictor.start();
        logRecovery.start();
        logTrashEmptier.start();
        emptyReplicaWatch.start();
        Set<RaftGroupId> existing = Set.copyOf(toList(server.getGroupIds()));
        for (Map.Entry<Integer, RaftGroup> entry : groups.entrySet()) {
            if (!existing.contains(entry.getValue().getGroupId())) {
                LOG.info("node {}: creating partition group {}", self.id(), entry.getKey());
                addGroup(entry.getValue(), true);
            }
        }
    }

    /**
     * Adds a group to the running Ratis server, formatting its storage or recovering it; a
     * leader's InstallSnapshot for the group waits until the add is done ({@link GroupAddGuard}).
     */
    private void addGroup(RaftGroup group, boolean format) throws IOException {
        RaftClientReply reply;
        try (GroupAddGuard.Adding adding = GroupAddGuard.adding(selfId, group.getGroupId())) {
            reply = server.groupManagement(
                    GroupManagementRequest.newAdd(clientId, selfId, callIds.incrementAndGet(), group, format));
        }
        if (!reply.isSuccess()) {
            throw new IOException("node " + self.id() + " could not add group " + groupNumbers.get(group.getGroupId())
                    + ": " + reply.getException());
        }
        if (format) {
            emptyReplicas.put(groupNumbers.get(group.getGroupId()), 0);
        }
    }

    private static <T> List<T> toList(Iterable<T> items) {
        List<T> list = new ArrayList<>();
        items.forEach(list::add);
        return list;
    }

    /**
     * Refuses Ratis settings that acknowledge an entry before it is on disk; says what an
     * acknowledged write has survived.
     */
    static String checkDurable(RaftProperties p) {
        if (RaftServerConfigKeys.Log.unsafeFlushEnabled(p) || RaftServerConfigKeys.Log.asyncFlushEnabled(p)) {
            throw new IllegalStateException("Ratis would count log entries before they are fsynced ("
                    + RaftServerConfigKeys.Log.UNSAFE_FLUSH_ENABLED_KEY + "=" + RaftServerConfigKeys.Log.unsafeFlushEnabled(p) + ", "
                    + RaftServerConfigKeys.Log.ASYNC_FLUSH_ENABLED_KEY + "=" + RaftServerConfigKeys.Log.asyncFlushEnabled(p)
                    + "): FlashRaft acknowledges a write only once a majority fsynced it");
        }
        return "a write is acknowledged once its Raft log entry is fsynced on a majority ("
                + RaftServerConfigKeys.Log.UNSAFE_FLUSH_ENABLED_KEY + "=false, " + RaftServerConfigKeys.Log.ASYNC_FLUSH_ENABLED_KEY + "=false)";
    }

    private RaftProperties properties(Path dataDir, RaftTuning tuning) {
        RaftProperties p = new RaftProperties();
        // Ratis' defaults, set so that no default can change under us: see checkDurable.
        RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, false);
        RaftServerConfigKeys.Log.setAsyncFlushEnabled(p, false);
        RaftConfigKeys.Rpc.setType(p, new LeaderReads.Transport());
        GrpcConfigKeys.Server.setPort(p, self.raftPort());
        RaftServerConfigKeys.setStorageDir(p, List.of(raftDir.toFile()));
        RaftServerConfigKeys.setRemovedGroupsDir(p, dataDir.resolve("raft-removed").toFile());
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(tuning.electionTimeoutMinMs(), TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(tuning.electionTimeoutMaxMs(), TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, tuning.snapshotEveryEntries());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
        // Many groups share two cores and one heap: keep per-group caches small (as Ozone does).
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
        // A lagging or wiped replica is rebuilt from the leader's record store, not from files
        // Ratis would copy: the state machine is told to install instead.
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, false);
        // Purge behind each snapshot even if a replica is down: it is rebuilt from the leader's
        // store, so the log need not be kept for it; and purge as often as snapshots are taken.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(tuning.logSegmentBytes()));
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(1024, tuning.snapshotEveryEntries()));
        // No log entry recording each new commit index: Ratis appends one after every commit (one
        // more entry to fsync on every replica, replicate and skip in apply, about as many as the
        // writes' own at low load) so that a restarted replica knows its commit index without a
        // leader. Raft needs no persisted commit index: a restarted replica applies its log once
        // a leader, which serves reads only after committing an entry of its term, tells it how
        // far (Ozone turned it off likewise, HDDS-13281).
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
        return p;
    }

    /**
     * The Ratis group of group g. Every replica has the same priority: Ratis lets no peer win an
     * election while a live peer of higher priority refuses it, which would make a graceful
     * hand-off impossible; leaders move to the preferred node by transfer instead
     * ({@link #balanceLeaders}).
     */
    private RaftGroup raftGroup(int g) {
        List<RaftPeer> peers = new ArrayList<>();
        for (NodeAddress node : placement.replicas(g)) {
            peers.add(RaftPeer.newBuilder().setId(node.id()).setAddress(node.raftAddress()).build());
        }
        return RaftGroup.valueOf(RaftGroupId.valueOf(Placement.groupUuid(g)), peers);
    }

    /** This node's identity. */
    public NodeAddress self() {
        return self;
    }

    /** Where groups live. */
    public Placement placement() {
        return placement;
    }

    /** The cluster this node belongs to. */
    public ClusterConfig cluster() {
        return cluster;
    }

    /**
     * What a node knows of one group it hosts.
     *
     * @param group        the group
     * @param role         LEADER, FOLLOWER, CANDIDATE... as Ratis says
     * @param leader       the leader's node id, or null when none is known
     * @param term         the current term
     * @param appliedIndex the last log index applied here
     * @param commitIndex  the last log index known committed here
     * @param fault        why the group stopped applying here, or null
     * @param installs     how many times this replica was rebuilt from its leader
     */
    public record GroupStatus(int group, String role, String leader, long term, long appliedIndex, long commitIndex,
                              String fault, long installs) {
    }

    /** The state of every group this node hosts, in group order. */
    public List<GroupStatus> status() {
        List<GroupStatus> out = new ArrayList<>();
        for (int group : groups.keySet()) {
            RaftServer.Division division = division(group);
            PartitionGroupStateMachine machine = machines.get(group);
            if (division == null || machine == null) {
                out.add(new GroupStatus(group, "STARTING", null, 0, -1, -1, null, 0));
                continue;
            }
            out.add(new GroupStatus(group, division.getInfo().getCurrentRole().name(), leaderOf(group),
                    division.getInfo().getCurrentTerm(), division.getInfo().getLastAppliedIndex(),
                    division.getRaftLog().getLastCommittedIndex(), machine.fault(), machine.installCount()));
        }
        return out;
    }

    /** A group's leader as this node learned it, and the term it leads in. */
    public record LeaderTerm(String leader, long term) {
    }

    /** The leader and term of every group this node hosts and knows a leader of. */
    public Map<Integer, LeaderTerm> hostedLeaders() {
        Map<Integer, LeaderTerm> out = new LinkedHashMap<>();
        for (int group : groups.keySet()) {
            RaftServer.Division division = division(group);
            String leader = leaderOf(group);
            if (division != null && leader != null) {
                out.put(group, new LeaderTerm(leader, division.getInfo().getCurrentTerm()));
            }
        }
        return out;
    }

    /**
     * Takes what another node said of the leaders of groups this node does not host; an entry
     * replaces the cached one only if its term is newer.
     */
    public void learnLeaders(Map<Integer, LeaderTerm> learned) {
        learned.forEach((group, leaderTerm) -> {
            if (group >= 0 && group < placement.groupCount() && !groups.containsKey(group)) {
                learnedLeaders.merge(group, leaderTerm, (old, now) -> now.term() > old.term() ? now : old);
            }
        });
    }

    /** Every group's replicas and leader as this node knows them, with a version. */
    public PartitionMap partitionMap() {
        Map<Integer, LeaderTerm> hosted = hostedLeaders();
        List<PartitionMap.GroupRoute> routes = new ArrayList<>();
        long version = 0;
        for (int group = 0; group < placement.groupCount(); group++) {
            LeaderTerm known = groups.containsKey(group) ? hosted.get(group) : learnedLeaders.get(group);
            List<String> replicas = placement.replicas(group).stream().map(NodeAddress::id).toList();
            routes.add(new PartitionMap.GroupRoute(group, replicas, known == null ? null : known.leader(),
                    known == null ? 0 : known.term()));
            version += known == null ? 0 : known.term();
        }
        return new PartitionMap(version, routes);
    }

    /** The registry where this node's own metrics live; the gateway adds its own there. */
    public MetricRegistry metricRegistry() {
        return metrics;
    }

    /** Everything this node measures (its own metrics, its stores, its part of Ratis), labelled with its id. */
    public List<MetricSample> metrics() {
        return NodeMetrics.collect(self.id(), metrics, stores);
    }

    /** Whether this node hosts the group. */
    public boolean hosts(int group) {
        return groups.containsKey(group);
    }

    /** The group's state machine on this node, or null when it does not host the group. */
    public PartitionGroupStateMachine stateMachine(int group) {
        return machines.get(group);
    }

    /** This node's store of a namespace. */
    public RecordStore store(String namespace) {
        return stores.get(namespace);
    }

    /**
     * Whether this node answers reads of the group itself: only its leader can confirm, with a
     * majority's answers, that its commit index is current; other nodes forward reads to it.
     */
    public boolean servesReads(int group) {
        return UNSAFE_LOCAL_READS ? hosts(group) : leads(group);
    }

    /** Whether this node leads the group now. */
    public boolean leads(int group) {
        RaftServer.Division division = division(group);
        return division != null && division.getInfo().isLeader() && division.getInfo().isLeaderReady();
    }


    /** The node id of the group's leader as this node knows it, or null. */
    public String leaderOf(int group) {
        RaftServer.Division division = division(group);
        if (division == null) {
            return null;
        }
        RaftPeerId leader = division.getInfo().getLeaderId();
        return leader == null ? null : leader.toString();
    }

    /**
     * Proposes a command to a group this node leads and answers with its reply once applied. The
     * commands that reach the group together share a log entry ({@link ProposalBatcher}). A write
     * that would grow a namespace whose store passed its stop-writes mark, or while the Raft log
     * disk is below its reserve, is refused before anything is proposed (DEVICE_FULL); deletes
     * still go through.
     */
    public CompletableFuture<GroupResult> submit(int group, Command command) {
        RaftServer.Division division = division(group);
        if (division == null) {
            return CompletableFuture.completedFuture(GroupResult.notLeader(placement.preferredLeader(group).id()));
        }
        if (!division.getInfo().isLeader()) {
            return CompletableFuture.completedFuture(GroupResult.notLeader(leaderOf(group)));
        }
        if (grows(command.request())) {
            RecordStore store = stores.get(command.request().namespace());
            if (store != null && store.stopWrites()) {
                return CompletableFuture.completedFuture(GroupResult.failed(GroupResult.Status.DEVICE_FULL,
                        "namespace " + command.request().namespace() + " passed its stop-writes mark on the leader"));
            }
            long logDiskFree = logDiskFreeBytes();
            if (logDiskFree < tuning.logDiskReserveBytes()) {
                return CompletableFuture.completedFuture(GroupResult.failed(GroupResult.Status.DEVICE_FULL,
                        "the Raft log disk of node " + self.id() + " (" + raftDir + ") has " + logDiskFree
                                + " bytes free, less than the reserve of " + tuning.logDiskReserveBytes()));
            }
        }
        return batchers.get(group).propose(LogEntryCodec.encodeCommand(command));
    }

    /** Proposes one entry of encoded commands to a group and answers with their replies. */
    private CompletableFuture<GroupResult> proposeEntry(int group, byte[] batch) {
        RaftClientRequest request = request(group, batch, RaftClientRequest.writeRequestType());
        return submitAsync(group, request)
                .thenApply(reply -> reply.isSuccess()
                        ? GroupResult.ok(LogEntryCodec.decodeReplies(reply.getMessage().getContent().toByteArray()))
                        : failure(reply.getException(), true))
                .exceptionally(e -> failure(e, true));
    }

    /**
     * Answers a linearizable read on this group's leader: the read index is the commit index as
     * the read arrives; once a majority has answered this leader since ({@link LeaderReads}) and
     * this replica has applied that index, the read is answered from its state.
     */
    public CompletableFuture<GroupResult> read(int group, Request read) {
        RaftServer.Division division = division(group);
        if (division == null) {
            return CompletableFuture.completedFuture(GroupResult.notLeader(placement.preferredLeader(group).id()));
        }
        PartitionGroupStateMachine machine = machines.get(group);
        if (UNSAFE_LOCAL_READS && machine != null) {
            return CompletableFuture.completedFuture(answer(machine, read));
        }
        if (!division.getInfo().isLeader()) {
            return CompletableFuture.completedFuture(GroupResult.notLeader(leaderOf(group)));
        }
        if (!division.getInfo().isLeaderReady()) {
            return CompletableFuture.completedFuture(GroupResult.failed(GroupResult.Status.UNAVAILABLE,
                    "node " + self.id() + " leads group " + group + " but has not committed an entry of its term yet"));
        }
        long readIndex = division.getRaftLog().getLastCommittedIndex();
        return leaderReads.confirm(division)
                .thenCompose(confirmed -> machine.appliedThrough(readIndex))
                .thenApplyAsync(applied -> answer(machine, read), readAnswers)
                .exceptionally(e -> failure(e, false));
    }

    private GroupResult answer(PartitionGroupStateMachine machine, Request read) {
        return GroupResult.ok(List.of(ReplyCodec.encode(machine.applier().query(read, clockMs.getAsLong()))));
    }

    /**
     * Appends the request's entry on this thread, through the group's division. Through the
     * server, Ratis hands each request to its client executor and blocks the calling thread until
     * it is appended: two thread wake-ups per entry for nothing.
     */
    private CompletableFuture<RaftClientReply> submitAsync(int group, RaftClientRequest request) {
        RaftServer.Division division = division(group);
        if (division == null) {
            return CompletableFuture.failedFuture(new GroupMismatchException(self.id() + " does not host group " + group));
        }
        try {
            return ((RaftClientAsynchronousProtocol) division).submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private RaftClientRequest request(int group, byte[] content, RaftClientRequest.Type type) {
        return RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(selfId)
                .setGroupId(groups.get(group).getGroupId())
                .setCallId(callIds.incrementAndGet())
                .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(content)))
                .setType(type)
                .build();
    }

    private GroupResult failure(Throwable error, boolean write) {
        Throwable cause = error;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof NotLeaderException notLeader) {
            RaftPeer suggested = notLeader.getSuggestedLeader();
            String leader = suggested == null ? null : suggested.getId().toString();
            // Ratis also answers NotLeader to writes it had appended when the leader stepped
            // down; the next leader may still commit them, so for a write it is in doubt.
            return write ? new GroupResult(GroupResult.Status.IN_DOUBT, null, leader, String.valueOf(cause))
                    : GroupResult.notLeader(leader);
        }
        if (!write || cause instanceof LeaderNotReadyException || cause instanceof ServerNotReadyException
                || cause instanceof ReadIndexException || cause instanceof LeaderSteppingDownException) {
            return GroupResult.failed(GroupResult.Status.UNAVAILABLE, String.valueOf(cause));
        }
        return GroupResult.failed(GroupResult.Status.IN_DOUBT, String.valueOf(cause));
    }

    /**
     * Reopens every group whose Raft log Ratis failed here (a full or failing log disk), once the
     * disk has room again, and every group whose install from the leader did not finish: the
     * group is removed from the Ratis server, its storage checked (and set aside if unusable,
     * {@link RaftStorageCheck}), and added back; it then catches up from the leader's log, or is
     * rebuilt from the leader's store.
     *
     * @return how many groups were reopened
     */
    public int reopenBrokenGroups() {
        int reopened = 0;
        for (Map.Entry<Integer, RaftGroup> entry : groups.entrySet()) {
            PartitionGroupStateMachine machine = machines.get(entry.getKey());
            long free = logDiskFreeBytes();
            boolean failed = machine != null && machine.needsReopen();
            if (stopping || !failed && !reopening.contains(entry.getKey())
                    || free < Math.max(tuning.logDiskReserveBytes(), LOG_RECOVERY_MIN_FREE_BYTES)) {
                continue;
            }
            RaftGroupId gid = entry.getValue().getGroupId();
            LOG.warn("node {}: reopening group {} ({}); the log disk has {} bytes free",
                    self.id(), entry.getKey(), machine == null ? "not added back yet" : machine.fault(), free);
            try {
                if (failed) {
                    machine.stopRetrying();
                    RaftClientReply removed = server.groupManagement(GroupManagementRequest.newRemove(clientId, selfId,
                            callIds.incrementAndGet(), gid, false, false));
                    if (!removed.isSuccess()) {
                        throw new IOException("removing the group: " + removed.getException());
                    }
                    machines.remove(entry.getKey());
                    reopening.add(entry.getKey());
                }
                RaftStorageCheck.setAsideIfDamaged(raftDir, gid.getUuid().toString(), self.id());
                addGroup(entry.getValue(), !Files.exists(raftDir.resolve(gid.getUuid().toString())));
                reopening.remove(entry.getKey());
                reopened++;
            } catch (IOException | RuntimeException e) {
                LOG.error("node {}: reopening group {} failed; trying again later", self.id(), entry.getKey(), e);
            }
        }
        return reopened;
    }

    /**
     * Usable bytes on the file system of this node's Raft logs, read at most every
     * {@value #LOG_DISK_FREE_REUSE_MS} ms: read for every write (a statvfs each), it cost the
     * leader's gateway thread a tenth of its time, and the reserve is far more than a few
     * milliseconds of writes add.
     */
    private long logDiskFreeBytes() {
        LogDiskFree last = logDiskFree;
        long now = System.nanoTime();
        if (last != null && now - last.readAtNanos() < TimeUnit.MILLISECONDS.toNanos(LOG_DISK_FREE_REUSE_MS)) {
            return last.bytes();
        }
        try {
            FileStore store = logDisk;
            if (store == null) {
                // Found once: finding it reads the mount table, too slow for every write.
                logDisk = store = Files.getFileStore(raftDir);
            }
            long free = store.getUsableSpace();
            logDiskFree = new LogDiskFree(free, now);
            return free;
        } catch (IOException e) {
            LOG.warn("node {}: cannot read the free space of {}: {}", self.id(), raftDir, e.toString());
            return 0;
        }
    }

    private static boolean grows(Request request) {
        return request instanceof Request.Put || request instanceof Request.Touch
                || request instanceof Request.Operate operate && operate.writes();
    }

    private RaftServer.Division division(int group) {
        RaftGroup raftGroup = groups.get(group);
        if (raftGroup == null) {
            return null;
        }
        try {
            return server.getDivision(raftGroup.getGroupId());
        } catch (IOException e) {
            return null;
        }
    }

    /** Asks every group this node hosts to snapshot now (checkpoint its stores, purge its log). */
    public void snapshotAll() {
        for (Map.Entry<Integer, RaftGroup> entry : groups.entrySet()) {
            try {
                RaftClientReply reply = server.snapshotManagement(SnapshotManagementRequest.newCreate(clientId, selfId,
                        entry.getValue().getGroupId(), callIds.incrementAndGet(), 30_000, 1));
                if (!reply.isSuccess()) {
                    LOG.warn("node {}: group {} did not snapshot: {}", self.id(), entry.getKey(), reply.getException());
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("node {}: group {} did not snapshot: {}", self.id(), entry.getKey(), e.toString());
            }
        }
    }

    /**
     * Hands leadership of every group this node leads to another replica, as a graceful stop
     * begins: this node stops standing for election in all its groups, then transfers each group
     * it leads to a live replica, taking at most {@code timeoutMs} in all. In-flight requests on a group that steps down fail with NOT_LEADER or in doubt;
     * clients retry them, with the same session and sequence, on the new leader.
     *
     * @return the new leader of each group this node led, as this node last saw it (null if
     *         none was seen in time)
     */
    public Map<Integer, String> handOffLeadership(long timeoutMs) {
        stopping = true;
        for (Map.Entry<Integer, RaftGroup> entry : groups.entrySet()) {
            try {
                server.leaderElectionManagement(LeaderElectionManagementRequest.newPause(clientId, selfId,
                        entry.getValue().getGroupId(), callIds.incrementAndGet()));
            } catch (IOException | RuntimeException e) {
                LOG.warn("node {}: pausing elections of group {}: {}", self.id(), entry.getKey(), e.toString());
            }
        }
        Map<Integer, String> handedTo = new LinkedHashMap<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (int group : groups.keySet()) {
            if (!isLeader(group)) {
                continue;
            }
            handedTo.put(group, null);
            while (handedTo.get(group) == null && System.nanoTime() < deadline) {
                if (!isLeader(group)) {
                    // A transfer that timed out may still have started an election that another
                    // replica wins: it is the new leader once it has told this node so.
                    String leader = leaderOf(group);
                    if (leader != null && !leader.equals(self.id())) {
                        handedTo.put(group, leader);
                    }
                }
                // Prefer a follower that has caught up; else any that answers (the transfer then
                // waits for it to catch up, holding writes back for that long, as a stop may). The
                // whole hand-off stays within timeoutMs: a peer that is stopping too never takes over.
                for (long slack : new long[] {CATCH_UP_SLACK_ENTRIES, Long.MAX_VALUE}) {
                    for (NodeAddress target : placement.replicas(group)) {
                        long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                        if (handedTo.get(group) == null && remainingMs > 0 && !target.equals(self)
                                && followerReady(group, target.id(), slack)
                                && transferLeadership(group, target.id(), Math.min(remainingMs, tuning.electionTimeoutMaxMs()))) {
                            handedTo.put(group, target.id());
                        }
                    }
                }
                if (handedTo.get(group) == null) {
                    LockSupport.parkNanos(HAND_OFF_RETRY_NANOS);
                }
            }
            LOG.info("node {}: group {} handed to {}", self.id(), group, handedTo.get(group));
        }
        return handedTo;
    }

    /**
     * One round of leader balancing: each group this node leads whose preferred leader is
     * another replica, alive and answering, is handed to it. Run by this node's balance agent;
     * after a node comes back, leadership returns to it within a round or two.
     *
     * @return how many groups this round handed over
     */
    public int balanceLeaders() {
        int moved = 0;
        for (int group : groups.keySet()) {
            String preferred = placement.preferredLeader(group).id();
            if (!stopping && leads(group) && !preferred.equals(self.id())
                    && followerReady(group, preferred, CATCH_UP_SLACK_ENTRIES)
                    && transferLeadership(group, preferred, tuning.electionTimeoutMinMs())) {
                LOG.info("node {}: group {} handed back to its preferred leader {}", self.id(), group, preferred);
                moved++;
            }
        }
        return moved;
    }

    /**
     * One round of the empty-replica watch. A replica whose storage this node created empty (a
     * wiped node rejoining, or storage set aside as damaged) may follow a leader that remembers
     * the index this node acknowledged before it lost its log: Ratis' leader never sends below
     * that index, and the replica answers every heartbeat INCONSISTENCY, until a new entry is
     * written to the group. A quiet group would leave the replica empty for ever, and one more
     * failure would then leave the group without a majority that can elect. So a replica that
     * follows a known leader, is not being rebuilt, and still has no log asks
     * that leader to step down: the next leader knows nothing of the replica and sends it the
     * log from the start, or has it rebuilt from a snapshot. "Still" means for the shortest
     * election timeout, by which a leader that can reach the replica has sent it entries twice.
     *
     * @return how many leaders this round asked to step down
     */
    public int reclaimEmptyReplicas() {
        int asked = 0;
        for (int group : List.copyOf(emptyReplicas.keySet())) {
            RaftServer.Division division = division(group);
            PartitionGroupStateMachine machine = machines.get(group);
            if (division == null || machine == null) {
                continue;
            }
            if (division.getRaftLog().getNextIndex() > 0) {
                emptyReplicas.remove(group);
                continue;
            }
            RaftPeerId leader = division.getInfo().getLeaderId();
            boolean stuck = !stopping && division.getInfo().isFollower() && leader != null && !machine.rebuilding();
            int rounds = stuck ? emptyReplicas.merge(group, 1, Integer::sum) : 0;
            if (!stuck) {
                emptyReplicas.put(group, 0);
            } else if (rounds > EMPTY_WATCH_ROUNDS) {
                LOG.warn("node {}: group {} is still empty while {} leads it: asking {} to step down so that the next"
                        + " leader sends this replica the log", self.id(), group, leader, leader);
                emptyReplicas.put(group, 0);
                if (askToStepDown(group, leader)) {
                    asked++;
                }
            }
        }
        return asked;
    }

    private static long emptyWatchIntervalMs(RaftTuning tuning) {
        return Math.max(1, tuning.electionTimeoutMinMs() / EMPTY_WATCH_ROUNDS);
    }

    /** Asks a group's leader, over Ratis' admin API, to step down (a transfer to no one). */
    private boolean askToStepDown(int group, RaftPeerId leader) {
        RaftProperties properties = new RaftProperties();
        RaftConfigKeys.Rpc.setType(properties, SupportedRpcType.GRPC);
        try (RaftClient client = RaftClient.newBuilder().setProperties(properties).setParameters(new Parameters())
                .setRaftGroup(groups.get(group)).setLeaderId(leader).setRetryPolicy(RetryPolicies.noRetry()).build()) {
            RaftClientReply reply = client.admin().transferLeadership(null, leader, tuning.electionTimeoutMaxMs());
            if (!reply.isSuccess()) {
                LOG.warn("node {}: {} did not step down from group {}: {}", self.id(), leader, group, reply.getException());
            }
            return reply.isSuccess();
        } catch (IOException | RuntimeException e) {
            LOG.warn("node {}: could not ask {} to step down from group {}: {}", self.id(), leader, group, e.toString());
            return false;
        }
    }

    /**
     * One round of eviction: for each namespace whose store here is past its
     * {@code evict-used-percent}, every group this node leads proposes deletes of up to
     * {@value #EVICTION_BATCH} of its records that expire soonest, each with the generation it
     * has now, so that every replica evicts exactly that version and a record written again
     * meanwhile is kept. Records without a TTL are never evicted.
     *
     * @return how many records this round evicted
     */
    public int evictOnce() {
        int evicted = 0;
        long nowMs = clockMs.getAsLong();
        for (Map.Entry<String, RecordStore> entry : stores.entrySet()) {
            int mark = storeConfigs.get(entry.getKey()).evictUsedPercent();
            RecordStore store = entry.getValue();
            if (mark == 0 || stopping || store.stats().usedPercent() < mark) {
                continue;
            }
            long before = evicted;
            for (int group : groups.keySet()) {
                PartitionGroupStateMachine machine = machines.get(group);
                if (!leads(group) || machine == null || machine.fault() != null) {
                    continue; // a faulted group cannot apply what it would propose
                }
                List<Command> commands = new ArrayList<>();
                for (var candidate : store.evictionCandidates(placement.partitionsOf(group), nowMs, EVICTION_BATCH)) {
                    commands.add(new Command(Command.NO_SESSION, 0,
                            new Request.Evict(entry.getKey(), candidate.digest(), candidate.generation())));
                }
                if (commands.isEmpty()) {
                    continue;
                }
                GroupResult result;
                try {
                    result = proposeEntry(group, LogEntryCodec.encodeBatch(commands)).get(EVICTION_WAIT_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return evicted;
                } catch (ExecutionException | TimeoutException e) {
                    LOG.warn("node {}: evictions in group {} not confirmed: {}", self.id(), group, e.toString());
                    continue;
                }
                if (result.ok()) {
                    long done = result.replies().stream().filter(r -> ReplyCodec.decode(r).code() == ResultCode.OK).count();
                    evictions.inc(done);
                    evicted += (int) done;
                }
            }
            if (evicted > before) {
                LOG.info("node {}: namespace {} is {}% used (evict mark {}%): evicted {} records", self.id(),
                        entry.getKey(), Math.round(store.stats().usedPercent()), mark, evicted - before);
            }
        }
        return evicted;
    }

    /**
     * Whether a follower of a group this node leads answered within the shortest election
     * timeout and its log matches all but at most {@code slackEntries} of what this leader has
     * committed. Ratis refuses writes for as long as a transfer is pending, so balancing only
     * picks a follower that a transfer reaches at once, never one still being rebuilt. The match
     * index is the leader's live view of the follower's log; the commit index a follower last
     * reported is not: Ratis keeps its highest, also across the follower's restart.
     */
    private boolean followerReady(int group, String follower, long slackEntries) {
        RaftServer.Division division = division(group);
        if (division == null || !division.getInfo().isLeader()) {
            return false;
        }
        var followers = division.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList();
        long[] matched = division.getInfo().getFollowerMatchIndices();
        if (followers.size() != matched.length) {
            return false; // the followers changed between the two looks
        }
        long committed = division.getRaftLog().getLastCommittedIndex();
        for (int i = 0; i < matched.length; i++) {
            var info = followers.get(i);
            if (info.getId().getId().toStringUtf8().equals(follower)) {
                return info.getLastRpcElapsedTimeMs() < tuning.electionTimeoutMinMs() && matched[i] >= committed - slackEntries;
            }
        }
        return false;
    }

    private boolean transferLeadership(int group, String target, long timeoutMs) {
        try {
            RaftClientReply reply = server.transferLeadershipAsync(new TransferLeadershipRequest(clientId, selfId,
                    groups.get(group).getGroupId(), callIds.incrementAndGet(), RaftPeerId.valueOf(target), timeoutMs))
                    .get(timeoutMs + tuning.electionTimeoutMaxMs(), TimeUnit.MILLISECONDS);
            if (!reply.isSuccess()) {
                LOG.warn("node {}: group {} could not hand leadership to {}: {}", self.id(), group, target,
                        reply.getException());
            }
            return reply.isSuccess();
        } catch (IOException | ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("node {}: group {} could not hand leadership to {}: {}", self.id(), group, target, e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean isLeader(int group) {
        RaftServer.Division division = division(group);
        return division != null && division.getInfo().isLeader();
    }

    /**
     * Checkpoints every group (a snapshot, so a restart replays little), then stops the Ratis
     * server and closes the stores. A graceful stop hands off leadership first
     * ({@link #handOffLeadership}).
     */
    @Override
    public void close() {
        stop(true);
    }

    /** Stops at once, as a crash would look to the stores: nothing is checkpointed first. */
    public void halt() {
        stop(false);
    }

    private void stop(boolean checkpoint) {
        stopping = true;
        balancer.close();
        evictor.close();
        logRecovery.close();
        logTrashEmptier.close();
        emptyReplicaWatch.close();
        if (checkpoint) {
            snapshotAll();
        }
        machines.values().forEach(PartitionGroupStateMachine::stopRetrying);
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("node {}: closing the Ratis server: {}", self.id(), e.toString());
        }
        proposalCompletions.shutdown();
        readAnswers.shutdown();
        stores.values().forEach(RecordStore::close);
    }
}
