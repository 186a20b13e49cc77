package io.flashraft.device.flash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.protocol.BinSelection;
import io.flashraft.device.ReadResult;
import io.flashraft.device.StoreConfig;
import io.flashraft.device.WriteContext;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.device.block.FaultyBlockDevice;
import io.flashraft.device.format.RecordFormat;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Value;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves that damaged devices are handled as DESIGN.md section 4 says: a corrupt record is
 * reported (block and offset) and skipped while every other record loads, and a device or
 * metadata file that does not belong to this store or this build refuses to open with a clear
 * message instead of being used.
 */
class CorruptionTest {
    private static final int BLOCK = 64 * 1024;
    private static final int DISK = 1024 * 1024;
    private static final int RECORDS = 60;
    private static final int PAYLOAD = 3000;
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final java.util.logging.Logger STORE_LOG = quiet();

    @TempDir
    Path tmp;

    private static java.util.logging.Logger quiet() {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.flashraft.device.flash");
        logger.setLevel(java.util.logging.Level.SEVERE);
        return logger;
    }

    private StoreConfig config(Path dataDir) {
        return StoreConfig.builder()
                .dataDir(dataDir)
                .devices(List.of(dataDir.resolve("device0")))
                .deviceSizeBytes(DISK)
                .writeBlockSizeBytes(BLOCK)
                .flushIntervalMs(60_000)
                .postWriteQueueBlocks(0)
                .backgroundMaintenance(false)
                .build();
    }

    private static Digest digest(int key) {
        return KeyDigest.of("corruption", key);
    }

    private static Bins bins(int key, int version) {
        byte[] payload = new byte[PAYLOAD];
        new Random(key * 31L + version).nextBytes(payload);
        return Bins.of(Map.of("key", Value.of((long) key), "version", Value.of((long) version),
                "p", Value.of(payload)));
    }

    /**
     * Writes {@link #RECORDS} records (about three write blocks), rewrites the first
     * {@code rewritten} of them (so that an older version of each stays on the device),
     * checkpoints and closes.
     *
     * @return the version of each key now current
     */
    private Map<Integer, Integer> writeRecords(StoreConfig config, FaultyBlockDevice disk, int rewritten)
            throws IOException {
        Map<Integer, Integer> versions = new HashMap<>();
        long index = 0;
        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            for (int key = 0; key < RECORDS; key++) {
                WriteContext ctx = new WriteContext(1, ++index, NOW_MS, index);
                assertTrue(store.put(ctx, digest(key), "corruption", bins(key, 1), WritePolicy.DEFAULT).ok());
                versions.put(key, 1);
            }
            for (int key = 0; key < rewritten; key++) {
                WriteContext ctx = new WriteContext(1, ++index, NOW_MS, index);
                assertTrue(store.put(ctx, digest(key), "corruption", bins(key, 2), WritePolicy.DEFAULT).ok());
                versions.put(key, 2);
            }
            store.checkpoint(1, index);
        }
        return versions;
    }

    private static void assertLoaded(DeviceStore store, int key, int version) {
        ReadResult read = store.get(digest(key), BinSelection.ALL, NOW_MS);
        assertTrue(read.found(), "key " + key + " is missing");
        assertEquals(bins(key, version), read.bins(), "key " + key + " at version " + version);
        assertEquals(version, read.meta().generation());
    }

    private static DiskRecords.Found current(FaultyBlockDevice disk, int key, int version) {
        return DiskRecords.scan(disk, BLOCK).stream()
                .filter(f -> f.digest().equals(digest(key)) && f.version().generation() == version)
                .findFirst().orElseThrow();
    }

    /** Positions inside a record, past its magic: length, checksum, header fields, set name, bins. */
    @ParameterizedTest(name = "byte {0} of the record")
    @ValueSource(ints = {RecordFormat.LENGTH_OFFSET + 3, RecordFormat.CRC_OFFSET, RecordFormat.VERSION_OFFSET,
            RecordFormat.FLAGS_OFFSET,
            RecordFormat.SEQUENCE_OFFSET + 7, RecordFormat.DIGEST_OFFSET + 5, RecordFormat.GENERATION_OFFSET + 3,
            RecordFormat.LOG_INDEX_OFFSET + 7, RecordFormat.HEADER_LENGTH + 2, RecordFormat.HEADER_LENGTH + 1500})
    void aCorruptRecordIsReportedAndSkippedAndEveryOtherRecordLoads(int byteInRecord) throws IOException {
        StoreConfig config = config(tmp.resolve("store"));
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", DISK, BLOCK);
        Map<Integer, Integer> versions = writeRecords(config, disk, 0);
        int victim = 25;
        DiskRecords.Found target = current(disk, victim, 1);
        disk.flipByte(target.diskOffset() + byteInRecord);

        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            assertEquals(1, store.coldStartCorruptRecords(), store.coldStartReport());
            assertTrue(store.coldStartReport().contains("block " + target.block() + " offset " + target.offset()),
                    "the report names the block and offset: " + store.coldStartReport());
            assertFalse(store.get(digest(victim), BinSelection.ALL, NOW_MS).found(),
                    "a record with no other version on the device is absent");
            for (int key = 0; key < RECORDS; key++) {
                if (key != victim) {
                    assertLoaded(store, key, versions.get(key));
                }
            }
        }
    }

    @Test
    void aCorruptLatestVersionFallsBackToTheOlderVersionStillOnTheDevice() throws IOException {
        StoreConfig config = config(tmp.resolve("store"));
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", DISK, BLOCK);
        Map<Integer, Integer> versions = writeRecords(config, disk, 10);
        int victim = 3;
        DiskRecords.Found latest = current(disk, victim, 2);
        disk.flipByte(latest.diskOffset() + RecordFormat.HEADER_LENGTH + 100);

        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            assertEquals(1, store.coldStartCorruptRecords(), store.coldStartReport());
            assertLoaded(store, victim, 1);
            for (int key = 0; key < RECORDS; key++) {
                if (key != victim) {
                    assertLoaded(store, key, versions.get(key));
                }
            }
        }
    }

    @Test
    void aBlockWhoseSecondHalfIsZeroedKeepsTheRecordsOfItsFirstHalf() throws IOException {
        StoreConfig config = config(tmp.resolve("store"));
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", DISK, BLOCK);
        Map<Integer, Integer> versions = writeRecords(config, disk, 0);
        List<DiskRecords.Found> before = DiskRecords.scan(disk, BLOCK);
        int truncatedBlock = before.get(0).block();
        disk.zero((long) (truncatedBlock + 1) * BLOCK + BLOCK / 2, BLOCK / 2);

        List<Integer> firstHalf = new ArrayList<>();
        List<Integer> lost = new ArrayList<>();
        for (DiskRecords.Found f : before) {
            int key = (int) ((Value.IntegerValue) f.version().bins().get("key")).value();
            if (f.block() != truncatedBlock) {
                continue;
            }
            if (f.offset() + f.length() <= BLOCK / 2) {
                firstHalf.add(key);
            } else {
                lost.add(key);
            }
        }
        assertTrue(firstHalf.size() >= 5 && lost.size() >= 5, "first half " + firstHalf + ", lost " + lost);

        try (DeviceStore store = DeviceStore.open(config, disk::open)) {
            for (int key = 0; key < RECORDS; key++) {
                if (lost.contains(key)) {
                    assertFalse(store.get(digest(key), BinSelection.ALL, NOW_MS).found(), "key " + key);
                } else {
                    assertLoaded(store, key, versions.get(key));
                }
            }
            assertTrue(store.coldStartCorruptRecords() <= 1, "only a record cut in two can show as corrupt: "
                    + store.coldStartReport());
        }
    }

    @Test
    void aDeviceWithANewerFormatVersionRefusesToOpenNamingTheVersion() throws IOException {
        StoreConfig config = config(tmp.resolve("store"));
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", DISK, BLOCK);
        writeRecords(config, disk, 0);
        ByteBuffer header = ByteBuffer.wrap(disk.copy(0, 44));
        assertEquals(DeviceHeader.MAGIC, header.getLong(0));
        header.putInt(8, DeviceHeader.FORMAT_VERSION + 1);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 40);
        header.putInt(40, (int) crc.getValue());
        disk.overwrite(0, header.array());
        byte[] devicesBefore = disk.copy(0, DISK);

        IOException e = assertThrows(IOException.class, () -> DeviceStore.open(config, disk::open));
        assertTrue(e.getMessage().contains("format version " + (DeviceHeader.FORMAT_VERSION + 1)), e.getMessage());
        assertTrue(java.util.Arrays.equals(devicesBefore, disk.copy(0, DISK)), "a refused device is not written");
    }

    @Test
    void aDeviceHeaderWithABadChecksumRefusesToOpen() throws IOException {
        StoreConfig config = config(tmp.resolve("store"));
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", DISK, BLOCK);
        writeRecords(config, disk, 0);
        disk.flipByte(20);

        IOException e = assertThrows(IOException.class, () -> DeviceStore.open(config, disk::open));
        assertTrue(e.getMessage().contains("corrupt header"), e.getMessage());
    }

    @Test
    void theDevicesOfAnotherStoreRefuseToOpenWithThisMetadata() throws IOException {
        StoreConfig mine = config(tmp.resolve("mine"));
        StoreConfig theirs = config(tmp.resolve("theirs"));
        FaultyBlockDevice myDisk = new FaultyBlockDevice("mine", DISK, BLOCK);
        FaultyBlockDevice theirDisk = new FaultyBlockDevice("theirs", DISK, BLOCK);
        writeRecords(mine, myDisk, 0);
        writeRecords(theirs, theirDisk, 0);
        String myId = StoreMetadata.load(mine.dataDir()).storeId.toString();
        String theirId = StoreMetadata.load(theirs.dataDir()).storeId.toString();
        Files.copy(theirs.dataDir().resolve(StoreMetadata.FILE_NAME), mine.dataDir().resolve(StoreMetadata.FILE_NAME),
                StandardCopyOption.REPLACE_EXISTING);

        IOException e = assertThrows(IOException.class, () -> DeviceStore.open(mine, myDisk::open));
        assertTrue(e.getMessage().contains("the devices belong to store " + myId) && e.getMessage().contains(theirId),
                e.getMessage());
    }

    @Test
    void blankDevicesRefuseToStartEmptyOverExistingMetadata() throws IOException {
        StoreConfig config = config(tmp.resolve("store"));
        writeRecords(config, new FaultyBlockDevice("disk0", DISK, BLOCK), 0);
        FaultyBlockDevice blank = new FaultyBlockDevice("blank", DISK, BLOCK);

        IOException e = assertThrows(IOException.class, () -> DeviceStore.open(config, blank::open));
        assertTrue(e.getMessage().contains("blank") && e.getMessage().contains("refusing"), e.getMessage());
        assertEquals(0, blank.writes(), "nothing was formatted");
    }

    @Test
    void usedDevicesWithoutMetadataRefuseToOpen() throws IOException {
        StoreConfig config = config(tmp.resolve("store"));
        FaultyBlockDevice disk = new FaultyBlockDevice("disk0", DISK, BLOCK);
        writeRecords(config, disk, 0);
        Files.delete(config.dataDir().resolve(StoreMetadata.FILE_NAME));

        IOException e = assertThrows(IOException.class, () -> DeviceStore.open(config, disk::open));
        assertTrue(e.getMessage().contains("has no " + StoreMetadata.FILE_NAME), e.getMessage());
    }
}
