package io.flashraft.device;

import java.util.Iterator;

/**
 * The versions of some partitions as of the moment {@link RecordStore#snapshot} was taken, read
 * lazily. While it is open the store keeps every block it refers to. Close it.
 */
public interface StoreSnapshot extends Iterator<RecordVersion>, AutoCloseable {
    @Override
    void close();
}
