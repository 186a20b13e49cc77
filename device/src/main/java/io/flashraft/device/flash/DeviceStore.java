package io.flashraft.device.flash;

import io.flashraft.device.AbstractRecordStore;
import io.flashraft.device.RecordVersion;
import io.flashraft.device.StoreConfig;
import io.flashraft.device.StoreFullException;
import io.flashraft.device.StoreSnapshot;
import io.flashraft.device.StoreStats;
import io.flashraft.device.VersionInfo;
import io.flashraft.device.WriteContext;
import io.flashraft.device.block.BlockDevice;
import io.flashraft.device.block.FileBlockDevice;
import io.flashraft.device.format.RecordFormat;
import io.flashraft.device.index.PrimaryIndex;
import io.flashraft.device.maintenance.MaintenanceAgent;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.Partitions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The Aerospike-style record store: record versions appended to write blocks on files or raw
 * block devices, a compact primary index in RAM, a defragmenter, expiry, tomb raids and cold
 * start. See {@code docs/architecture.md} for the whole picture and {@link RecordFormat} for the
 * layout of a record on the device.
 *
 * <p>Durability: writes reach the device when their write buffer is full or the flush interval
 * passes; only {@link #checkpoint} syncs. The Raft log is the write-ahead log: after a crash the
 * group replays entries after its checkpointed index, and versions carry their log index, so a
 * replay skips what had already reached the device.
 */
public final class DeviceStore extends AbstractRecordStore {
    private static final System.Logger LOG = System.getLogger(DeviceStore.class.getName());

    /** Opens a device: the real one is {@link FileBlockDevice#open}; tests pass devices that fail. */
    @FunctionalInterface
    public interface DeviceOpener {
        BlockDevice open(Path path, long sizeBytes, boolean directIo) throws IOException;
    }

    private final BlockDevice[] devices;
    private final WriteBlocks blocks;
    private final PrimaryIndex index = new PrimaryIndex();
    private final SetNames sets = new SetNames();
    private final StoreMetadata meta;
    private final ColdStart.Report coldStart;
    private final Object checkpointLock = new Object();
    private final ConcurrentLinkedQueue<Digest> undurableTombstones = new ConcurrentLinkedQueue<>();
    private final AtomicLong tombstones = new AtomicLong();
    private final AtomicLong defragRecordsMoved = new AtomicLong();
    private final AtomicLong expiredReclaimed = new AtomicLong();
    private final AtomicLong tombstonesDropped = new AtomicLong();
    private final MaintenanceAgent maintenance;
    private volatile boolean open = true;

    private DeviceStore(StoreConfig config, BlockDevice[] devices, StoreMetadata meta) throws IOException {
        super(config);
        this.devices = devices;
        this.meta = meta;
        this.blocks = new WriteBlocks(devices, config.writeBlockSizeBytes(), config.postWriteQueueBlocks(),
                config.flushIntervalMs());
        blocks.restore(meta.freed, meta.nextSequence);
        coldStart = ColdStart.run(blocks, index, sets, meta);
        tombstones.set(coldStart.tombstones());
        if (coldStart.tombstones() > 0) {
            for (int p = 0; p < Partitions.COUNT; p++) {
                int partition = p;
                index.forEach(p, entry -> {
                    if ((index.flags(partition, entry) & PrimaryIndex.FLAG_TOMBSTONE) != 0) {
                        undurableTombstones.add(index.digest(partition, entry));
                    }
                });
            }
        }
        blocks.finishRecovery();
        persist(null, 0);
        maintenance = config.backgroundMaintenance()
                ? MaintenanceAgent.start("flashraft-device-maintenance", config.maintenanceIntervalMs(), this::runMaintenance)
                : null;
    }

    /** Opens (cold-starts) a store on real files or block devices. */
    public static DeviceStore open(StoreConfig config) throws IOException {
        return open(config, FileBlockDevice::open);
    }

    /**
     * Opens (cold-starts) a store on the devices the opener gives.
     *
     * @throws IOException if a device cannot be opened, or devices and metadata do not belong
     *                     together (another store's, another format, blank beside used)
     */
    public static DeviceStore open(StoreConfig config, DeviceOpener opener) throws IOException {
        List<Path> paths = config.devices();
        BlockDevice[] devices = new BlockDevice[paths.size()];
        try {
            for (int i = 0; i < devices.length; i++) {
                devices[i] = opener.open(paths.get(i), config.deviceSizeBytes(), config.directIo());
            }
            StoreMetadata meta = identify(config, devices);
            return new DeviceStore(config, devices, meta);
        } catch (IOException | RuntimeException e) {
            for (BlockDevice device : devices) {
                if (device != null) {
                    try {
                        device.close();
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
            }
            throw e;
        }
    }

    /** Checks that devices and metadata belong to one store, or formats blank devices. */
    private static StoreMetadata identify(StoreConfig config, BlockDevice[] devices) throws IOException {
        UUID storeId = null;
        BlockDevice blank = null;
        for (int i = 0; i < devices.length; i++) {
            UUID id = DeviceHeader.read(devices[i], i, devices.length, config.writeBlockSizeBytes());
            if (id == null) {
                blank = devices[i];
            } else if (storeId == null) {
                storeId = id;
            } else if (!storeId.equals(id)) {
                throw new IOException("device " + devices[i].name() + " belongs to store " + id + ", not " + storeId);
            }
        }
        StoreMetadata meta = StoreMetadata.load(config.dataDir());
        if (storeId == null) {
            if (meta != null) {
                throw new IOException("the devices are blank but " + config.dataDir().resolve(StoreMetadata.FILE_NAME)
                        + " describes store " + meta.storeId + ": refusing to start empty over it");
            }
            meta = new StoreMetadata(UUID.randomUUID());
            meta.nextSequence = 1;
            for (int i = 0; i < devices.length; i++) {
                DeviceHeader.write(devices[i], i, devices.length, config.writeBlockSizeBytes(), meta.storeId);
            }
            meta.store(config.dataDir());
            return meta;
        }
        if (blank != null) {
            throw new IOException("device " + blank.name() + " is blank but the other devices belong to store " + storeId);
        }
        if (meta == null) {
            throw new IOException("the devices belong to store " + storeId + " but " + config.dataDir()
                    + " has no " + StoreMetadata.FILE_NAME + ": wrong data-dir, or erase the devices to start empty");
        }
        if (!meta.storeId.equals(storeId)) {
            throw new IOException("the devices belong to store " + storeId + " but " + config.dataDir()
                    + " describes store " + meta.storeId);
        }
        return meta;
    }

    /** What the cold start that opened this store found. */
    public String coldStartReport() {
        return coldStart.toString();
    }

    /** The write blocks, for tests of this package that check their accounting. */
    WriteBlocks blocks() {
        return blocks;
    }

    /** Records that the cold start skipped as corrupt. */
    public long coldStartCorruptRecords() {
        return coldStart.corruptRecords();
    }

    // ---- the engine SPI ---------------------------------------------------------------------------

    @Override
    protected VersionInfo find(Digest digest) {
        int entry = index.find(digest);
        if (entry < 0) {
            return null;
        }
        int p = digest.partition();
        boolean tombstone = (index.flags(p, entry) & PrimaryIndex.FLAG_TOMBSTONE) != 0;
        return new VersionInfo(sets.name(index.setId(p, entry)), index.generation(p, entry),
                tombstone ? 0 : index.voidTimeSec(p, entry), index.logIndex(p, entry), tombstone);
    }

    @Override
    protected RecordVersion read(Digest digest) {
        int entry = index.find(digest);
        if (entry < 0) {
            throw new IllegalStateException("no index entry for " + digest);
        }
        return readAt(index.location(digest.partition(), entry), digest);
    }

    private RecordVersion readAt(long location, Digest expected) {
        ByteBuffer bytes = blocks.read(location);
        int length = RecordFormat.validLength(bytes, 0, bytes.limit());
        if (length < 0) {
            throw new IllegalStateException("record " + expected + " in block " + Location.block(location)
                    + " at offset " + Location.offset(location) + " fails its checksum: the device returned corrupt data");
        }
        RecordVersion version = RecordFormat.decode(bytes, 0, length);
        if (!version.digest().equals(expected)) {
            throw new IllegalStateException("block " + Location.block(location) + " at offset "
                    + Location.offset(location) + " holds " + version.digest() + ", not " + expected);
        }
        return version;
    }

    @Override
    protected void write(RecordVersion version, VersionInfo previous) {
        Digest digest = version.digest();
        int p = digest.partition();
        int entry = index.find(digest);
        if (entry < 0 && config.memoryLimitBytes() > 0 && index.memoryBytes() >= config.memoryLimitBytes()) {
            throw new StoreFullException("the primary index uses " + index.memoryBytes()
                    + " bytes, at the memory limit of " + config.memoryLimitBytes());
        }
        long location = blocks.append(blocks.main, version);
        if (entry < 0) {
            entry = index.insert(digest);
        } else {
            release(p, entry);
        }
        index.set(p, entry, location, version.generation(), version.tombstone() ? 0 : version.voidTimeSec(),
                version.logIndex(), sets.idOf(version.set()), version.tombstone() ? PrimaryIndex.FLAG_TOMBSTONE : 0);
        if (version.tombstone()) {
            tombstones.incrementAndGet();
            undurableTombstones.add(digest);
        }
    }

    @Override
    protected void forget(Digest digest, VersionInfo previous) {
        int entry = index.find(digest);
        if (entry >= 0) {
            int p = digest.partition();
            release(p, entry);
            index.remove(p, entry);
        }
    }

    /** The entry's version stops counting as live (it is being replaced or forgotten). */
    private void release(int partition, int entry) {
        long old = index.location(partition, entry);
        blocks.removeLive(Location.block(old), Location.paddedSize(old));
        if ((index.flags(partition, entry) & PrimaryIndex.FLAG_TOMBSTONE) != 0) {
            tombstones.decrementAndGet();
        }
    }

    @Override
    protected List<Digest> digests(int partition) {
        List<Digest> digests = new ArrayList<>(index.size(partition));
        index.forEach(partition, entry -> digests.add(index.digest(partition, entry)));
        digests.sort(null);
        return digests;
    }

    @Override
    protected void recordTruncate(WriteContext ctx, String set, BitSet partitions) {
        synchronized (meta) {
            meta.truncates.add(new StoreMetadata.TruncateMarker(set, ctx.group(), ctx.logIndex(), partitions));
        }
    }

    @Override
    protected void dropAll(BitSet partitions) {
        for (int p = partitions.nextSetBit(0); p >= 0; p = partitions.nextSetBit(p + 1)) {
            int partition = p;
            index.forEach(p, entry -> release(partition, entry));
            index.clear(p);
        }
        // Later versions of these partitions (an ingest) must land in blocks of a newer sequence
        // than the drop marker, so that a cold start keeps them and skips everything older.
        long dropSequence = blocks.sealOpenBlocks();
        synchronized (meta) {
            for (int p = partitions.nextSetBit(0); p >= 0; p = partitions.nextSetBit(p + 1)) {
                meta.dropSequence[p] = dropSequence;
            }
        }
        persist(null, 0, false);
    }

    // ---- snapshots, checkpoints -------------------------------------------------------------------

    @Override
    public StoreSnapshot snapshot(BitSet partitions) {
        blocks.pin();
        List<Digest> digests = new ArrayList<>();
        List<Long> locations = new ArrayList<>();
        forEachPartition(partitions, false, p -> {
            for (Digest digest : digests(p)) {
                digests.add(digest);
                locations.add(index.location(p, index.find(digest)));
            }
        });
        return new StoreSnapshot() {
            private int next;
            private boolean closed;

            @Override
            public boolean hasNext() {
                return next < digests.size();
            }

            @Override
            public RecordVersion next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                RecordVersion version = readAt(locations.get(next), digests.get(next));
                next++;
                return version;
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    blocks.unpin();
                }
            }
        };
    }

    @Override
    public void checkpoint(int group, long appliedIndex) {
        persist(group, appliedIndex);
    }

    /**
     * Flushes and syncs every write block, then records the group's applied index (if any), the
     * markers and the freed blocks in the metadata; then frees the blocks whose contents that
     * made obsolete, and starts the retention clock of the tombstones it made durable.
     */
    private void persist(Integer group, long appliedIndex) {
        persist(group, appliedIndex, true);
    }

    /**
     * As {@link #persist(Integer, long)}; with {@code stampTombstones} false the tombstones made
     * durable wait for the next persist to start their retention clocks: a caller that holds
     * partition locks must not take others (two concurrent drops would deadlock).
     */
    private void persist(Integer group, long appliedIndex, boolean stampTombstones) {
        List<Digest> madeDurable = new ArrayList<>();
        synchronized (checkpointLock) {
            for (Digest d; (d = undurableTombstones.poll()) != null; ) {
                madeDurable.add(d);
            }
            Map<Integer, Long> pending = blocks.pendingFreeSnapshot();
            try {
                blocks.flushAndSync();
                synchronized (meta) {
                    if (group != null) {
                        meta.groupIndexes.merge(group, appliedIndex, Math::max);
                    }
                    meta.nextSequence = blocks.nextSequence();
                    meta.freed.clear();
                    meta.freed.putAll(blocks.freedSequences(pending));
                    for (int p = 0; p < Partitions.COUNT; p++) {
                        meta.partitionEntries[p] = index.size(p);
                    }
                    meta.store(config.dataDir());
                }
            } catch (IOException e) {
                undurableTombstones.addAll(madeDurable);
                throw new UncheckedIOException("checkpoint of " + config.dataDir() + " failed", e);
            }
            blocks.release(pending);
        }
        if (!stampTombstones || nowWatermarkMs() == Long.MIN_VALUE) {
            // Not now, or no write has told the store the time yet (a cold start): start the
            // retention clocks at a later persist.
            undurableTombstones.addAll(madeDurable);
            return;
        }
        long durableSinceSec = Math.max(1, Math.floorDiv(nowWatermarkMs(), 1000));
        for (Digest digest : madeDurable) {
            ReentrantReadWriteLock.WriteLock lock = partitionLock(digest.partition()).writeLock();
            lock.lock();
            try {
                int entry = index.find(digest);
                int p = digest.partition();
                if (entry >= 0 && (index.flags(p, entry) & PrimaryIndex.FLAG_TOMBSTONE) != 0
                        && index.voidTimeSec(p, entry) == 0) {
                    index.setVoidTimeSec(p, entry, durableSinceSec);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public Map<Integer, Long> checkpointedIndexes() {
        synchronized (meta) {
            return Map.copyOf(meta.groupIndexes);
        }
    }

    // ---- maintenance ------------------------------------------------------------------------------

    @Override
    public void runMaintenance() {
        expiredReclaimed.addAndGet(reclaimExpired());
        tombstonesDropped.addAndGet(raidTombstones());
        defragment();
        if (!blocks.pendingFreeSnapshot().isEmpty() && blocks.freeBlocks() < blocks.blockCount() / 4) {
            // Blocks emptied by writes and defrag are reusable only after a durability point; when
            // free blocks run short between the callers' checkpoints, the store makes one itself.
            persist(null, 0);
        }
    }

    /**
     * Drops tombstones that a checkpoint made durable longer ago than the retention period (in
     * callers' time) and that hide nothing any more: a tomb raid reads every block a cold start
     * would read and keeps each tombstone for which an older live version is still there.
     */
    private long raidTombstones() {
        long nowSec = Math.floorDiv(nowWatermarkMs(), 1000);
        if (nowWatermarkMs() == Long.MIN_VALUE || tombstones.get() == 0) {
            return 0;
        }
        Map<Digest, Long> candidates = new HashMap<>();
        for (int p = 0; p < Partitions.COUNT; p++) {
            int partition = p;
            ReentrantReadWriteLock.ReadLock lock = partitionLock(p).readLock();
            lock.lock();
            try {
                index.forEach(p, entry -> {
                    long durableSince = index.voidTimeSec(partition, entry);
                    if ((index.flags(partition, entry) & PrimaryIndex.FLAG_TOMBSTONE) != 0 && durableSince != 0
                            && (nowSec - durableSince) * 1000 >= config.tombstoneRetentionMs()) {
                        Digest digest = index.digest(partition, entry);
                        long logIndex = index.logIndex(partition, entry);
                        if (checkpointCovers(read(digest).group(), logIndex)) {
                            candidates.put(digest, logIndex);
                        }
                    }
                });
            } finally {
                lock.unlock();
            }
        }
        if (candidates.isEmpty()) {
            return 0;
        }
        for (int block : blocks.blocksInUse()) {
            forEachRecord(block, "tomb raid", (bytes, pos, length) -> {
                if ((bytes.get(pos + RecordFormat.FLAGS_OFFSET) & RecordFormat.FLAG_TOMBSTONE) == 0) {
                    Digest digest = Digest.of(digestBytes(bytes, pos));
                    Long tombstoneIndex = candidates.get(digest);
                    if (tombstoneIndex != null && bytes.getLong(pos + RecordFormat.LOG_INDEX_OFFSET) <= tombstoneIndex) {
                        candidates.remove(digest);
                    }
                }
            });
        }
        long dropped = 0;
        for (Map.Entry<Digest, Long> candidate : candidates.entrySet()) {
            Digest digest = candidate.getKey();
            ReentrantReadWriteLock.WriteLock lock = partitionLock(digest.partition()).writeLock();
            lock.lock();
            try {
                VersionInfo info = find(digest);
                if (info != null && info.tombstone() && info.logIndex() == candidate.getValue()) {
                    forget(digest, info);
                    dropped++;
                }
            } finally {
                lock.unlock();
            }
        }
        return dropped;
    }

    /**
     * Whether the group's checkpoint covers a log index. A tombstone its group could still replay
     * from before must stay: the replay would recreate the record from older entries and then
     * find the delete's generation check failing.
     */
    private boolean checkpointCovers(int group, long logIndex) {
        synchronized (meta) {
            Long checkpointed = meta.groupIndexes.get(group);
            return checkpointed != null && checkpointed >= logIndex;
        }
    }

    /**
     * Moves the live records out of the emptiest blocks under the low-water mark. With no free
     * block left even for the defragmenter, the pass ends; the next checkpoint frees blocks.
     */
    private void defragment() {
        try {
            defragmentBlocks();
        } catch (StoreFullException e) {
            LOG.log(System.Logger.Level.WARNING, "defrag paused: " + e.getMessage());
        }
    }

    private void defragmentBlocks() {
        for (int block : blocks.defragCandidates(config.defragLowWaterPercent(), config.defragBlocksPerPass())) {
            forEachRecord(block, "defrag", (bytes, pos, length) -> {
                Digest digest = Digest.of(digestBytes(bytes, pos));
                int p = digest.partition();
                ReentrantReadWriteLock.WriteLock lock = partitionLock(p).writeLock();
                lock.lock();
                try {
                    int entry = index.find(digest);
                    long here = Location.pack(block, pos, RecordFormat.paddedLength(length));
                    if (entry >= 0 && index.location(p, entry) == here) {
                        long moved = blocks.append(blocks.defrag, RecordFormat.decode(bytes, pos, length));
                        index.setLocation(p, entry, moved);
                        blocks.removeLive(block, Location.paddedSize(here));
                        defragRecordsMoved.incrementAndGet();
                    }
                } finally {
                    lock.unlock();
                }
            });
        }
    }

    private interface RecordVisitor {
        void visit(ByteBuffer block, int position, int length);
    }

    /** Reads a block and visits the valid records of its current use. */
    private void forEachRecord(int block, String purpose, RecordVisitor visitor) {
        ByteBuffer bytes;
        try {
            bytes = blocks.readBlock(block);
        } catch (IOException e) {
            throw new UncheckedIOException(purpose + " could not read block " + block, e);
        }
        long seq = blocks.sequence(block);
        int limit = bytes.limit();
        for (int pos = 0; pos + RecordFormat.HEADER_LENGTH <= limit; ) {
            int length = RecordFormat.hasMagic(bytes, pos) ? RecordFormat.validLength(bytes, pos, limit) : -1;
            if (length < 0) {
                pos += RecordFormat.ALIGNMENT;
                continue;
            }
            if (RecordFormat.blockSequence(bytes, pos) == seq) {
                visitor.visit(bytes, pos, length);
            }
            pos += RecordFormat.paddedLength(length);
        }
    }

    private static byte[] digestBytes(ByteBuffer bytes, int pos) {
        byte[] digest = new byte[Digest.LENGTH];
        bytes.get(pos + RecordFormat.DIGEST_OFFSET, digest);
        return digest;
    }

    // ---- stats and lifecycle ----------------------------------------------------------------------

    @Override
    public StoreStats stats() {
        long capacity = (long) blocks.blockCount() * blocks.blockSize();
        int freeBlocks = blocks.freeBlocks();
        long used = capacity - (long) freeBlocks * blocks.blockSize();
        long memory = index.memoryBytes();
        Map<String, Long> engine = new LinkedHashMap<>();
        engine.put("blocks-free", (long) freeBlocks);
        engine.put("blocks-pending-free", (long) blocks.pendingFreeSnapshot().size());
        engine.put("blocks-flushed", blocks.blocksFlushed());
        engine.put("defrag-records-moved", defragRecordsMoved.get());
        engine.put("expired-reclaimed", expiredReclaimed.get());
        engine.put("tombstones-dropped", tombstonesDropped.get());
        engine.put("maintenance-failed", maintenance != null && maintenance.failure() != null ? 1L : 0L);
        engine.put("cold-start-ms", coldStart.durationMs());
        engine.put("cold-start-records", coldStart.recordsIndexed());
        engine.put("cold-start-corrupt-records", coldStart.corruptRecords());
        long stored = index.size();
        return new StoreStats(stored - tombstones.get(), tombstones.get(), memory, config.memoryLimitBytes(), used,
                capacity, stopWrites(used, capacity, memory), engine);
    }

    /** Asked for every write a leader takes: without {@link #stats()}' engine figures, which it would build each time. */
    @Override
    public boolean stopWrites() {
        long capacity = (long) blocks.blockCount() * blocks.blockSize();
        return stopWrites(capacity - (long) blocks.freeBlocks() * blocks.blockSize(), capacity, index.memoryBytes());
    }

    private boolean stopWrites(long used, long capacity, long memory) {
        // Writes never take the defragmenter's reserve: the mark is a share of what they can fill,
        // or a small device would be full before it is reached.
        long writable = capacity - (long) WriteBlocks.DEFRAG_RESERVE_BLOCKS * blocks.blockSize();
        boolean diskStop = used * 100 >= writable * config.stopWritesDiskPercent();
        boolean memoryStop = config.memoryLimitBytes() > 0
                && memory * 100 >= config.memoryLimitBytes() * config.stopWritesMemoryPercent();
        return diskStop || memoryStop;
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        stopMaintenance();
        try {
            persist(null, 0);
            blocks.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing " + config.dataDir() + " failed", e);
        } finally {
            closeDevices();
        }
    }

    /**
     * Stops without flushing or syncing anything: what a crash or kill -9 leaves behind. For
     * tests of recovery.
     */
    public void halt() {
        if (!open) {
            return;
        }
        open = false;
        stopMaintenance();
        blocks.halt();
        closeDevices();
    }

    private void stopMaintenance() {
        if (maintenance != null) {
            maintenance.close();
        }
    }

    private void closeDevices() {
        for (BlockDevice device : devices) {
            try {
                device.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "closing " + device.name() + " failed", e);
            }
        }
    }
}
