package io.flashraft.device.flash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.protocol.BinSelection;
import io.flashraft.device.EvictionCandidate;
import io.flashraft.device.ReadResult;
import io.flashraft.device.RecordVersion;
import io.flashraft.device.StoreConfig;
import io.flashraft.device.StoreSnapshot;
import io.flashraft.device.WriteContext;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.device.WriteResult;
import io.flashraft.device.block.FaultyBlockDevice;
import io.flashraft.device.block.FileBlockDevice;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the device engine's own duties: records spread over many write blocks survive restarts,
 * the defragmenter empties sparse blocks and frees them only at a checkpoint, deletes and
 * truncates survive crashes even after defrag and tomb raids, a full device answers DEVICE_FULL
 * without damage and recovers, stop-writes rises before the device is full, O_DIRECT works, and
 * replaying an eviction entry after a restart evicts no more than the original did.
 */
class DeviceStoreTest {
    private static final int BLOCK = 64 * 1024;
    private static final long START_MS = 1_700_000_000_000L;
    private static final String SET = "things";
    private static final java.util.logging.Logger STORE_LOG = quiet();

    @TempDir
    Path tmp;

    private long logIndex;
    private long nowMs = START_MS;

    private static java.util.logging.Logger quiet() {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.flashraft.device.flash");
        logger.setLevel(java.util.logging.Level.SEVERE);
        return logger;
    }

    private StoreConfig.Builder config(long deviceBytes) {
        return StoreConfig.builder()
                .dataDir(tmp.resolve("data"))
                .devices(List.of(tmp.resolve("device0")))
                .deviceSizeBytes(deviceBytes)
                .writeBlockSizeBytes(BLOCK)
                .flushIntervalMs(60_000)
                .postWriteQueueBlocks(2)
                .tombstoneRetentionMs(0)
                .backgroundMaintenance(false);
    }

    private static Digest digest(int key) {
        return KeyDigest.of(SET, key);
    }

    private static Bins bins(int key, int version, int payloadBytes) {
        byte[] payload = new byte[payloadBytes];
        new Random(key * 7919L + version).nextBytes(payload);
        return Bins.of(Map.of("key", Value.of((long) key), "version", Value.of((long) version),
                "p", Value.of(payload)));
    }

    private WriteContext next() {
        logIndex++;
        return new WriteContext(1, logIndex, nowMs, logIndex);
    }

    private WriteResult put(DeviceStore store, int key, int version, int payloadBytes) {
        return store.put(next(), digest(key), SET, bins(key, version, payloadBytes), WritePolicy.DEFAULT);
    }

    private void assertHolds(DeviceStore store, Map<Integer, Integer> versions, int payloadBytes) {
        for (Map.Entry<Integer, Integer> e : versions.entrySet()) {
            ReadResult read = store.get(digest(e.getKey()), BinSelection.ALL, nowMs);
            assertTrue(read.found(), "key " + e.getKey() + " is missing");
            assertEquals(bins(e.getKey(), e.getValue(), payloadBytes), read.bins(), "key " + e.getKey());
        }
    }

    private static long engine(DeviceStore store, String counter) {
        return store.stats().engine().get(counter);
    }

    // ---- tombstones and their group's checkpoint ------------------------------------------------

    private static List<RecordVersion> versionsOf(DeviceStore store, Digest digest) {
        BitSet partition = new BitSet();
        partition.set(digest.partition());
        List<RecordVersion> versions = new ArrayList<>();
        try (StoreSnapshot snapshot = store.snapshot(partition)) {
            snapshot.forEachRemaining(v -> {
                if (v.digest().equals(digest)) {
                    versions.add(v);
                }
            });
        }
        return versions;
    }

    @Test
    void aTombstoneStaysUntilItsOwnGroupsCheckpointCoversIt() throws IOException {
        try (DeviceStore store = DeviceStore.open(config(4 * 1024 * 1024).build())) {
            Digest other = KeyDigest.of(SET, "of-group-2");
            assertTrue(store.put(new WriteContext(2, 1, nowMs, 1), other, SET, bins(0, 1, 100), WritePolicy.DEFAULT).ok());
            // Group 1 fills the block that holds the other group's record and more, then deletes
            // everything, so that block empties and a checkpoint of group 1 frees it.
            for (int key = 0; key < 100; key++) {
                assertTrue(put(store, key, 1, 2000).ok());
            }
            assertTrue(store.delete(new WriteContext(2, 2, nowMs, 2), other,
                    WritePolicy.DEFAULT.withExpectedGeneration(1)).ok());
            for (int key = 0; key < 100; key++) {
                assertTrue(store.delete(next(), digest(key), WritePolicy.DEFAULT).ok());
            }
            store.checkpoint(1, logIndex);
            nowMs += 1_000;
            assertTrue(put(store, 1_000, 1, 10).ok());
            store.runMaintenance();
            // No older version is left on the device, but group 2 could still replay from before
            // the delete: the tombstone must stay, or the replay would recreate the record.
            assertTrue(engine(store, "tombstones-dropped") > 0, "group 1's tombstones go: " + store.stats());
            assertEquals(1, versionsOf(store, other).size());
            assertTrue(versionsOf(store, other).get(0).tombstone());

            store.checkpoint(2, 2);
            nowMs += 1_000;
            assertTrue(put(store, 1_001, 1, 10).ok());
            store.runMaintenance();
            assertEquals(List.of(), versionsOf(store, other), "covered by its group's checkpoint, it can go");
        }
    }

    // ---- many blocks, restart -----------------------------------------------------------------

    @Test
    void recordsSpanningManyWriteBlocksSurviveACleanRestartOnARealFile() throws IOException {
        StoreConfig config = config(4 * 1024 * 1024).build();
        Map<Integer, Integer> versions = new HashMap<>();
        try (DeviceStore store = DeviceStore.open(config)) {
            for (int key = 0; key < 400; key++) {
                assertTrue(put(store, key, 1, 2000).ok());
                versions.put(key, 1);
            }
            // Blocks in use, not blocks flushed: the write flusher runs on its own thread.
            assertTrue(store.stats().diskUsedBytes() >= 10L * BLOCK, "records spread over many blocks: " + store.stats());
            assertHolds(store, versions, 2000);
        }
        try (DeviceStore store = DeviceStore.open(config)) {
            assertEquals(400, store.stats().records());
            assertEquals(0, store.coldStartCorruptRecords(), store.coldStartReport());
            assertHolds(store, versions, 2000);
        }
    }

    /**
     * Cold start counts each block's live bytes and the tombstones while it indexes (the version
     * kept adds, the one it displaces takes off): after a restart they must be what the running
     * store had counted write by write, or defrag would move the wrong blocks and free live ones.
     */
    @Test
    void aColdStartCountsTheLiveBytesOfEveryBlockAndTheTombstonesAsTheRunningStoreDid() throws IOException {
        StoreConfig config = config(4 * 1024 * 1024).build();
        int[] liveBefore;
        long tombstonesBefore;
        try (DeviceStore store = DeviceStore.open(config)) {
            for (int round = 1; round <= 3; round++) {
                for (int key = 0; key < 300; key++) {
                    if (key % round == 0) {
                        assertTrue(put(store, key, round, 700 + key).ok());
                    }
                }
            }
            for (int key = 0; key < 300; key += 7) {
                assertTrue(store.delete(next(), digest(key), WritePolicy.DEFAULT).ok());
            }
            assertTrue(put(store, 0, 4, 100).ok(), "a deleted record written again");
            liveBefore = liveBytes(store);
            tombstonesBefore = store.stats().tombstones();
            assertEquals(42, tombstonesBefore, store.stats().toString());
        }
        try (DeviceStore store = DeviceStore.open(config)) {
            assertArrayEquals(liveBefore, liveBytes(store));
            assertEquals(tombstonesBefore, store.stats().tombstones());
            assertTrue(store.coldStartReport().contains("(42 tombstones)"), store.coldStartReport());
        }
    }

    private static int[] liveBytes(DeviceStore store) {
        int[] live = new int[store.blocks().blockCount()];
        for (int b = 0; b < live.length; b++) {
            live[b] = store.blocks().liveBytes(b);
        }
        return live;
    }

    // ---- defrag -------------------------------------------------------------------------------

    @Test
    void defragEmptiesBlocksUnderTheLowWaterMarkAndACheckpointFreesThem() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", 4 * 1024 * 1024, BLOCK);
        StoreConfig config = config(disk.sizeBytes()).build();
        Map<Integer, Integer> versions = new HashMap<>();
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            for (int key = 0; key < 300; key++) {
                assertTrue(put(store, key, 1, 2000).ok());
                versions.put(key, 1);
            }
            for (int key = 0; key < 300; key++) {
                if (key % 4 != 0) {
                    assertTrue(put(store, key, 2, 2000).ok());
                    versions.put(key, 2);
                }
            }
            store.checkpoint(1, logIndex);
            long freeBefore = engine(store, "blocks-free");
            assertEquals(0, engine(store, "blocks-pending-free"));

            store.runMaintenance();

            long moved = engine(store, "defrag-records-moved");
            long pending = engine(store, "blocks-pending-free");
            assertTrue(moved > 0, "defrag moved nothing: " + store.stats());
            assertTrue(pending >= 5, "the defragmented blocks wait for a checkpoint: " + store.stats());
            assertHolds(store, versions, 2000);

            store.checkpoint(1, logIndex);
            assertEquals(0, engine(store, "blocks-pending-free"));
            assertTrue(engine(store, "blocks-free") > freeBefore, "free before " + freeBefore + ": " + store.stats());
            assertHolds(store, versions, 2000);
        }
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            assertEquals(0, store.coldStartCorruptRecords(), store.coldStartReport());
            assertHolds(store, versions, 2000);
        }
    }

    /**
     * A block the defragmenter emptied still holds the only durable copy of what it moved until a
     * checkpoint has synced the moved copies: reusing it earlier and then crashing loses records.
     */
    @Test
    void aBlockFreedByDefragIsNotReusedBeforeACheckpoint() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", 2 * 1024 * 1024, BLOCK);
        StoreConfig config = config(disk.sizeBytes()).build();
        Map<Integer, Integer> durable = new HashMap<>();
        long pending;
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            for (int key = 0; key < 150; key++) {
                assertTrue(put(store, key, 1, 2000).ok());
                durable.put(key, 1);
            }
            for (int key = 0; key < 150; key++) {
                if (key % 5 != 0) {
                    assertTrue(store.delete(next(), digest(key), WritePolicy.DEFAULT).ok());
                    durable.remove(key);
                }
            }
            store.checkpoint(1, logIndex);
            store.runMaintenance();
            pending = engine(store, "blocks-pending-free");
            assertTrue(pending > 0 && engine(store, "defrag-records-moved") > 0, store.stats().toString());

            // Fill every block the main stream may take, with records of other keys.
            long free = engine(store, "blocks-free");
            int key = 1000;
            while (true) {
                WriteResult result = put(store, key++, 1, 2000);
                if (result.code() == ResultCode.DEVICE_FULL) {
                    break;
                }
                assertTrue(result.ok(), result.toString());
                assertEquals(pending, engine(store, "blocks-pending-free"), "no pending-free block was reused");
            }
            assertTrue(key - 1000 > free * 20, "the writes went through the free blocks");
            assertEquals(pending, engine(store, "blocks-pending-free"));
            store.halt();
        }
        disk.crash(new Random(42));
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            assertHolds(store, durable, 2000);
            store.checkpoint(1, logIndex);
            assertTrue(engine(store, "blocks-free") >= pending, store.stats().toString());
        }
    }

    // ---- deletes, tomb raids, truncates across crashes ----------------------------------------

    @Test
    void aDeletedRecordStaysDeletedAfterACrashEvenAfterDefragAndTombRaidRan() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", 2 * 1024 * 1024, BLOCK);
        StoreConfig config = config(disk.sizeBytes()).build();
        int deleted = 7;
        Map<Integer, Integer> versions = new HashMap<>();
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            for (int key = 0; key < 60; key++) {
                assertTrue(put(store, key, 1, 3000).ok());
                versions.put(key, 1);
            }
            store.checkpoint(1, logIndex);
            assertTrue(store.delete(next(), digest(deleted), WritePolicy.DEFAULT).ok());
            versions.remove(deleted);
            store.checkpoint(1, logIndex);
            nowMs += 5_000;
            // Rewrite the neighbours of the deleted record, so that its block empties.
            for (int key = 0; key < 60; key++) {
                if (key != deleted) {
                    assertTrue(put(store, key, 2, 3000).ok());
                    versions.put(key, 2);
                }
            }
            store.checkpoint(1, logIndex);
            store.runMaintenance();
            store.checkpoint(1, logIndex);
            store.runMaintenance();
            assertTrue(engine(store, "tombstones-dropped") >= 1, "the tomb raid dropped the tombstone: "
                    + store.stats());
            assertEquals(0, store.stats().tombstones());
            store.checkpoint(1, logIndex);
            store.halt();
        }
        boolean oldVersionStillOnDisk = DiskRecords.scan(disk, BLOCK).stream()
                .anyMatch(f -> f.digest().equals(digest(deleted)) && !f.version().tombstone());
        assertTrue(oldVersionStillOnDisk, "the test needs the deleted version to be left on the device");
        disk.crash(new Random(1));
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            assertFalse(store.get(digest(deleted), BinSelection.ALL, nowMs).found(), "the deleted record came back");
            assertHolds(store, versions, 3000);
        }
    }

    @Test
    void aTruncateSurvivesACrashAfterItsCheckpoint() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", 2 * 1024 * 1024, BLOCK);
        StoreConfig config = config(disk.sizeBytes()).build();
        BitSet partitions = new BitSet();
        partitions.set(0, 4096);
        Map<Integer, Integer> kept = new HashMap<>();
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            for (int key = 0; key < 80; key++) {
                assertTrue(put(store, key, 1, 1000).ok());
                assertTrue(store.put(next(), KeyDigest.of("other", key), "other", bins(key, 1, 1000),
                        WritePolicy.DEFAULT).ok());
            }
            assertEquals(80, store.truncate(next(), SET, partitions));
            for (int key = 0; key < 10; key++) {
                assertTrue(put(store, key, 2, 1000).ok());
                kept.put(key, 2);
            }
            store.checkpoint(1, logIndex);
            store.halt();
        }
        disk.crash(new Random(3));
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            for (int key = 0; key < 80; key++) {
                assertEquals(key < 10, store.get(digest(key), BinSelection.ALL, nowMs).found(), "key " + key);
                assertTrue(store.get(KeyDigest.of("other", key), BinSelection.ALL, nowMs).found(), "other " + key);
            }
            assertHolds(store, kept, 1000);
        }
    }

    // ---- full device, stop-writes ---------------------------------------------------------------

    /** 12 write blocks (one is the header's): 11 for records, 2 of them kept for the defragmenter. */
    private static final int TINY_DEVICE = 12 * BLOCK;
    /** Seven such records fill a write block but for about 5 KiB: room for the tombstones of deletes. */
    private static final int BIG = 8500;

    @Test
    void aFullDeviceAnswersDeviceFullKeepsEveryRecordAndWritesAgainOnceSpaceIsFreed() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", TINY_DEVICE, BLOCK);
        StoreConfig config = config(disk.sizeBytes()).build();
        Map<Integer, Integer> versions = new HashMap<>();
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            int key = 0;
            WriteResult result;
            while ((result = put(store, key, 1, BIG)).ok()) {
                versions.put(key++, 1);
            }
            assertEquals(ResultCode.DEVICE_FULL, result.code());
            assertTrue(versions.size() > 50, "filled " + versions.size());
            assertTrue(store.stopWrites());
            assertEquals(ResultCode.DEVICE_FULL, put(store, key, 1, BIG).code(), "still full");
            assertFalse(store.get(digest(key), BinSelection.ALL, nowMs).found(), "a refused write left nothing");
            assertHolds(store, versions, BIG);
            store.runMaintenance();
            assertHolds(store, versions, BIG);

            // Tombstones still fit in the open write buffer: delete the oldest records.
            for (int k = 0; k < 30; k++) {
                assertTrue(store.delete(next(), digest(k), WritePolicy.DEFAULT).ok(), "delete " + k);
                versions.remove(k);
            }
            store.runMaintenance();
            store.checkpoint(1, logIndex);
            assertTrue(engine(store, "blocks-free") > 2, store.stats().toString());
            for (int k = 0; k < 10; k++) {
                assertTrue(put(store, key, 1, BIG).ok(), "writes succeed again");
                versions.put(key++, 1);
            }
            assertHolds(store, versions, BIG);
            assertTrue(disk.violations().isEmpty(), disk.violations().toString());
        }
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            assertEquals(0, store.coldStartCorruptRecords(), store.coldStartReport());
            assertEquals(versions.size(), store.stats().records());
            assertHolds(store, versions, BIG);
        }
    }

    /**
     * With two records in three deleted, every block is under the low-water mark and the
     * defragmenter has more to move than the free blocks can take before a checkpoint frees its
     * sources: it must stop, not fail.
     */
    @Test
    void maintenanceOnAFullDeviceStopsDefragInsteadOfFailing() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", TINY_DEVICE, BLOCK);
        StoreConfig config = config(disk.sizeBytes()).build();
        Map<Integer, Integer> versions = new HashMap<>();
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            int key = 0;
            while (put(store, key, 1, BIG).ok()) {
                versions.put(key++, 1);
            }
            for (int k = 0; k < key; k++) {
                if (k % 3 != 0) {
                    assertTrue(store.delete(next(), digest(k), WritePolicy.DEFAULT).ok(), "delete " + k);
                    versions.remove(k);
                }
            }
            store.runMaintenance();
            assertHolds(store, versions, BIG);
            store.checkpoint(1, logIndex);
            store.runMaintenance();
            store.checkpoint(1, logIndex);
            assertTrue(engine(store, "blocks-free") > 2, store.stats().toString());
            assertTrue(put(store, key, 1, BIG).ok(), "writes succeed again");
            versions.put(key, 1);
            assertHolds(store, versions, BIG);
        }
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            assertEquals(0, store.coldStartCorruptRecords(), store.coldStartReport());
            assertHolds(store, versions, BIG);
        }
    }

    @Test
    void stopWritesRisesPastTheDiskMarkWhileTheDeviceCanStillTakeWrites() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", 32 * BLOCK, BLOCK);
        StoreConfig config = config(disk.sizeBytes()).stopWritesDiskPercent(50).build();
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            assertFalse(store.stopWrites());
            int key = 0;
            while (!store.stopWrites()) {
                assertTrue(put(store, key++, 1, BIG).ok());
            }
            long used = store.stats().diskUsedBytes();
            long capacity = store.stats().diskCapacityBytes();
            long writable = capacity - 2L * BLOCK;
            assertTrue(used * 100 >= writable * 50 && used * 100 < capacity * 60, used + " of " + capacity);
            assertTrue(engine(store, "blocks-free") > 10, store.stats().toString());
            assertTrue(put(store, key, 1, BIG).ok(), "the store itself still accepts what it can hold");
        }
    }

    // ---- O_DIRECT -------------------------------------------------------------------------------

    @Test
    void aRoundTripWorksWithDirectIo() throws IOException {
        Path probe = tmp.resolve("probe");
        java.nio.file.Files.write(probe, new byte[2 * FileBlockDevice.DIRECT_ALIGNMENT]);
        try (var channel = java.nio.channels.FileChannel.open(probe, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            channel.write(FileBlockDevice.alignedBuffer(FileBlockDevice.DIRECT_ALIGNMENT), 0);
        } catch (IOException | UnsupportedOperationException e) {
            Assumptions.abort("the temp directory's filesystem refuses O_DIRECT: " + e);
        }
        // The device file does not exist yet: opening creates and sizes it, with O_DIRECT on.
        StoreConfig config = config(4 * 1024 * 1024).directIo(true).build();
        Map<Integer, Integer> versions = new HashMap<>();
        try (DeviceStore store = DeviceStore.open(config)) {
            for (int key = 0; key < 200; key++) {
                assertTrue(put(store, key, 1, 1500 + key).ok());
                versions.put(key, 1);
            }
            for (int key = 0; key < 200; key++) {
                ReadResult read = store.get(digest(key), BinSelection.ALL, nowMs);
                assertEquals(bins(key, 1, 1500 + key), read.bins(), "odd-sized, unaligned reads: key " + key);
            }
            store.checkpoint(1, logIndex);
        }
        try (DeviceStore store = DeviceStore.open(config)) {
            assertEquals(0, store.coldStartCorruptRecords(), store.coldStartReport());
            for (int key = 0; key < 200; key++) {
                assertEquals(bins(key, 1, 1500 + key), store.get(digest(key), BinSelection.ALL, nowMs).bins());
            }
        }
    }

    // ---- evict replay ---------------------------------------------------------------------------

    private Set<Integer> liveKeys(DeviceStore store, int keys) {
        Set<Integer> live = new TreeSet<>();
        for (int key = 0; key < keys; key++) {
            if (store.get(digest(key), BinSelection.HEADER, nowMs).found()) {
                live.add(key);
            }
        }
        return live;
    }

    /** Records 0..5 with TTLs 10..15 s: evict picks the soonest to expire first. */
    private void putExpiringRecords(DeviceStore store) {
        for (int key = 0; key < 6; key++) {
            assertTrue(store.put(next(), digest(key), SET, bins(key, 1, 100),
                    WritePolicy.DEFAULT.withTtlSec(10 + key)).ok());
        }
    }

    /**
     * An eviction as the leader makes it: the store names the candidates, and one log entry
     * deletes them, each only at the generation it was chosen at.
     */
    private static List<EvictionCandidate> evictionEntry(DeviceStore store, WriteContext entry,
                                                         List<EvictionCandidate> candidates) {
        List<EvictionCandidate> evicted = new ArrayList<>();
        for (EvictionCandidate candidate : candidates) {
            WriteResult deleted = store.delete(entry, candidate.digest(),
                    WritePolicy.DEFAULT.withExpectedGeneration(candidate.generation()));
            if (deleted.ok() && !deleted.replayed()) {
                evicted.add(candidate);
            }
        }
        return evicted;
    }

    @Test
    void replayingAnEvictionAfterARestartEvictsNoMoreThanTheOriginal() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", 1024 * 1024, BLOCK);
        StoreConfig config = config(disk.sizeBytes()).build();
        BitSet partitions = new BitSet();
        partitions.set(0, 4096);
        WriteContext evict;
        List<EvictionCandidate> chosen;
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            store.checkpoint(1, 0);
            putExpiringRecords(store);
            chosen = store.evictionCandidates(partitions, nowMs, 2);
            assertEquals(List.of(digest(0), digest(1)), chosen.stream().map(EvictionCandidate::digest).toList());
            evict = next();
            assertEquals(2, evictionEntry(store, evict, chosen).size());
            assertEquals(Set.of(2, 3, 4, 5), liveKeys(store, 6));
            // A clean shutdown without a checkpoint of group 1: its log replays from index 0.
        }
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            logIndex = 0;
            putExpiringRecords(store);
            assertEquals(List.of(), evictionEntry(store, evict, chosen), "the replayed deletes are skipped");
            assertEquals(Set.of(2, 3, 4, 5), liveKeys(store, 6));
        }
    }

    @Test
    void replayingAnEvictionAfterTheEvictedRecordWasWrittenAgainEvictsNothingElse() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", 1024 * 1024, BLOCK);
        StoreConfig config = config(disk.sizeBytes()).build();
        BitSet partitions = new BitSet();
        partitions.set(0, 4096);
        WriteContext evict;
        WriteContext rewrite;
        List<EvictionCandidate> chosen;
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            store.checkpoint(1, 0);
            putExpiringRecords(store);
            chosen = store.evictionCandidates(partitions, nowMs, 1);
            evict = next();
            assertEquals(1, evictionEntry(store, evict, chosen).size());
            rewrite = next();
            assertTrue(store.put(rewrite, digest(0), SET, bins(0, 2, 100), WritePolicy.DEFAULT).ok());
        }
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            logIndex = 0;
            putExpiringRecords(store);
            evictionEntry(store, evict, chosen);
            store.put(rewrite, digest(0), SET, bins(0, 2, 100), WritePolicy.DEFAULT);
            assertEquals(Set.of(0, 1, 2, 3, 4, 5), liveKeys(store, 6));
        }
    }
}
