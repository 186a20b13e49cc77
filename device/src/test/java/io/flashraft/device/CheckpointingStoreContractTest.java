package io.flashraft.device;

import io.flashraft.protocol.WritePolicy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract, and what the engines built on {@code CheckpointingStore} (memory, RocksDB) add to it. */
abstract class CheckpointingStoreContractTest extends RecordStoreContractTest {
    @Test
    void maintenanceCountsReclaimedRecordsAndDroppedTombstones() {
        RecordStore store = openStore(b -> b.tombstoneRetentionMs(0));
        store.put(log.next(), digest(1, 1), SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(1));
        store.put(log.next(), digest(1, 2), SET, bins("a", 1), WritePolicy.DEFAULT);
        store.delete(log.next(), digest(1, 2), WritePolicy.DEFAULT);
        store.checkpoint(0, log.lastIndex());
        advanceWithWrite(store, 1_000);
        store.runMaintenance();
        Map<String, Long> counters = store.stats().engine();
        assertEquals(1L, counters.get("expired-reclaimed"));
        assertEquals(1L, counters.get("tombstones-dropped"));
        assertEquals(1L, counters.get("checkpoints"));
    }
}
