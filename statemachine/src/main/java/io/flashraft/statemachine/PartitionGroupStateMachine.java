package io.flashraft.statemachine;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.flashraft.device.RecordStore;
import io.flashraft.device.RecordVersion;
import io.flashraft.device.StoreSnapshot;
import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.DecodeException;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of one partition group: Ratis on the outside, a {@link GroupApplier}
 * inside.
 *
 * <ul>
 *   <li>{@code startTransaction} (leader only) stamps the submitted batch with the leader's time
 *       and hybrid-logical-clock stamp, chosen before replication;</li>
 *   <li>{@code applyTransaction} applies entries in log order on the group's one apply thread and
 *       answers with the encoded replies. A fault of this replica (full or failing device) is
 *       never skipped: the apply thread retries the same entry until it succeeds, the group
 *       reports the fault, and snapshots are refused meanwhile, so the log is never purged past
 *       an entry that was not applied;</li>
 *   <li>{@link #appliedThrough} tells a read on the leader when its read index is applied; the
 *       read is then answered by the applier ({@code GroupApplier.query});</li>
 *   <li>a snapshot is a checkpoint of the node's record stores for this group plus a small file
 *       with the group clock and the session table.</li>
 * </ul>
 */
public final class PartitionGroupStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionGroupStateMachine.class);
    private static final int SNAPSHOT_MAGIC = 0x46525347; // "FRSG"
    private static final int SNAPSHOT_VERSION = 1;
    private static final int STAMP_COUNTER_BITS = 16;
    /**
     * The file that marks an install in progress, in the group's state machine directory. A
     * node that finds it at start sets the group's storage aside (it holds partial partitions).
     */
    public static final String INSTALL_MARKER = "install-incomplete";
    /** How long an export waits for an apply (or a faulted group) to let it in. */
    private static final long EXPORT_WAIT_SECONDS = 30;

    private final GroupApplier applier;
    private final SnapshotInstaller installer;
    /** Where the log segments a snapshot lets Ratis purge are freed off the log thread. */
    private final LogSegmentTrash trash;
    private final LongSupplier clockMs;
    /**
     * Apply, export and install exclude each other: an export sees one applied index everywhere,
     * and no stale local entry is applied while the group's partitions are being replaced. A
     * semaphore, not a lock: an install holds it across the transport's threads.
     */
    private final Semaphore applyPermit = new Semaphore(1);
    private final long faultRetryMs;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    /**
     * The latest snapshot, as this machine wrote or loaded it. Ratis asks for it on every
     * AppendEntries; its storage lists the snapshot directory each time while there is none.
     */
    private volatile SingleFileSnapshotInfo latestSnapshot;
    /** The latest time and stamp this replica proposed or applied: they never run backwards. */
    private final AtomicLong proposedNowMs = new AtomicLong();
    private final AtomicLong proposedStamp = new AtomicLong();
    private final Timer applyTimer;
    private final Counter applyFaults;
    private final Counter installs;
    private volatile boolean rebuilding;
    private volatile String fault;
    private volatile String logFailure;
    /** An install began here and did not finish: the group's partitions are partly replaced. */
    private volatile boolean installIncomplete;
    /** The index the last finished install stands for: older local entries must not apply on top. */
    private volatile long installedIndex = -1;
    private Path stateMachineDir;
    /** Ratis' log directory of this group here. */
    private Path logDir;
    private volatile boolean closing;
    /** Reads waiting for an index to be applied, by that index. */
    private final NavigableMap<Long, CompletableFuture<Void>> readsWaiting = new TreeMap<>();

    /**
     * @param applier      the group's deterministic core
     * @param installer    fetches the group's state from its leader when this replica must be rebuilt
     * @param clockMs      this node's wall clock, read only on the leader to stamp entries and to
     *                     date reads
     * @param faultRetryMs how long the apply thread waits before retrying an entry that failed
     * @param metrics      where the group's metrics go, named {@code group.<n>.*}
     */
    public PartitionGroupStateMachine(GroupApplier applier, SnapshotInstaller installer, LogSegmentTrash trash,
                                      LongSupplier clockMs, long faultRetryMs, MetricRegistry metrics) {
        this.applier = applier;
        this.installer = installer;
        this.trash = trash;
        this.clockMs = clockMs;
        this.faultRetryMs = faultRetryMs;
        String prefix = "group." + applier.group() + ".";
        this.applyTimer = metrics.timer(prefix + "apply");
        this.applyFaults = metrics.counter(prefix + "applyFaults");
        this.installs = metrics.counter(prefix + "snapshotInstalls");
        // A group reopened on this node gets a new machine: its gauges must read the new one.
        for (String gauge : new String[] {"appliedIndex", "sessions", "faulted"}) {
            metrics.remove(prefix + gauge);
        }
        metrics.gauge(prefix + "appliedIndex", () -> this::appliedIndex);
        metrics.gauge(prefix + "sessions", () -> applier::sessionCount);
        metrics.gauge(prefix + "faulted", () -> () -> fault() == null ? 0 : 1);
    }

    /** The group this machine applies. */
    public GroupApplier applier() {
        return applier;
    }

    /** Why the group stopped applying, or its log failed here; null while it is healthy. */
    public String fault() {
        if (logFailure != null) {
            return "Raft log failed: " + logFailure;
        }
        if (installIncomplete) {
            return rebuilding ? "being rebuilt from the leader" : "rebuilding from the leader did not finish";
        }
        return fault;
    }

    /**
     * Whether this replica's copy of the group must be reopened: Ratis failed its log, or an
     * install from the leader ended without finishing and left the partitions partly replaced.
     * Never while an install runs: reopening under it would leave Ratis a log that does not
     * follow the installed snapshot, and the replica would refuse every entry after it.
     */
    public boolean needsReopen() {
        return logFailure != null || installIncomplete && !rebuilding;
    }

    /** Why Ratis failed this replica's log of the group (a full or failing log disk), or null. */
    public String logFailure() {
        return logFailure;
    }

    /**
     * Ratis failed this replica's log of the group: every later append fails until the group is
     * opened again. Reported as a fault; the node reopens the group once its log disk has room.
     */
    @Override
    public void notifyLogFailed(Throwable cause, LogEntryProto failedEntry) {
        if (logFailure == null) {
            LOG.error("group {}: the Raft log failed at entry {}; this replica stops taking entries for the group "
                    + "until it is reopened", applier.group(), failedEntry == null ? "-" : failedEntry.getIndex(), cause);
        }
        logFailure = String.valueOf(cause);
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        stateMachineDir = raftStorage.getStorageDir().getStateMachineDir().toPath();
        logDir = raftStorage.getStorageDir().getCurrentDir().toPath();
        getLifeCycle().startAndTransition(() -> {
            storage.init(raftStorage);
            latestSnapshot = storage.getLatestSnapshot();
            loadSnapshot(latestSnapshot);
        });
    }

    @Override
    public void pause() {
        if (getLifeCycleState() == LifeCycle.State.RUNNING) {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    /** Loads the snapshot just installed (or the latest one) and runs again. */
    @Override
    public void reinitialize() throws IOException {
        latestSnapshot = storage.loadLatestSnapshot();
        loadSnapshot(latestSnapshot);
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    /** How many times this replica was rebuilt from its leader. */
    /** Whether this replica is being rebuilt from its leader now. */
    public boolean rebuilding() {
        return rebuilding;
    }

    public long installCount() {
        return installs.getCount();
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        return latestSnapshot;
    }

    @Override
    public TransactionContext startTransaction(RaftClientRequest request) {
        long nowMs = proposedNowMs.accumulateAndGet(clockMs.getAsLong(), Math::max);
        long stamp = proposedStamp.accumulateAndGet(nowMs << STAMP_COUNTER_BITS, (last, floor) -> Math.max(last + 1, floor));
        ByteString logData = ByteString.copyFrom(LogEntryCodec.encodeHeader(nowMs, stamp))
                .concat(request.getMessage().getContent());
        return TransactionContext.newBuilder()
                .setStateMachine(this)
                .setClientRequest(request)
                .setLogData(logData)
                .build();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        if (index <= installedIndex) {
            // A local entry older than the state just installed from the leader: it is already in it.
            updateLastAppliedTermIndex(entry.getTerm(), index);
            return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(LogEntryCodec.encodeReplies(List.of()))));
        }
        List<byte[]> replies;
        applyPermit.acquireUninterruptibly();
        try (Timer.Context ignored = applyTimer.time()) {
            replies = applyUntilDone(index, entry.getStateMachineLogEntry().getLogData().toByteArray());
            updateLastAppliedTermIndex(entry.getTerm(), index);
            if (applier.mustCheckpointNow()) {
                checkpointAfterTruncate(TermIndex.valueOf(entry.getTerm(), index));
            }
        } finally {
            applyPermit.release();
        }
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(LogEntryCodec.encodeReplies(replies))));
    }

    private List<byte[]> applyUntilDone(long index, byte[] data) {
        LogEntry decoded;
        try {
            decoded = LogEntryCodec.decode(data);
        } catch (DecodeException malformed) {
            // Only a node that bypassed the gateway could have proposed it: every replica refuses
            // it the same way, and nothing is applied.
            LOG.warn("group {}: refusing malformed log entry {}: {}", applier.group(), index, malformed.getMessage());
            return List.of();
        }
        proposedNowMs.accumulateAndGet(decoded.nowMs(), Math::max);
        proposedStamp.accumulateAndGet(decoded.stamp(), Math::max);
        for (long attempt = 1; ; attempt++) {
            try {
                List<byte[]> replies = applier.apply(index, decoded);
                if (fault != null) {
                    LOG.warn("group {}: applying again from log index {} after {} attempts", applier.group(), index, attempt);
                    fault = null;
                }
                return replies;
            } catch (ApplyFault failure) {
                applyFaults.inc();
                if (fault == null) {
                    LOG.error("group {}: cannot apply log index {}; this replica stops applying the group, "
                            + "refuses to snapshot, and retries every {} ms", applier.group(), index, faultRetryMs, failure);
                }
                fault = failure.getMessage();
                if (closing) {
                    throw failure;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(faultRetryMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw failure;
                }
            }
        }
    }

    /** Completes once this replica has applied the given log index (at once if it has). */
    public CompletableFuture<Void> appliedThrough(long index) {
        if (appliedIndex() >= index) {
            return CompletableFuture.completedFuture(null);
        }
        synchronized (readsWaiting) {
            if (appliedIndex() >= index) {
                return CompletableFuture.completedFuture(null);
            }
            return readsWaiting.computeIfAbsent(index, i -> new CompletableFuture<>());
        }
    }

    private long appliedIndex() {
        TermIndex applied = getLastAppliedTermIndex();
        return applied == null ? -1 : applied.getIndex();
    }

    @Override
    protected boolean updateLastAppliedTermIndex(TermIndex applied) {
        boolean updated = super.updateLastAppliedTermIndex(applied);
        releaseReads(applied.getIndex());
        return updated;
    }

    private void releaseReads(long applied) {
        List<CompletableFuture<Void>> released;
        synchronized (readsWaiting) {
            if (readsWaiting.isEmpty()) {
                return;
            }
            NavigableMap<Long, CompletableFuture<Void>> through = readsWaiting.headMap(applied, true);
            released = List.copyOf(through.values());
            through.clear();
        }
        released.forEach(read -> read.complete(null));
    }

    /**
     * Captures the group's whole state at the applied index, for a replica being rebuilt. Runs
     * between two applies.
     */
    public GroupExport export() {
        try {
            if (!applyPermit.tryAcquire(EXPORT_WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("group " + applier.group() + " is busy (" + fault() + "); try again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting to export group " + applier.group(), e);
        }
        try {
            TermIndex applied = getLastAppliedTermIndex();
            if (applied == null || applied.getIndex() < 0) {
                throw new IllegalStateException("group " + applier.group() + " has applied nothing to export");
            }
            Map<String, StoreSnapshot> snapshots = new LinkedHashMap<>();
            applier.stores().forEach((ns, store) -> snapshots.put(ns, store.snapshot(applier.partitions())));
            return new GroupExport(applied.getTerm(), applied.getIndex(), stateBytes(), snapshots);
        } finally {
            applyPermit.release();
        }
    }

    /**
     * Ratis says the leader lacks the entries this replica needs: rebuild the group from the
     * leader's stores, in the background. Ratis reloads the machine (reinitialize) once the
     * returned index is known.
     */
    @Override
    public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(RoleInfoProto roleInfo, TermIndex firstAvailable) {
        String leader = roleInfo.getFollowerInfo().getLeaderInfo().getId().getId().toStringUtf8();
        LOG.info("group {}: the leader {} starts its log at {}: rebuilding this replica from it",
                applier.group(), leader, firstAvailable);
        InstallTarget target = new InstallTarget();
        rebuilding = true;
        return installer.install(leader, applier.group(), target).whenComplete((index, failure) -> {
            rebuilding = false;
            target.end();
            if (failure != null) {
                LOG.error("group {}: rebuilding from {} failed; Ratis will ask again", applier.group(), leader, failure);
            }
        }).thenApply(index -> {
            installs.inc();
            LOG.info("group {}: rebuilt from {} at log index {}", applier.group(), leader, index);
            return target.installed;
        });
    }

    /** Receives a leader's export: drops the group's partitions, ingests, then snapshots. */
    private final class InstallTarget implements SnapshotInstaller.Target {
        private TermIndex installed;
        private long versions;
        private boolean holding;

        @Override
        public synchronized void begin() {
            applyPermit.acquireUninterruptibly();
            holding = true;
            try (FileChannel marker = FileChannel.open(stateMachineDir.resolve(INSTALL_MARKER), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                marker.force(true);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot mark the install of group " + applier.group(), e);
            }
            installIncomplete = true;
            applier.stores().values().forEach(store -> store.dropPartitions(applier.partitions()));
        }

        @Override
        public synchronized void accept(String namespace, RecordVersion version) {
            checkHolding();
            RecordStore store = applier.stores().get(namespace);
            if (store == null) {
                throw new IllegalStateException("the leader sent namespace " + namespace + ", which this node lacks");
            }
            store.ingest(version);
            versions++;
        }

        @Override
        public synchronized void finish(long term, long index, byte[] state) {
            checkHolding();
            try {
                applier.readState(new ByteReader(state, 0, state.length));
                installed = TermIndex.valueOf(term, index);
                writeSnapshot(installed);
                installedIndex = index;
                Files.delete(stateMachineDir.resolve(INSTALL_MARKER));
                installIncomplete = false;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            LOG.info("group {}: installed {} versions at log index {}", applier.group(), versions, index);
        }

        private void checkHolding() {
            if (!holding) {
                throw new IllegalStateException("the install of group " + applier.group() + " has ended");
            }
        }

        synchronized void end() {
            if (holding) {
                holding = false;
                applyPermit.release();
            }
        }
    }

    /**
     * Checkpoints the record stores for this group, then writes the group clock and session
     * table beside the Raft log. Refused while the group cannot apply: the log must keep every
     * entry that was not applied.
     */
    @Override
    public long takeSnapshot() throws IOException {
        if (fault() != null) {
            throw new IOException("group " + applier.group() + " refuses to snapshot: " + fault());
        }
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return -1;
        }
        writeSnapshot(last);
        // Ratis purges the log up to this index next, on the group's log thread.
        trash.hold(applier.group(), logDir, last.getIndex());
        return last.getIndex();
    }

    /** A snapshot at a truncate's entry, so that no restart replays what precedes it ({@link GroupApplier#mustCheckpointNow}). */
    private void checkpointAfterTruncate(TermIndex at) {
        try {
            writeSnapshot(at);
        } catch (IOException e) {
            LOG.error("group {}: cannot snapshot after the truncate at log index {}; a restart before the next "
                    + "snapshot could replay entries from before it", applier.group(), at.getIndex(), e);
        }
    }

    private byte[] stateBytes() {
        ByteWriter out = new ByteWriter(1024);
        applier.writeState(out);
        return out.toByteArray();
    }

    /** Checkpoints the stores at {@code last}, then writes the snapshot file beside the log. */
    private void writeSnapshot(TermIndex last) throws IOException {
        long startNs = System.nanoTime();
        applier.checkpoint(last.getIndex());
        long checkpointedNs = System.nanoTime();
        ByteWriter out = new ByteWriter(1024);
        out.writeInt(SNAPSHOT_MAGIC);
        out.writeByte(SNAPSHOT_VERSION);
        out.writeInt(applier.group());
        applier.writeState(out);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.size());
        out.writeInt((int) crc.getValue());
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        Path temporary = file.toPath().resolveSibling(file.getName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(out.array(), 0, out.size());
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(temporary, file.toPath(), StandardCopyOption.ATOMIC_MOVE);
        SingleFileSnapshotInfo snapshot = new SingleFileSnapshotInfo(
                new FileInfo(file.toPath(), MD5FileUtil.computeAndSaveMd5ForFile(file)), last);
        storage.updateLatestSnapshot(snapshot);
        latestSnapshot = snapshot;
        long doneNs = System.nanoTime();
        LOG.info("group {}: snapshot at log index {}: stores checkpointed in {} ms, snapshot file written in {} ms "
                        + "(the group applies nothing meanwhile)", applier.group(), last.getIndex(),
                TimeUnit.NANOSECONDS.toMillis(checkpointedNs - startNs), TimeUnit.NANOSECONDS.toMillis(doneNs - checkpointedNs));
    }

    private void loadSnapshot(SingleFileSnapshotInfo snapshot) throws IOException {
        if (snapshot == null) {
            return;
        }
        byte[] bytes = Files.readAllBytes(snapshot.getFile().getPath());
        try {
            if (bytes.length < 13) {
                throw new DecodeException("snapshot of " + bytes.length + " bytes is too short");
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, bytes.length - 4);
            ByteReader tail = new ByteReader(bytes, bytes.length - 4, 4);
            if (tail.readInt() != (int) crc.getValue()) {
                throw new DecodeException("checksum mismatch");
            }
            ByteReader in = new ByteReader(bytes, 0, bytes.length - 4);
            if (in.readInt() != SNAPSHOT_MAGIC || in.readUnsignedByte() != SNAPSHOT_VERSION) {
                throw new DecodeException("not a FlashRaft group snapshot of version " + SNAPSHOT_VERSION);
            }
            int group = in.readInt();
            if (group != applier.group()) {
                throw new DecodeException("snapshot of group " + group + " found in the directory of group " + applier.group());
            }
            applier.readState(in);
            in.expectEnd("snapshot");
        } catch (DecodeException corrupt) {
            throw new IOException("group " + applier.group() + ": snapshot " + snapshot.getFile().getPath()
                    + " is unreadable: " + corrupt.getMessage(), corrupt);
        }
        long stored = applier.checkpointedRaftIndex();
        if (stored < snapshot.getIndex()) {
            throw new IOException("group " + applier.group() + ": the record store holds log index " + stored
                    + " but the snapshot " + snapshot.getFile().getPath() + " covers " + snapshot.getIndex()
                    + ": the store lost data; wipe this node's data directory to rebuild it from the other replicas");
        }
        proposedNowMs.accumulateAndGet(applier.lastNowMs(), Math::max);
        setLastAppliedTermIndex(snapshot.getTermIndex());
        releaseReads(snapshot.getIndex());
        LOG.info("group {}: loaded snapshot at log index {} ({} sessions)", applier.group(), snapshot.getIndex(),
                applier.sessionCount());
    }

    /**
     * Makes a group that is retrying a faulted entry give up, so that the node can stop or
     * reopen the group (Ratis joins the apply thread without interrupting it).
     */
    public void stopRetrying() {
        closing = true;
    }

    @Override
    public void close() throws IOException {
        closing = true;
        super.close();
    }
}
