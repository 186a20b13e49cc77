package io.flashraft.device;

import io.flashraft.protocol.StoredRecord;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A node's store of one namespace's records: what the replicated state machine applies log
 * entries to, and what it reads.
 *
 * <p>Every write takes a {@link WriteContext}: the log position and the caller's time. The store
 * never reads a clock: expiry is decided by the time the caller passes, so replicas applying the
 * same log reach the same state. Every single-record operation is atomic and isolated. Expected
 * conditions come back as result codes; an exception means the store itself is broken (I/O
 * failure, corruption), and the caller must stop applying.
 *
 * <p>Three engines implement it: the Aerospike-style {@code DeviceStore} (write blocks on files or
 * raw devices), {@code MemoryStore} and {@code RocksStore}. Open one with {@link RecordStores#open}.
 */
public interface RecordStore extends AutoCloseable {

    /** Writes bins under a record-exists policy, generation check and TTL. */
    WriteResult put(WriteContext ctx, Digest digest, String set, Bins bins, WritePolicy policy);

    /** Reads a record as of {@code nowMs}: a deleted or expired record is NOT_FOUND. */
    ReadResult get(Digest digest, BinSelection selection, long nowMs);

    /** Deletes a record, leaving a tombstone so that no older version comes back. */
    WriteResult delete(WriteContext ctx, Digest digest, WritePolicy policy);

    /** Rewrites a record with a new generation and void time (from the policy's TTL). */
    WriteResult touch(WriteContext ctx, Digest digest, WritePolicy policy);

    /**
     * Atomic read-modify-write of one record: the primitive behind the state machine's operate.
     * The policy's generation check and exists action apply before the update runs.
     */
    WriteResult operate(WriteContext ctx, Digest digest, String set, WritePolicy policy, RecordUpdate update);

    /**
     * Removes every record of a set in the given partitions that was written before this log
     * index. Survives restarts.
     *
     * @return the number of records removed
     */
    long truncate(WriteContext ctx, String set, BitSet partitions);

    /**
     * The live records of the given partitions that expire soonest (void time, then digest;
     * records that never expire are never candidates), at most {@code maxRecords}. Read-only: the
     * leader proposes deletes of them through the log, each with the candidate's generation, so
     * every replica evicts the same records and a replay evicts nothing more.
     */
    List<EvictionCandidate> evictionCandidates(BitSet partitions, long nowMs, int maxRecords);

    /** Calls the sink with every live record of a partition as of {@code nowMs}, in digest order. */
    void scan(int partition, long nowMs, BinSelection selection, Consumer<StoredRecord> sink);

    /**
     * Captures every version the store holds of the given partitions, tombstones included, as
     * of this moment: writes that follow do not show in it. The caller takes it at the applied
     * index it streams; it must be closed.
     */
    StoreSnapshot snapshot(BitSet partitions);

    /**
     * Takes a version unchanged (generation, stamps, void time, group, log index, tombstone). It
     * replaces the current version only if it comes from a later log index.
     *
     * @return false if the store already held this or a later version
     * @throws StoreFullException if the store cannot physically hold it
     */
    boolean ingest(RecordVersion version);

    /** Forgets every record and tombstone of the given partitions, durably. */
    void dropPartitions(BitSet partitions);

    /**
     * Makes everything written so far durable and records {@code appliedIndex} as the group's
     * checkpoint: after a crash the group replays only entries after it.
     */
    void checkpoint(int group, long appliedIndex);

    /** The last checkpointed applied index of each group. */
    Map<Integer, Long> checkpointedIndexes();

    /**
     * Runs one pass of the background duties now: reclaim expired records, drop tombstones that
     * can no longer hide anything, defragment. The store's own agent calls it on its schedule;
     * tests call it to control when it happens. It never changes what a read returns.
     */
    void runMaintenance();

    /** Counters and gauges. */
    StoreStats stats();

    /**
     * Whether memory or disk use has passed its stop-writes mark: the leader then refuses new
     * writes (DEVICE_FULL) before replicating them. The store itself still accepts writes it can
     * physically hold, so committed entries always apply.
     */
    default boolean stopWrites() {
        return stats().stopWrites();
    }

    /** Flushes, checkpoints nothing new, and releases files and threads. */
    @Override
    void close();
}
