package io.flashraft.device;

import io.flashraft.protocol.StoredRecord;

/**
 * The body of an atomic read-modify-write ({@link RecordStore#operate}): a pure function from the
 * current record to what to do with it. It runs under the record's partition lock, so it must
 * not block, and, since every replica runs it, it must be deterministic.
 */
@FunctionalInterface
public interface RecordUpdate {
    /**
     * Decides the update.
     *
     * @param current the live record, or null if it is missing, deleted or expired
     * @return a rejection, a read-only answer, or the new bins to write
     */
    Update apply(StoredRecord current);
}
