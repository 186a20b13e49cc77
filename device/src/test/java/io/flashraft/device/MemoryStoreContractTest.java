package io.flashraft.device;

import io.flashraft.protocol.WritePolicy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.device.memory.CorruptImageException;
import io.flashraft.device.memory.MemoryStore;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The contract for {@link MemoryStore}, and what only the memory engine does. */
class MemoryStoreContractTest extends CheckpointingStoreContractTest {
    private static final String IMAGE_FILE_NAME = "memory-store.image";

    @Override
    protected StoreConfig.Builder configure(StoreConfig.Builder b, Path dataDir) {
        return b.engine(StoreConfig.Engine.MEMORY).dataDir(dataDir);
    }

    @Override
    protected RecordStore open(StoreConfig config) {
        return MemoryStore.open(config);
    }

    @Test
    void writePastMemoryLimitIsDeviceFullAndChangesNothing() {
        long limitBytes = 16 * 1024;
        RecordStore store = openStore(b -> b.memoryLimitBytes(limitBytes));
        Bins kilobyte = Bins.of("blob", Value.of(new byte[1000]));
        int n = 0;
        WriteResult result;
        do {
            n++;
            result = store.put(log.next(), digest(1, n), SET, kilobyte, WritePolicy.DEFAULT);
        } while (result.ok() && n < 100);
        assertEquals(ResultCode.DEVICE_FULL, result.code());
        assertNotFound(store, digest(1, n));
        long usedBytes = store.stats().memoryUsedBytes();
        assertTrue(usedBytes <= limitBytes, () -> usedBytes + " bytes used past the limit");
        assertThrows(StoreFullException.class,
                () -> store.ingest(version(digest(2, 1), log.lastIndex() + 1, Bins.of("blob", Value.of(new byte[1000])))));

        // A delete frees memory, so it is never refused for want of it.
        assertOk(store.delete(log.next(), digest(1, 1), WritePolicy.DEFAULT));
        assertTrue(store.stats().memoryUsedBytes() < usedBytes);
    }

    @Test
    void stopWritesOnceUsePassesItsShareOfTheLimit() {
        RecordStore store = openStore(b -> b.memoryLimitBytes(100_000).stopWritesMemoryPercent(50));
        Bins kilobyte = Bins.of("blob", Value.of(new byte[1000]));
        for (int n = 1; store.stats().memoryUsedBytes() <= 50_000; n++) {
            assertFalse(store.stopWrites());
            assertOk(store.put(log.next(), digest(1, n), SET, kilobyte, WritePolicy.DEFAULT));
        }
        assertTrue(store.stopWrites());
        assertEquals(100_000, store.stats().memoryLimitBytes());
    }

    @Test
    void restartShowsTheLastCheckpointAndNothingAfterIt() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        Digest checkpointed = digest(1, 1);
        Digest later = digest(1, 2);
        store.put(log.next(), checkpointed, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.checkpoint(0, log.lastIndex());
        store.put(log.next(), later, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.put(log.next(), checkpointed, SET, bins("a", 2), WritePolicy.DEFAULT);

        store = reopen(store, config);
        assertEquals(bins("a", 1), get(store, checkpointed).bins());
        assertNotFound(store, later);
    }

    @Test
    void corruptImageIsRefusedNamingTheFile() throws IOException {
        StoreConfig config = config(UnaryOperator.identity());
        Path image = writeImage(config);
        byte[] bytes = Files.readAllBytes(image);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(image, bytes);
        CorruptImageException refused = assertThrows(CorruptImageException.class, () -> open(config));
        assertTrue(refused.getMessage().contains(image.toString()), refused::getMessage);
    }

    @Test
    void tornImageIsRefusedNamingTheFile() throws IOException {
        StoreConfig config = config(UnaryOperator.identity());
        Path image = writeImage(config);
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 3);
        }
        CorruptImageException refused = assertThrows(CorruptImageException.class, () -> open(config));
        assertTrue(refused.getMessage().contains(image.toString()), refused::getMessage);
    }

    @Test
    void leftoverTemporaryImageIsIgnored() throws IOException {
        StoreConfig config = config(UnaryOperator.identity());
        Path image = writeImage(config);
        Path temporary = image.resolveSibling(IMAGE_FILE_NAME + ".tmp");
        Files.write(temporary, new byte[] {1, 2, 3});
        RecordStore store = track(open(config));
        assertTrue(get(store, digest(1, 1)).found());
        assertFalse(Files.exists(temporary));
    }

    @Test
    void secondStoreOnTheSameDirectoryIsRefused() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore first = track(open(config));
        assertThrows(IllegalStateException.class, () -> open(config));
        first.close();
        track(open(config));
    }

    @Test
    void backgroundMaintenanceAgentStopsWithTheStore() {
        RecordStore store = openStore(b -> b.backgroundMaintenance(true).maintenanceIntervalMs(1));
        assertTrue(maintenanceThreadAlive());
        store.close();
        assertFalse(maintenanceThreadAlive());
    }

    private Path writeImage(StoreConfig config) {
        RecordStore store = open(config);
        store.put(log.next(), digest(1, 1), SET, bins("a", 1), WritePolicy.DEFAULT);
        store.checkpoint(0, log.lastIndex());
        store.close();
        return config.dataDir().resolve(IMAGE_FILE_NAME);
    }

    private static boolean maintenanceThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("flashraft-memory-maintenance") && t.isAlive());
    }
}
