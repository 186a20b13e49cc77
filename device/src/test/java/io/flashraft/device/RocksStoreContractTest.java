package io.flashraft.device;

import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.WritePolicy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.device.rocks.RocksStore;
import io.flashraft.protocol.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The contract for {@link RocksStore}, and what only the RocksDB engine does. */
class RocksStoreContractTest extends CheckpointingStoreContractTest {
    @Override
    protected StoreConfig.Builder configure(StoreConfig.Builder b, Path dataDir) {
        return b.engine(StoreConfig.Engine.ROCKSDB).dataDir(dataDir);
    }

    @Override
    protected RecordStore open(StoreConfig config) {
        return RocksStore.open(config);
    }

    @Test
    void cleanCloseKeepsWritesAfterTheLastCheckpoint() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        Digest later = digest(1, 2);
        store.put(log.next(), digest(1, 1), SET, bins("a", 1), WritePolicy.DEFAULT);
        store.checkpoint(0, log.lastIndex());
        store.put(log.next(), later, SET, bins("a", 2), WritePolicy.DEFAULT);

        store = reopen(store, config);
        assertEquals(bins("a", 2), get(store, later).bins());
        assertEquals(Map.of(0, 1L), store.checkpointedIndexes());
    }

    @Test
    void crashKeepsWhatTheCheckpointCoveredAndNothingUnflushed() throws IOException {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        Digest checkpointed = digest(1, 1);
        Digest unflushed = digest(1, 2);
        store.put(log.next(), checkpointed, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.truncate(log.next(), OTHER_SET, partitions(3));
        store.checkpoint(0, log.lastIndex());
        store.put(log.next(), unflushed, SET, bins("a", 1), WritePolicy.DEFAULT);

        // The files as a crash would leave them: the memtable is lost, and with it, since the
        // write-ahead log is off, the write after the checkpoint.
        Path crashed = dir.resolve("crashed");
        copyFiles(config.dataDir(), crashed);
        RecordStore recovered = track(open(config(crashed, UnaryOperator.identity())));
        assertEquals(bins("a", 1), get(recovered, checkpointed).bins());
        assertNotFound(recovered, unflushed);
        assertEquals(Map.of(0, 2L), recovered.checkpointedIndexes());
    }

    @Test
    void dropIsDurableWithoutCheckpointOrClose() throws IOException {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        Digest dropped = digest(1, 1);
        Digest kept = digest(2, 1);
        store.put(log.next(), dropped, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.put(log.next(), kept, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.checkpoint(0, log.lastIndex());
        store.dropPartitions(partitions(1));

        Path crashed = dir.resolve("crashed");
        copyFiles(config.dataDir(), crashed);
        RecordStore recovered = track(open(config(crashed, UnaryOperator.identity())));
        assertNotFound(recovered, dropped);
        assertTrue(get(recovered, kept).found());
        assertEquals(1, recovered.stats().records());
    }

    @Test
    void recordAndTombstoneCountsAreRebuiltAtOpen() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        for (int n = 1; n <= 5; n++) {
            store.put(log.next(), digest(n, n), SET, bins("a", n), WritePolicy.DEFAULT);
        }
        store.delete(log.next(), digest(2, 2), WritePolicy.DEFAULT);
        store.delete(log.next(), digest(4, 4), WritePolicy.DEFAULT);
        assertEquals(3, store.stats().records());
        assertEquals(2, store.stats().tombstones());

        store = reopen(store, config);
        assertEquals(3, store.stats().records());
        assertEquals(2, store.stats().tombstones());
        assertTrue(store.stats().diskUsedBytes() > 0);
    }

    @Test
    void snapshotLeftOpenIsClosedWithTheStoreAndUseAfterCloseFails() {
        RecordStore store = openStore();
        store.put(log.next(), digest(1, 1), SET, bins("a", 1), WritePolicy.DEFAULT);
        StoreSnapshot snapshot = store.snapshot(partitions(1));
        store.close();
        // Exceptions, not a crash in native code.
        assertThrows(IllegalStateException.class, snapshot::hasNext);
        assertThrows(IllegalStateException.class, () -> store.get(digest(1, 1), BinSelection.ALL, log.nowMs()));
    }

    private static void copyFiles(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }
}
