package io.flashraft.device.block;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A device the record store writes its blocks to: a file or a raw block device, or, in tests, a
 * device that tears writes and drops what was not synced.
 *
 * <p>Offsets and lengths are in bytes. Writes of whole write blocks are the only writes the
 * store makes; reads may be of any range (the implementation aligns them when it must).
 */
public interface BlockDevice extends AutoCloseable {
    /** The device's usable size in bytes. */
    long sizeBytes();

    /** Reads exactly {@code dst.remaining()} bytes at {@code offset} into {@code dst}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * Reads a whole write block for a scan (cold start, defrag, tomb raid): like {@link #read},
     * but bypassing the page cache where the device allows, so that a scan neither pays for
     * filling the cache nor evicts what reads need. Offset and length are block-aligned.
     */
    default void readBlock(long offset, ByteBuffer dst) throws IOException {
        read(offset, dst);
    }

    /** Writes all of {@code src} at {@code offset}. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes every write so far durable. */
    void sync() throws IOException;

    /** A name for reports: the path. */
    String name();

    @Override
    void close() throws IOException;
}
