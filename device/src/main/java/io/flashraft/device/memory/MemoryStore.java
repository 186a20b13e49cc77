package io.flashraft.device.memory;

import io.flashraft.device.RecordVersion;
import io.flashraft.device.StoreConfig;
import io.flashraft.device.StoreFullException;
import io.flashraft.device.StoreSnapshot;
import io.flashraft.device.StoreStats;
import io.flashraft.device.VersionInfo;
import io.flashraft.device.WriteContext;
import io.flashraft.device.checkpoint.CheckpointMetadata;
import io.flashraft.device.checkpoint.CheckpointingStore;
import io.flashraft.device.format.RecordFormat;
import io.flashraft.device.maintenance.MaintenanceAgent;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.Partitions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;

/**
 * The memory engine: every version, tombstones included, held in RAM in one sorted map per
 * partition, and made durable by checkpoint images ({@link CheckpointImage}) in the data
 * directory. Opening loads the last image; writes after it are lost at a restart and replayed
 * from the Raft log by the caller.
 *
 * <p>RAM is accounted per version as its encoded length plus a fixed overhead
 * ({@value #ENTRY_OVERHEAD_BYTES} bytes); a write that would take it past the memory limit fails
 * with DEVICE_FULL. Versions are immutable, so snapshots and images copy references, not bytes.
 */
public final class MemoryStore extends CheckpointingStore {
    /**
     * RAM a held version costs beyond its encoded length (whose 72-byte header stands for the
     * version's fixed fields): the map entry, the version and digest objects and array headers.
     */
    static final int ENTRY_OVERHEAD_BYTES = 128;
    static final String IMAGE_FILE_NAME = "memory-store.image";

    /** One map per partition, indexed by partition; each guarded by its partition's lock. */
    private final List<TreeMap<Digest, RecordVersion>> partitions = new ArrayList<>(Partitions.COUNT);
    private final CheckpointImage image;
    private final CheckpointMetadata metadata;
    /** Serializes image writes: checkpoints of different groups and durable drops. */
    private final Object imageLock = new Object();
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong tombstones = new AtomicLong();
    private final AtomicLong memoryUsedBytes = new AtomicLong();
    private final AtomicLong imageBytes = new AtomicLong();
    private final DirectoryLock directoryLock;
    private final MaintenanceAgent agent;
    private boolean closed;

    private MemoryStore(StoreConfig config, DirectoryLock directoryLock, CheckpointImage image) {
        super(config);
        this.directoryLock = directoryLock;
        for (int p = 0; p < Partitions.COUNT; p++) {
            partitions.add(new TreeMap<>());
        }
        this.image = image;
        CheckpointImage.Contents contents = image.load();
        this.metadata = contents == null ? new CheckpointMetadata() : contents.metadata();
        if (contents != null) {
            for (RecordVersion version : contents.versions()) {
                // An image taken while a truncate ran may hold both its records and its marker.
                if (!metadata.truncates(version.digest().partition(), version.set(), version.logIndex())) {
                    partitions.get(version.digest().partition()).put(version.digest(), version);
                    account(null, version);
                }
            }
        }
        imageBytes.set(image.sizeBytes());
        agent = config.backgroundMaintenance()
                ? MaintenanceAgent.start("flashraft-memory-maintenance", config.maintenanceIntervalMs(), this::runMaintenance)
                : null;
    }

    /**
     * Opens the store in {@code config.dataDir()}, loading its last checkpoint image if any.
     *
     * @throws CorruptImageException if the image is torn or corrupt
     * @throws IllegalArgumentException if the config is not for the memory engine
     * @throws IllegalStateException if another store has the data directory open
     */
    public static MemoryStore open(StoreConfig config) {
        if (config.engine() != StoreConfig.Engine.MEMORY) {
            throw new IllegalArgumentException("engine " + config.engine() + " is not " + StoreConfig.Engine.MEMORY);
        }
        try {
            Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + config.dataDir(), e);
        }
        DirectoryLock directoryLock = DirectoryLock.acquire(config.dataDir());
        try {
            return new MemoryStore(config, directoryLock, new CheckpointImage(config.dataDir().resolve(IMAGE_FILE_NAME)));
        } catch (RuntimeException e) {
            directoryLock.close();
            throw e;
        }
    }

    // ---- the engine SPI: partition lock held ----------------------------------------------------

    @Override
    protected VersionInfo find(Digest digest) {
        RecordVersion version = partitionOf(digest).get(digest);
        return version == null ? null : new VersionInfo(version.set(), version.generation(), version.voidTimeSec(),
                version.logIndex(), version.tombstone());
    }

    @Override
    protected RecordVersion read(Digest digest) {
        RecordVersion version = partitionOf(digest).get(digest);
        if (version == null) {
            throw new IllegalStateException("read of " + digest + " which find did not return");
        }
        return version;
    }

    @Override
    protected void write(RecordVersion version, VersionInfo previous) {
        TreeMap<Digest, RecordVersion> partition = partitionOf(version.digest());
        RecordVersion replaced = partition.get(version.digest());
        reserve(heldBytes(version) - (replaced == null ? 0 : heldBytes(replaced)));
        partition.put(version.digest(), version);
        count(replaced, -1);
        count(version, 1);
    }

    @Override
    protected void forget(Digest digest, VersionInfo previous) {
        RecordVersion removed = partitionOf(digest).remove(digest);
        if (removed != null) {
            account(removed, null);
        }
    }

    @Override
    protected List<Digest> digests(int partition) {
        TreeMap<Digest, RecordVersion> versions = partitions.get(partition);
        return versions.isEmpty() ? List.of() : new ArrayList<>(versions.keySet());
    }

    @Override
    protected void recordTruncate(WriteContext ctx, String set, BitSet partitions) {
        metadata.truncated(set, partitions, ctx.logIndex());
    }

    @Override
    protected void dropAll(BitSet dropped) {
        for (int p = dropped.nextSetBit(0); p >= 0; p = dropped.nextSetBit(p + 1)) {
            TreeMap<Digest, RecordVersion> versions = partitions.get(p);
            versions.values().forEach(version -> account(version, null));
            versions.clear();
        }
        metadata.forgetPartitions(dropped);
    }

    // ---- the rest of RecordStore -----------------------------------------------------------------

    /** Forgets every version of the partitions and writes an image at once, so the drop is durable. */
    @Override
    public void dropPartitions(BitSet dropped) {
        super.dropPartitions(dropped);
        // Written after the partition locks are released: writing an image takes them one by one.
        synchronized (imageLock) {
            writeImage(metadata.copy());
        }
    }

    @Override
    public StoreSnapshot snapshot(BitSet snapshotPartitions) {
        List<RecordVersion> versions = new ArrayList<>();
        forEachPartition(snapshotPartitions, false, p -> versions.addAll(partitions.get(p).values()));
        Iterator<RecordVersion> iterator = versions.iterator();
        return new StoreSnapshot() {
            @Override
            public boolean hasNext() {
                return iterator.hasNext();
            }

            @Override
            public RecordVersion next() {
                return iterator.next();
            }

            @Override
            public void close() {
                // A copy of references to immutable versions: there is nothing to release.
            }
        };
    }

    @Override
    protected CheckpointMetadata metadata() {
        return metadata;
    }

    @Override
    protected Object metadataLock() {
        return imageLock;
    }

    /** Writes an image of every version with the metadata. */
    @Override
    protected void persist(CheckpointMetadata next) {
        writeImage(next);
    }

    @Override
    protected long dropTombstones(int partition, Map<Integer, Long> droppableIndexByGroup) {
        long dropped = 0;
        Iterator<RecordVersion> versions = partitions.get(partition).values().iterator();
        while (versions.hasNext()) {
            RecordVersion version = versions.next();
            if (version.tombstone() && version.logIndex() <= droppableIndexByGroup.getOrDefault(version.group(), -1L)) {
                versions.remove();
                account(version, null);
                dropped++;
            }
        }
        return dropped;
    }

    @Override
    public StoreStats stats() {
        long limitBytes = config.memoryLimitBytes();
        long usedBytes = memoryUsedBytes.get();
        boolean stopWrites = limitBytes > 0 && usedBytes > percentOf(limitBytes, config.stopWritesMemoryPercent());
        return new StoreStats(records.get(), tombstones.get(), usedBytes, limitBytes, imageBytes.get(), 0, stopWrites,
                withMaintenanceState(counters()));
    }

    private Map<String, Long> withMaintenanceState(Map<String, Long> counters) {
        counters.put("maintenance-failed", agent != null && agent.failure() != null ? 1L : 0L);
        return counters;
    }

    /**
     * Stops the maintenance agent and unlocks the data directory. Writes no image: a restart
     * shows the last checkpoint. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (agent != null) {
            agent.close();
        }
        directoryLock.close();
    }

    // ---- internals -------------------------------------------------------------------------------

    private TreeMap<Digest, RecordVersion> partitionOf(Digest digest) {
        return partitions.get(digest.partition());
    }

    /** Copies every partition under its read lock, one at a time, and writes the image. */
    private void writeImage(CheckpointMetadata imageMetadata) {
        List<RecordVersion> versions = new ArrayList<>();
        for (int p = 0; p < Partitions.COUNT; p++) {
            Lock lock = partitionLock(p).readLock();
            lock.lock();
            try {
                versions.addAll(partitions.get(p).values());
            } finally {
                lock.unlock();
            }
        }
        imageBytes.set(image.write(imageMetadata, versions));
    }

    /** Takes RAM for a write, or fails if that would pass the memory limit; freeing always works. */
    private void reserve(long deltaBytes) {
        long limitBytes = config.memoryLimitBytes();
        while (true) {
            long usedBytes = memoryUsedBytes.get();
            if (deltaBytes > 0 && limitBytes > 0 && usedBytes + deltaBytes > limitBytes) {
                throw new StoreFullException("memory limit of " + limitBytes + " bytes: " + usedBytes
                        + " used, the write needs " + deltaBytes + " more");
            }
            if (memoryUsedBytes.compareAndSet(usedBytes, usedBytes + deltaBytes)) {
                return;
            }
        }
    }

    /** Moves the counters and RAM use from {@code removed} (or none) to {@code added} (or none). */
    private void account(RecordVersion removed, RecordVersion added) {
        if (removed != null) {
            memoryUsedBytes.addAndGet(-heldBytes(removed));
            count(removed, -1);
        }
        if (added != null) {
            memoryUsedBytes.addAndGet(heldBytes(added));
            count(added, 1);
        }
    }

    private void count(RecordVersion version, int delta) {
        if (version != null) {
            (version.tombstone() ? tombstones : records).addAndGet(delta);
        }
    }

    private static long heldBytes(RecordVersion version) {
        return RecordFormat.encodedLength(version) + ENTRY_OVERHEAD_BYTES;
    }

    private static long percentOf(long bytes, int percent) {
        return bytes > Long.MAX_VALUE / 100 ? bytes / 100 * percent : bytes * percent / 100;
    }
}
