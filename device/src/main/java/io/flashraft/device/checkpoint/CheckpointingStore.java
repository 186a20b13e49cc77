package io.flashraft.device.checkpoint;

import io.flashraft.device.AbstractRecordStore;
import io.flashraft.device.StoreConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the memory and RocksDB engines share beyond the record rules: checkpoints that persist
 * {@link CheckpointMetadata} with the group's applied index, and maintenance that reclaims
 * expired records and then drops the tombstones {@link TombstoneRetention} allows.
 */
public abstract class CheckpointingStore extends AbstractRecordStore {
    private final TombstoneRetention tombstoneRetention;
    private final LongAdder expiredReclaimed = new LongAdder();
    private final LongAdder tombstonesDropped = new LongAdder();
    private final LongAdder checkpoints = new LongAdder();

    protected CheckpointingStore(StoreConfig config) {
        super(config);
        tombstoneRetention = new TombstoneRetention(config.tombstoneRetentionMs());
    }

    /** The engine's metadata as it stands in RAM. */
    protected abstract CheckpointMetadata metadata();

    /** The lock that orders every write of the engine's metadata. */
    protected abstract Object metadataLock();

    /** Makes every record and {@code next} durable together. Called with the metadata lock held. */
    protected abstract void persist(CheckpointMetadata next);

    /**
     * Drops the tombstones of a partition whose group's log index is at most what the map allows.
     * Called with the partition's write lock held.
     *
     * @return the number dropped
     */
    protected abstract long dropTombstones(int partition, Map<Integer, Long> droppableIndexByGroup);

    /** Persists the metadata with the group's applied index; durable on return. */
    @Override
    public final void checkpoint(int group, long appliedIndex) {
        long atMs = nowWatermarkMs();
        synchronized (metadataLock()) {
            // The metadata in RAM moves only once what holds it is durable.
            CheckpointMetadata next = metadata().copy();
            next.checkpointed(group, appliedIndex);
            persist(next);
            metadata().checkpointed(group, appliedIndex);
        }
        checkpoints.increment();
        tombstoneRetention.checkpointed(group, appliedIndex, atMs);
    }

    @Override
    public final Map<Integer, Long> checkpointedIndexes() {
        return metadata().checkpointedIndexes();
    }

    /** Reclaims expired records, then drops tombstones past their retention. */
    @Override
    public final void runMaintenance() {
        expiredReclaimed.add(reclaimExpired());
        long nowMs = nowWatermarkMs();
        if (nowMs == Long.MIN_VALUE) {
            return;
        }
        Map<Integer, Long> droppableIndexes = tombstoneRetention.droppableIndexes(nowMs);
        if (!droppableIndexes.isEmpty()) {
            forEachPartitionWriteLocked(p -> tombstonesDropped.add(dropTombstones(p, droppableIndexes)));
        }
    }

    /** The counters every checkpointing engine reports, to which it adds its own. */
    protected Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("expired-reclaimed", expiredReclaimed.sum());
        counters.put("tombstones-dropped", tombstonesDropped.sum());
        counters.put("checkpoints", checkpoints.sum());
        return counters;
    }
}
