package io.flashraft.statemachine;

import io.flashraft.device.ReadResult;
import io.flashraft.device.RecordStore;
import io.flashraft.device.WriteContext;
import io.flashraft.device.WriteResult;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.Reply;
import io.flashraft.protocol.ReplyCodec;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.StoredRecord;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.protocol.Hex;
import io.flashraft.protocol.RequestCodec;
import io.flashraft.protocol.ValueCodec;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The deterministic heart of a partition group's state machine: applies log entries to the
 * node's record stores and answers reads, with no Ratis in sight, so that it can be driven
 * directly by tests.
 *
 * <p>Everything an applied result depends on is in the entry or in this object's replicated state
 * (the group clock and the session table): the same entries applied in the same order give the
 * same replies and the same store contents on every replica.
 *
 * <p>The store log index of command {@code i} of the entry at Raft index {@code r} is
 * {@code r * 4096 + i}: distinct for every command, increasing in log order, so a store can tell
 * on replay which commands of a partly applied entry it already holds.
 */
public final class GroupApplier {
    private static final int COMMAND_BITS = 12;

    private final int group;
    private final BitSet partitions;
    private final Map<String, RecordStore> stores;
    private final SessionTable sessions;
    /** The latest "now" applied: entry times never run backwards across leaders. */
    private volatile long lastNowMs;
    /** The latest last-update stamp given to a command. */
    private long lastStamp;
    /** Whether the last entry applied truncated a set: the group must checkpoint at it. */
    private boolean truncatedInLastEntry;

    /**
     * @param group      this group's number
     * @param partitions the partitions it owns
     * @param stores     the node's record store of each namespace, shared with the other groups
     * @param sessions   the session table settings
     */
    public GroupApplier(int group, BitSet partitions, Map<String, RecordStore> stores, SessionConfig sessions) {
        this.group = group;
        this.partitions = (BitSet) partitions.clone();
        this.stores = Map.copyOf(stores);
        this.sessions = new SessionTable(sessions.windowSize(), sessions.idleMs(), sessions.maxSessions());
    }

    /** The store log index of a command. */
    public static long storeIndex(long raftIndex, int command) {
        return raftIndex << COMMAND_BITS | command;
    }

    /** The Raft index whose entry produced a store log index. */
    public static long raftIndex(long storeIndex) {
        return storeIndex >>> COMMAND_BITS;
    }

    /**
     * Applies the entry at {@code raftIndex}: one encoded reply per command. Rejections are
     * replies; only a fault of this replica throws, and then the same call must be repeated
     * until it succeeds (commands it already applied are answered from the session table or
     * skipped by the store, and the clock is committed only on success).
     *
     * @throws ApplyFault if a store cannot hold a write or fails
     */
    public List<byte[]> apply(long raftIndex, LogEntry entry) {
        long nowMs = Math.max(entry.nowMs(), lastNowMs);
        long stamp = lastStamp;
        truncatedInLastEntry = false;
        sessions.expire(nowMs);
        List<byte[]> replies = new ArrayList<>(entry.commands().size());
        for (int i = 0; i < entry.commands().size(); i++) {
            Command command = entry.commands().get(i);
            stamp = Math.max(entry.stamp(), stamp + 1);
            SessionTable.Lookup lookup = sessions.lookup(command.sessionId(), command.sequence(), command.opensSession());
            if (lookup instanceof SessionTable.Applied applied) {
                replies.add(applied.reply());
            } else if (lookup instanceof SessionTable.Expired) {
                replies.add(ReplyCodec.encode(Reply.Single.of(ResultCode.IN_DOUBT)));
            } else if (lookup instanceof SessionTable.Unknown) {
                replies.add(ReplyCodec.encode(Reply.Single.of(ResultCode.SESSION_UNKNOWN)));
            } else {
                WriteContext ctx = new WriteContext(group, storeIndex(raftIndex, i), nowMs, stamp);
                byte[] reply = ReplyCodec.encode(execute(ctx, command.request()));
                sessions.record(command.sessionId(), command.sequence(), reply, nowMs);
                replies.add(reply);
            }
        }
        lastNowMs = nowMs;
        lastStamp = stamp;
        return replies;
    }

    /** Answers a read as of {@code nowMs} (never earlier than the last applied entry's time). */
    public Reply query(Request request, long nowMs) {
        long at = Math.max(nowMs, lastNowMs);
        RecordStore store = stores.get(request.namespace());
        if (store == null) {
            return Reply.Single.of(ResultCode.BAD_REQUEST);
        }
        if (request instanceof Request.Get get) {
            return owns(get.digest()) ? read(store, get.digest(), get.selection(), at) : badRequest();
        } else if (request instanceof Request.Exists exists) {
            return owns(exists.digest()) ? read(store, exists.digest(), BinSelection.HEADER, at) : badRequest();
        } else if (request instanceof Request.BatchGet batch) {
            List<Reply.Single> replies = new ArrayList<>(batch.digests().size());
            for (Digest digest : batch.digests()) {
                replies.add(owns(digest) ? read(store, digest, batch.selection(), at) : badRequest());
            }
            return new Reply.Batch(replies);
        } else if (request instanceof Request.Scan scan) {
            return partitions.get(scan.partition()) ? scan(store, scan, at) : badRequest();
        } else if (request instanceof Request.Operate operate && !operate.writes()) {
            if (!owns(operate.digest())) {
                return badRequest();
            }
            ReadResult current = store.get(operate.digest(), BinSelection.ALL, at);
            StoredRecord record = current.found()
                    ? new StoredRecord(operate.digest(), operate.set(), current.meta(), current.bins()) : null;
            var update = new BinOps(operate.ops()).apply(record);
            return update.rejection() != null ? Reply.Single.of(update.rejection())
                    : new Reply.Single(ResultCode.OK, current.meta(), update.result());
        }
        return badRequest();
    }

    private Reply execute(WriteContext ctx, Request request) {
        if (!request.isWrite()) {
            return query(request, ctx.nowMs());
        }
        RecordStore store = stores.get(request.namespace());
        if (store == null) {
            return badRequest();
        }
        if (request instanceof Request.SingleRecord single && !owns(single.digest())) {
            return badRequest();
        }
        try {
            if (request instanceof Request.Put put) {
                return written(store.put(ctx, put.digest(), put.set(), put.bins(), put.policy()));
            } else if (request instanceof Request.Delete delete) {
                return written(store.delete(ctx, delete.digest(), delete.policy()));
            } else if (request instanceof Request.Touch touch) {
                return written(store.touch(ctx, touch.digest(), touch.policy()));
            } else if (request instanceof Request.Operate operate) {
                return written(store.operate(ctx, operate.digest(), operate.set(), operate.policy(),
                        new BinOps(operate.ops())));
            } else if (request instanceof Request.Evict evict) {
                return written(store.delete(ctx, evict.digest(),
                        WritePolicy.DEFAULT.withExpectedGeneration(evict.generation())));
            } else if (request instanceof Request.Truncate truncate) {
                truncatedInLastEntry = true;
                return new Reply.Count(store.truncate(ctx, truncate.set(), partitions));
            }
        } catch (IllegalArgumentException invalid) {
            // The store's own validation (a set name it refuses): the same on every replica.
            return badRequest();
        } catch (RuntimeException failure) {
            throw new ApplyFault("group " + group + ": the " + request.namespace() + " store failed at log index "
                    + raftIndex(ctx.logIndex()), failure);
        }
        return badRequest();
    }

    private Reply written(WriteResult result) {
        if (result.code() == ResultCode.DEVICE_FULL) {
            // A committed write this replica cannot hold: never answer it differently from the
            // replicas that could, stop and retry instead.
            throw new ApplyFault("group " + group + ": the device is full", null);
        }
        if (result.replayed()) {
            // The store already held this write from before a restart; its original answer
            // (which may even have been a rejection) is not known here.
            return Reply.Single.of(ResultCode.IN_DOUBT);
        }
        return new Reply.Single(result.code(), result.meta(), result.bins());
    }

    private static Reply.Single read(RecordStore store, Digest digest, BinSelection selection, long nowMs) {
        ReadResult result = store.get(digest, selection, nowMs);
        return result.found() ? new Reply.Single(ResultCode.OK, result.meta(), result.bins())
                : Reply.Single.of(result.code());
    }

    private static Reply scan(RecordStore store, Request.Scan scan, long nowMs) {
        List<StoredRecord> records = new ArrayList<>();
        boolean[] more = {false};
        store.scan(scan.partition(), nowMs, scan.selection(), record -> {
            if (scan.afterDigest() != null && record.digest().compareTo(scan.afterDigest()) <= 0) {
                return;
            }
            if (records.size() < scan.maxRecords()) {
                records.add(record);
            } else {
                more[0] = true;
            }
        });
        return new Reply.Scan(records, more[0]);
    }

    private boolean owns(Digest digest) {
        return partitions.get(digest.partition());
    }

    private static Reply.Single badRequest() {
        return Reply.Single.of(ResultCode.BAD_REQUEST);
    }

    /**
     * Whether the entry just applied truncated a set. The group must then checkpoint at once (its
     * stores and its replicated state): a truncate removes records without tombstones, so a
     * restart must never replay an entry that precedes it over a store where it already happened
     * (a replayed write would find the record gone and recreate it, outside the truncate's reach
     * if the write names another set). Found by ReplicaDeterminismTest with -Pexhaustive.
     */
    public boolean mustCheckpointNow() {
        return truncatedInLastEntry;
    }

    /** The group's number. */
    public int group() {
        return group;
    }

    /** The partitions the group owns. */
    public BitSet partitions() {
        return (BitSet) partitions.clone();
    }

    /** The latest "now" applied. */
    public long lastNowMs() {
        return lastNowMs;
    }

    /** The node's store of each namespace. */
    public Map<String, RecordStore> stores() {
        return stores;
    }

    /** Sessions in the table. */
    public int sessionCount() {
        return sessions.size();
    }

    /** Appends the replicated state besides the stores: the group clock and the session table. */
    public void writeState(ByteWriter out) {
        out.writeLong(lastNowMs);
        out.writeLong(lastStamp);
        sessions.write(out);
    }

    /** Restores what {@link #writeState} wrote. */
    public void readState(ByteReader in) {
        lastNowMs = in.readLong();
        lastStamp = in.readLong();
        sessions.read(in);
    }

    /**
     * The lowest Raft index that every store has checkpointed for this group (-1 when a store
     * has none): the state the stores can be trusted to hold after a restart.
     */
    public long checkpointedRaftIndex() {
        long lowest = Long.MAX_VALUE;
        for (RecordStore store : stores.values()) {
            Long index = store.checkpointedIndexes().get(group);
            lowest = Math.min(lowest, index == null ? -1 : raftIndex(index));
        }
        return lowest == Long.MAX_VALUE ? -1 : lowest;
    }

    /**
     * SHA-256 (hex) over every live record of the group's partitions as of {@code nowMs}, in
     * namespace, partition and digest order: digest, set, generation, void time, last-update
     * stamp and bins. Replicas that applied the same log give the same digest.
     */
    public String contentDigest(long nowMs) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteWriter out = new ByteWriter(256);
        for (String namespace : new TreeSet<>(stores.keySet())) {
            RecordStore store = stores.get(namespace);
            for (int p = partitions.nextSetBit(0); p >= 0; p = partitions.nextSetBit(p + 1)) {
                store.scan(p, nowMs, BinSelection.ALL, record -> {
                    out.reset();
                    RequestCodec.writeRecordAddress(out, record.digest(), record.set());
                    out.writeInt(record.meta().generation());
                    out.writeLong(record.meta().voidTimeSec());
                    out.writeLong(record.meta().lastUpdateStamp());
                    ValueCodec.writeBins(out, record.bins());
                    sha.update(out.array(), 0, out.size());
                });
            }
        }
        return Hex.encode(sha.digest());
    }

    /** Makes every store durable up to the entry at {@code raftIndex} for this group. */
    public void checkpoint(long raftIndex) {
        for (RecordStore store : stores.values()) {
            store.checkpoint(group, storeIndex(raftIndex, (1 << COMMAND_BITS) - 1));
        }
    }
}
