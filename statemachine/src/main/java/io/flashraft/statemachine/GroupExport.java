package io.flashraft.statemachine;

import io.flashraft.device.StoreSnapshot;
import java.util.Map;

/**
 * A group's whole replicated state at one applied index, as the leader streams it to rebuild a
 * replica: the versions of its partitions in every namespace's store (tombstones included),
 * and the group clock and session table. Captured between two applies, so all parts agree.
 * Close it: the stores keep the blocks it refers to until then.
 *
 * @param term   the term of the entry at {@code index}
 * @param index  the applied index it stands for
 * @param state  the group clock and session table ({@link GroupApplier#writeState})
 * @param stores the versions of each namespace, read lazily
 */
public record GroupExport(long term, long index, byte[] state, Map<String, StoreSnapshot> stores)
        implements AutoCloseable {
    @Override
    public void close() {
        stores.values().forEach(StoreSnapshot::close);
    }
}
