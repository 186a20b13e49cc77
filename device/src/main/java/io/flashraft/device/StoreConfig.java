package io.flashraft.device;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The validated settings of one namespace's record store. Defaults are documented in
 * {@code docs/configuration.md}; {@link #builder()} starts from them.
 */
public final class StoreConfig {
    /** The storage engines. */
    public enum Engine {
        /** Write blocks on files or raw block devices, RAM index (Aerospike's SSD engine). */
        DEVICE,
        /** Records in RAM, persisted by checkpoints to a file. */
        MEMORY,
        /** RocksDB with its write-ahead log off: the Raft log is the write-ahead log. */
        ROCKSDB
    }

    public static final int MIN_WRITE_BLOCK_BYTES = 64 * 1024;
    public static final int MAX_WRITE_BLOCK_BYTES = 8 * 1024 * 1024;

    private final Engine engine;
    private final Path dataDir;
    private final List<Path> devices;
    private final long deviceSizeBytes;
    private final int writeBlockSizeBytes;
    private final int maxRecordSizeBytes;
    private final long flushIntervalMs;
    private final int postWriteQueueBlocks;
    private final boolean directIo;
    private final int defragLowWaterPercent;
    private final int defragBlocksPerPass;
    private final long maintenanceIntervalMs;
    private final long defaultTtlSec;
    private final long tombstoneRetentionMs;
    private final long memoryLimitBytes;
    private final int stopWritesMemoryPercent;
    private final int stopWritesDiskPercent;
    private final int evictUsedPercent;
    private final boolean backgroundMaintenance;

    private StoreConfig(Builder b) {
        engine = Objects.requireNonNull(b.engine, "engine");
        dataDir = Objects.requireNonNull(b.dataDir, "data-dir");
        devices = List.copyOf(b.devices);
        deviceSizeBytes = b.deviceSizeBytes;
        writeBlockSizeBytes = b.writeBlockSizeBytes;
        maxRecordSizeBytes = b.maxRecordSizeBytes == 0 ? b.writeBlockSizeBytes : b.maxRecordSizeBytes;
        flushIntervalMs = b.flushIntervalMs;
        postWriteQueueBlocks = b.postWriteQueueBlocks;
        directIo = b.directIo;
        defragLowWaterPercent = b.defragLowWaterPercent;
        defragBlocksPerPass = b.defragBlocksPerPass;
        maintenanceIntervalMs = b.maintenanceIntervalMs;
        defaultTtlSec = b.defaultTtlSec;
        tombstoneRetentionMs = b.tombstoneRetentionMs;
        memoryLimitBytes = b.memoryLimitBytes;
        stopWritesMemoryPercent = b.stopWritesMemoryPercent;
        stopWritesDiskPercent = b.stopWritesDiskPercent;
        evictUsedPercent = b.evictUsedPercent;
        backgroundMaintenance = b.backgroundMaintenance;
        validate();
    }

    private void validate() {
        if (engine == Engine.DEVICE && devices.isEmpty()) {
            throw new IllegalArgumentException("devices: the device engine needs at least one file or block device");
        }
        if (Integer.bitCount(writeBlockSizeBytes) != 1 || writeBlockSizeBytes < MIN_WRITE_BLOCK_BYTES
                || writeBlockSizeBytes > MAX_WRITE_BLOCK_BYTES) {
            throw new IllegalArgumentException("write-block-size-bytes " + writeBlockSizeBytes
                    + " must be a power of two from " + MIN_WRITE_BLOCK_BYTES + " to " + MAX_WRITE_BLOCK_BYTES);
        }
        if (maxRecordSizeBytes < 1024 || maxRecordSizeBytes > writeBlockSizeBytes) {
            throw new IllegalArgumentException("max-record-size-bytes " + maxRecordSizeBytes
                    + " must be from 1024 up to write-block-size-bytes (" + writeBlockSizeBytes + ")");
        }
        checkRange("flush-interval-ms", flushIntervalMs, 1, 60_000);
        checkRange("post-write-queue-blocks", postWriteQueueBlocks, 0, 4096);
        checkRange("defrag-low-water-percent", defragLowWaterPercent, 1, 99);
        checkRange("defrag-blocks-per-pass", defragBlocksPerPass, 1, 1 << 20);
        checkRange("maintenance-interval-ms", maintenanceIntervalMs, 1, 3_600_000);
        checkRange("default-ttl-sec", defaultTtlSec, 0, 0xFFFF_FFFFL);
        checkRange("tombstone-retention-ms", tombstoneRetentionMs, 0, Long.MAX_VALUE);
        checkRange("memory-limit-bytes", memoryLimitBytes, 0, Long.MAX_VALUE);
        checkRange("stop-writes-memory-percent", stopWritesMemoryPercent, 1, 100);
        checkRange("stop-writes-disk-percent", stopWritesDiskPercent, 1, 100);
        checkRange("evict-used-percent", evictUsedPercent, 0, 100);
        checkRange("device-size-bytes", deviceSizeBytes, 0, Long.MAX_VALUE);
    }

    private static void checkRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " " + value + " outside " + min + ".." + max);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this config. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.engine = engine;
        b.dataDir = dataDir;
        b.devices = devices;
        b.deviceSizeBytes = deviceSizeBytes;
        b.writeBlockSizeBytes = writeBlockSizeBytes;
        b.maxRecordSizeBytes = maxRecordSizeBytes;
        b.flushIntervalMs = flushIntervalMs;
        b.postWriteQueueBlocks = postWriteQueueBlocks;
        b.directIo = directIo;
        b.defragLowWaterPercent = defragLowWaterPercent;
        b.defragBlocksPerPass = defragBlocksPerPass;
        b.maintenanceIntervalMs = maintenanceIntervalMs;
        b.defaultTtlSec = defaultTtlSec;
        b.tombstoneRetentionMs = tombstoneRetentionMs;
        b.memoryLimitBytes = memoryLimitBytes;
        b.stopWritesMemoryPercent = stopWritesMemoryPercent;
        b.stopWritesDiskPercent = stopWritesDiskPercent;
        b.evictUsedPercent = evictUsedPercent;
        b.backgroundMaintenance = backgroundMaintenance;
        return b;
    }

    public Engine engine() { return engine; }
    /** Where the engine keeps its metadata (device), checkpoint file (memory) or database (RocksDB). */
    public Path dataDir() { return dataDir; }
    /** Files or raw block devices of the device engine. */
    public List<Path> devices() { return devices; }
    /** Size of each device file; 0 = the size of an existing file or block device. */
    public long deviceSizeBytes() { return deviceSizeBytes; }
    public int writeBlockSizeBytes() { return writeBlockSizeBytes; }
    /** The largest record, header included; at most the write block size. */
    public int maxRecordSizeBytes() { return maxRecordSizeBytes; }
    /** A partly filled write buffer goes to the device at least this often. */
    public long flushIntervalMs() { return flushIntervalMs; }
    /** Flushed write blocks kept in RAM to serve reads of recent writes. */
    public int postWriteQueueBlocks() { return postWriteQueueBlocks; }
    /** Read and write the device with O_DIRECT, bypassing the page cache. */
    public boolean directIo() { return directIo; }
    /** A block whose live bytes fall under this share of its size is defragmented. */
    public int defragLowWaterPercent() { return defragLowWaterPercent; }
    /** The most blocks one maintenance pass defragments: the defragmenter's rate limit. */
    public int defragBlocksPerPass() { return defragBlocksPerPass; }
    public long maintenanceIntervalMs() { return maintenanceIntervalMs; }
    /** TTL of writes that ask for the default; 0 = never expire. */
    public long defaultTtlSec() { return defaultTtlSec; }
    /** How long, in the callers' time, a durable tombstone is kept at the least. */
    public long tombstoneRetentionMs() { return tombstoneRetentionMs; }
    /** RAM the engine may use for records; 0 = no limit. */
    public long memoryLimitBytes() { return memoryLimitBytes; }
    public int stopWritesMemoryPercent() { return stopWritesMemoryPercent; }
    public int stopWritesDiskPercent() { return stopWritesDiskPercent; }
    /** Past this share of memory or disk in use, leaders propose evictions; 0 = never evict. */
    public int evictUsedPercent() { return evictUsedPercent; }
    /** Whether the store runs its own maintenance agent; tests turn it off and call it. */
    public boolean backgroundMaintenance() { return backgroundMaintenance; }

    /** Builds a {@link StoreConfig}; every setting starts at its documented default. */
    public static final class Builder {
        private Engine engine = Engine.DEVICE;
        private Path dataDir;
        private List<Path> devices = List.of();
        private long deviceSizeBytes;
        private int writeBlockSizeBytes = 1024 * 1024;
        private int maxRecordSizeBytes;
        private long flushIntervalMs = 1000;
        private int postWriteQueueBlocks = 16;
        private boolean directIo;
        private int defragLowWaterPercent = 50;
        private int defragBlocksPerPass = 64;
        private long maintenanceIntervalMs = 1000;
        private long defaultTtlSec;
        private long tombstoneRetentionMs = 24L * 3600 * 1000;
        private long memoryLimitBytes;
        private int stopWritesMemoryPercent = 90;
        private int stopWritesDiskPercent = 90;
        private int evictUsedPercent;
        private boolean backgroundMaintenance = true;

        public Builder engine(Engine v) { engine = v; return this; }
        public Builder dataDir(Path v) { dataDir = v; return this; }
        public Builder devices(List<Path> v) { devices = List.copyOf(v); return this; }
        public Builder deviceSizeBytes(long v) { deviceSizeBytes = v; return this; }
        public Builder writeBlockSizeBytes(int v) { writeBlockSizeBytes = v; return this; }
        public Builder maxRecordSizeBytes(int v) { maxRecordSizeBytes = v; return this; }
        public Builder flushIntervalMs(long v) { flushIntervalMs = v; return this; }
        public Builder postWriteQueueBlocks(int v) { postWriteQueueBlocks = v; return this; }
        public Builder directIo(boolean v) { directIo = v; return this; }
        public Builder defragLowWaterPercent(int v) { defragLowWaterPercent = v; return this; }
        public Builder defragBlocksPerPass(int v) { defragBlocksPerPass = v; return this; }
        public Builder maintenanceIntervalMs(long v) { maintenanceIntervalMs = v; return this; }
        public Builder defaultTtlSec(long v) { defaultTtlSec = v; return this; }
        public Builder tombstoneRetentionMs(long v) { tombstoneRetentionMs = v; return this; }
        public Builder memoryLimitBytes(long v) { memoryLimitBytes = v; return this; }
        public Builder stopWritesMemoryPercent(int v) { stopWritesMemoryPercent = v; return this; }
        public Builder stopWritesDiskPercent(int v) { stopWritesDiskPercent = v; return this; }
        public Builder evictUsedPercent(int v) { evictUsedPercent = v; return this; }
        public Builder backgroundMaintenance(boolean v) { backgroundMaintenance = v; return this; }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the first setting out of range
         */
        public StoreConfig build() {
            return new StoreConfig(this);
        }
    }
}
