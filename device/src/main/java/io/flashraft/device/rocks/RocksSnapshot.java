package io.flashraft.device.rocks;

import io.flashraft.device.RecordVersion;
import io.flashraft.device.StoreSnapshot;
import java.util.BitSet;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * The versions of some partitions as of a RocksDB snapshot, read lazily with one iterator that
 * seeks to each partition in turn. Single-threaded, like any iterator.
 */
final class RocksSnapshot implements StoreSnapshot {
    private final RocksDB db;
    private final Snapshot snapshot;
    private final ReadOptions readOptions;
    private final RocksIterator iterator;
    private final BitSet partitions;
    private final Consumer<RocksSnapshot> onClose;
    private int partition;
    private RecordVersion next;
    private boolean closed;

    RocksSnapshot(RocksDB db, BitSet partitions, Consumer<RocksSnapshot> onClose) {
        this.db = db;
        this.partitions = (BitSet) partitions.clone();
        this.onClose = onClose;
        snapshot = db.getSnapshot();
        // A bulk export should not push the working set out of the block cache.
        readOptions = new ReadOptions().setSnapshot(snapshot).setFillCache(false);
        iterator = db.newIterator(readOptions);
        partition = this.partitions.nextSetBit(0);
        if (partition >= 0) {
            iterator.seek(RocksCodec.partitionStart(partition));
        }
    }

    @Override
    public synchronized boolean hasNext() {
        if (closed) {
            throw new IllegalStateException("snapshot is closed");
        }
        while (next == null && partition >= 0) {
            if (iterator.isValid() && RocksCodec.inPartition(iterator.key(), partition)) {
                next = RocksCodec.version(iterator.value());
                iterator.next();
            } else {
                checkStatus();
                partition = partitions.nextSetBit(partition + 1);
                if (partition >= 0) {
                    iterator.seek(RocksCodec.partitionStart(partition));
                }
            }
        }
        return next != null;
    }

    @Override
    public synchronized RecordVersion next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        RecordVersion version = next;
        next = null;
        return version;
    }

    /** Releases the iterator and the RocksDB snapshot. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        iterator.close();
        readOptions.close();
        db.releaseSnapshot(snapshot);
        onClose.accept(this);
    }

    private void checkStatus() {
        try {
            iterator.status();
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB snapshot iteration failed", e);
        }
    }
}
