package io.flashraft.device.rocks;

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
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.Digest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.rocksdb.WriteOptions;

/**
 * The RocksDB engine: one key per record in one column family, the value a {@link RecordFormat}
 * version, tombstones kept as tombstone versions (see {@link RocksCodec}).
 *
 * <p>Every write goes without RocksDB's write-ahead log: the Raft log is the write-ahead log. A
 * checkpoint writes the checkpoint metadata key and then flushes the memtables and waits, so the
 * metadata and every write before it are in SST files together. After a crash RocksDB holds a
 * prefix of the writes at least up to the last checkpoint, and the caller replays the rest;
 * replay is idempotent by log index. A clean close flushes too.
 *
 * <p>Records and tombstones are counted at open (one scan) and then kept by the writes.
 */
public final class RocksStore extends CheckpointingStore {
    static final long BLOCK_CACHE_BYTES = 32L << 20;
    static final long WRITE_BUFFER_BYTES = 16L << 20;
    static final int BACKGROUND_THREADS = 2;
    static final int BLOOM_BITS_PER_KEY = 10;
    static final int KEPT_INFO_LOG_FILES = 3;

    /** The RocksDB objects, closed together. */
    private record Handles(RocksDB db, Options options, LRUCache blockCache, BloomFilter bloomFilter,
                           WriteOptions writeOptions, FlushOptions flushOptions) {
    }

    private final Handles handles;
    private final CheckpointMetadata metadata;
    /** Orders writes of the metadata key, so the last one written holds the latest metadata. */
    private final Object metadataLock = new Object();
    private final Set<RocksSnapshot> openSnapshots = ConcurrentHashMap.newKeySet();
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong tombstones = new AtomicLong();
    private final MaintenanceAgent agent;
    private volatile boolean closed;

    private RocksStore(StoreConfig config, Handles handles) {
        super(config);
        this.handles = handles;
        this.metadata = loadMetadata();
        countAndFilterRecords();
        agent = config.backgroundMaintenance()
                ? MaintenanceAgent.start("flashraft-rocks-maintenance", config.maintenanceIntervalMs(), this::runMaintenance)
                : null;
    }

    /**
     * Opens, or creates, the database in {@code config.dataDir()}.
     *
     * @throws IllegalArgumentException if the config is not for the RocksDB engine
     */
    public static RocksStore open(StoreConfig config) {
        if (config.engine() != StoreConfig.Engine.ROCKSDB) {
            throw new IllegalArgumentException("engine " + config.engine() + " is not " + StoreConfig.Engine.ROCKSDB);
        }
        RocksDB.loadLibrary();
        LRUCache blockCache = new LRUCache(BLOCK_CACHE_BYTES);
        BloomFilter bloomFilter = new BloomFilter(BLOOM_BITS_PER_KEY);
        // Sized for a small shared machine: two background threads, LZ4 (cheap on CPU).
        Options options = new Options()
                .setCreateIfMissing(true)
                .setIncreaseParallelism(BACKGROUND_THREADS)
                .setCompressionType(CompressionType.LZ4_COMPRESSION)
                .setWriteBufferSize(WRITE_BUFFER_BYTES)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
                .setKeepLogFileNum(KEPT_INFO_LOG_FILES)
                .setTableFormatConfig(new BlockBasedTableConfig()
                        .setBlockCache(blockCache)
                        .setFilterPolicy(bloomFilter));
        WriteOptions writeOptions = new WriteOptions().setDisableWAL(true);
        FlushOptions flushOptions = new FlushOptions().setWaitForFlush(true);
        RocksDB db = null;
        try {
            Files.createDirectories(config.dataDir());
            db = RocksDB.open(options, config.dataDir().toString());
            return new RocksStore(config, new Handles(db, options, blockCache, bloomFilter, writeOptions, flushOptions));
        } catch (IOException | RocksDBException | RuntimeException e) {
            if (db != null) {
                db.close();
            }
            flushOptions.close();
            writeOptions.close();
            options.close();
            bloomFilter.close();
            blockCache.close();
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new UncheckedIOException(new IOException("cannot open RocksDB in " + config.dataDir(), e));
        }
    }

    // ---- the engine SPI: partition lock held ----------------------------------------------------

    @Override
    protected VersionInfo find(Digest digest) {
        byte[] value = get(digest);
        return value == null ? null : RocksCodec.info(value);
    }

    @Override
    protected RecordVersion read(Digest digest) {
        byte[] value = get(digest);
        if (value == null) {
            throw new IllegalStateException("read of " + digest + " which find did not return");
        }
        return RocksCodec.version(value);
    }

    @Override
    protected void write(RecordVersion version, VersionInfo previous) {
        try {
            db().put(handles.writeOptions(), RocksCodec.key(version.digest()), RecordFormat.toBytes(version));
        } catch (RocksDBException e) {
            if (e.getStatus() != null && e.getStatus().getSubCode() == Status.SubCode.NoSpace) {
                throw new StoreFullException("RocksDB in " + config.dataDir() + " is out of space: " + e.getMessage());
            }
            throw failure("write of " + version.digest(), e);
        }
        if (previous != null) {
            count(previous.tombstone(), -1);
        }
        count(version.tombstone(), 1);
    }

    @Override
    protected void forget(Digest digest, VersionInfo previous) {
        try {
            db().delete(handles.writeOptions(), RocksCodec.key(digest));
        } catch (RocksDBException e) {
            throw failure("delete of " + digest, e);
        }
        if (previous != null) {
            count(previous.tombstone(), -1);
        }
    }

    @Override
    protected List<Digest> digests(int partition) {
        List<Digest> digests = new ArrayList<>();
        try (RocksIterator iterator = db().newIterator()) {
            for (iterator.seek(RocksCodec.partitionStart(partition)); iterator.isValid(); iterator.next()) {
                byte[] key = iterator.key();
                if (!RocksCodec.inPartition(key, partition)) {
                    break;
                }
                digests.add(RocksCodec.digest(key));
            }
            iterator.status();
        } catch (RocksDBException e) {
            throw failure("scan of partition " + partition, e);
        }
        return digests;
    }

    @Override
    protected void recordTruncate(WriteContext ctx, String set, BitSet partitions) {
        synchronized (metadataLock) {
            metadata.truncated(set, partitions, ctx.logIndex());
            // Written now, after the deletes: any flushed prefix holding the marker holds them too.
            putMetadata(metadata);
        }
    }

    @Override
    protected void dropAll(BitSet dropped) {
        try {
            for (int from = dropped.nextSetBit(0); from >= 0; from = dropped.nextSetBit(to(dropped, from))) {
                int to = to(dropped, from);
                uncount(from, to);
                db().deleteRange(handles.writeOptions(), RocksCodec.partitionStart(from), RocksCodec.partitionStart(to));
            }
        } catch (RocksDBException e) {
            throw failure("drop of partitions " + dropped, e);
        }
        synchronized (metadataLock) {
            metadata.forgetPartitions(dropped);
            putMetadata(metadata);
        }
        flush();
    }

    // ---- the rest of RecordStore -----------------------------------------------------------------

    /** A RocksDB snapshot: consistent at the moment it is taken, without holding any lock. */
    @Override
    public StoreSnapshot snapshot(BitSet partitions) {
        RocksSnapshot snapshot = new RocksSnapshot(db(), partitions, openSnapshots::remove);
        openSnapshots.add(snapshot);
        return snapshot;
    }

    @Override
    protected CheckpointMetadata metadata() {
        return metadata;
    }

    @Override
    protected Object metadataLock() {
        return metadataLock;
    }

    /** Writes the metadata key, then flushes the memtables and waits. */
    @Override
    protected void persist(CheckpointMetadata next) {
        putMetadata(next);
        flush();
    }

    @Override
    protected long dropTombstones(int partition, Map<Integer, Long> droppableIndexByGroup) {
        long dropped = 0;
        // The iterator is made under the lock: it must not show a version the lock let change.
        try (RocksIterator iterator = db().newIterator()) {
            for (iterator.seek(RocksCodec.partitionStart(partition)); iterator.isValid(); iterator.next()) {
                byte[] key = iterator.key();
                if (!RocksCodec.inPartition(key, partition)) {
                    break;
                }
                byte[] value = iterator.value();
                VersionInfo info = RocksCodec.info(value);
                long droppableIndex = droppableIndexByGroup.getOrDefault(RocksCodec.group(value), -1L);
                if (info.tombstone() && info.logIndex() <= droppableIndex) {
                    forget(RocksCodec.digest(key), info);
                    dropped++;
                }
            }
            iterator.status();
        } catch (RocksDBException e) {
            throw failure("tombstone drop in partition " + partition, e);
        }
        return dropped;
    }

    /**
     * Disk use is the SST files; the disk capacity is what they use plus what the file system
     * has free, since RocksDB shares it. Memory use is the memtables and the block cache.
     */
    @Override
    public StoreStats stats() {
        long sstBytes = longProperty("rocksdb.total-sst-files-size");
        long memtableBytes = longProperty("rocksdb.cur-size-all-mem-tables");
        long blockCacheBytes = handles.blockCache().getUsage();
        long capacityBytes;
        try {
            capacityBytes = sstBytes + Files.getFileStore(config.dataDir()).getUsableSpace();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read free space of " + config.dataDir(), e);
        }
        boolean stopWrites = sstBytes > percentOf(capacityBytes, config.stopWritesDiskPercent());
        return new StoreStats(records.get(), tombstones.get(), memtableBytes + blockCacheBytes,
                config.memoryLimitBytes(), sstBytes, capacityBytes, stopWrites,
                withEngineState(counters(), memtableBytes, blockCacheBytes));
    }

    private Map<String, Long> withEngineState(Map<String, Long> counters, long memtableBytes, long blockCacheBytes) {
        counters.put("memtable-bytes", memtableBytes);
        counters.put("block-cache-bytes", blockCacheBytes);
        counters.put("estimated-keys", longProperty("rocksdb.estimate-num-keys"));
        counters.put("maintenance-failed", agent != null && agent.failure() != null ? 1L : 0L);
        return counters;
    }

    /**
     * Stops the maintenance agent, closes snapshots still open, flushes the memtables and closes
     * the database. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (agent != null) {
            agent.close();
        }
        List.copyOf(openSnapshots).forEach(RocksSnapshot::close);
        closed = true;
        RocksDBException failure = null;
        try {
            handles.db().flush(handles.flushOptions());
        } catch (RocksDBException e) {
            failure = e;
        }
        try {
            handles.db().closeE();
        } catch (RocksDBException e) {
            failure = failure == null ? e : failure;
        }
        handles.writeOptions().close();
        handles.flushOptions().close();
        handles.options().close();
        handles.bloomFilter().close();
        handles.blockCache().close();
        if (failure != null) {
            throw failure("flush or close", failure);
        }
    }

    // ---- internals -------------------------------------------------------------------------------

    /** The database, refusing use after close: a closed RocksDB handle crashes the JVM, not Java. */
    private RocksDB db() {
        if (closed) {
            throw new IllegalStateException("RocksStore in " + config.dataDir() + " is closed");
        }
        return handles.db();
    }

    private byte[] get(Digest digest) {
        try {
            return db().get(RocksCodec.key(digest));
        } catch (RocksDBException e) {
            throw failure("read of " + digest, e);
        }
    }

    private CheckpointMetadata loadMetadata() {
        try {
            byte[] encoded = db().get(RocksCodec.METADATA_KEY);
            return encoded == null ? new CheckpointMetadata() : CheckpointMetadata.fromBytes(encoded);
        } catch (RocksDBException e) {
            throw failure("read of the checkpoint metadata", e);
        } catch (DecodeException e) {
            throw new IllegalStateException("corrupt checkpoint metadata in RocksDB in " + config.dataDir(), e);
        }
    }

    /** Counts records and tombstones, and deletes versions a truncate marker covers. */
    private void countAndFilterRecords() {
        try (RocksIterator iterator = db().newIterator()) {
            for (iterator.seekToFirst(); iterator.isValid(); iterator.next()) {
                byte[] key = iterator.key();
                if (key.length != RocksCodec.KEY_BYTES) {
                    // The metadata key, which sorts after every record key.
                    break;
                }
                VersionInfo info = RocksCodec.info(iterator.value());
                Digest digest = RocksCodec.digest(key);
                if (metadata.truncates(digest.partition(), info.set(), info.logIndex())) {
                    db().delete(handles.writeOptions(), key);
                } else {
                    count(info.tombstone(), 1);
                }
            }
            iterator.status();
        } catch (RocksDBException e) {
            throw failure("scan at open", e);
        }
    }

    private void putMetadata(CheckpointMetadata toWrite) {
        try {
            db().put(handles.writeOptions(), RocksCodec.METADATA_KEY, toWrite.toBytes());
        } catch (RocksDBException e) {
            throw failure("write of the checkpoint metadata", e);
        }
    }

    private void flush() {
        try {
            db().flush(handles.flushOptions());
        } catch (RocksDBException e) {
            throw failure("flush", e);
        }
    }

    /** Takes the records and tombstones of partitions [from, to) off the counters. */
    private void uncount(int from, int to) throws RocksDBException {
        try (RocksIterator iterator = db().newIterator()) {
            byte[] end = RocksCodec.partitionStart(to);
            for (iterator.seek(RocksCodec.partitionStart(from)); iterator.isValid(); iterator.next()) {
                if (Arrays.compareUnsigned(iterator.key(), end) >= 0) {
                    break;
                }
                count(RocksCodec.tombstone(iterator.value()), -1);
            }
            iterator.status();
        }
    }

    private static int to(BitSet partitions, int from) {
        return partitions.nextClearBit(from);
    }

    private void count(boolean tombstone, int delta) {
        (tombstone ? tombstones : records).addAndGet(delta);
    }

    private long longProperty(String name) {
        try {
            return db().getLongProperty(name);
        } catch (RocksDBException e) {
            throw failure("property " + name, e);
        }
    }

    private RuntimeException failure(String what, RocksDBException e) {
        return new UncheckedIOException(new IOException("RocksDB " + what + " failed in " + config.dataDir(), e));
    }

    private static long percentOf(long bytes, int percent) {
        return bytes > Long.MAX_VALUE / 100 ? bytes / 100 * percent : bytes * percent / 100;
    }
}
