package io.flashraft.device.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * An in-memory disk for recovery tests, after TigerBeetle's {@code testing/storage.zig}: it
 * outlives the stores opened on it, forgets what was not synced when it crashes, may tear the last
 * unsynced write, and can be corrupted on purpose.
 *
 * <p>A store reaches it through {@link #open}, which matches {@code DeviceStore.DeviceOpener}
 * ({@code DeviceStore.open(config, disk::open)}) and returns a fresh view each time; a view stops
 * working when it is closed or when the disk crashes, so a stale store cannot write behind the
 * test's back. The disk is a {@link BlockDevice} itself too, for tests that read or write it
 * directly.
 *
 * <p>It also checks the shape of every write against the {@link BlockDevice} contract: a write is
 * a whole number of 512-byte sectors, starts on a sector and stays inside one write block. A write
 * that breaks it fails with an {@link IOException} (so the store sees an I/O failure rather than a
 * silently damaged neighbour) and is kept in {@link #violations()}.
 */
public final class FaultyBlockDevice implements BlockDevice {
    /** The unit a torn write is cut at, and the unit every write must be made of. */
    public static final int SECTOR_BYTES = 512;

    private record PendingWrite(long offset, byte[] bytes) {
    }

    private final String name;
    private final int writeBlockSizeBytes;
    private final byte[] durable;
    private final byte[] current;
    private final List<PendingWrite> unsynced = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private long epoch;
    private long writes;
    private long syncs;
    private long crashes;

    /**
     * A zeroed disk.
     *
     * @param name                what reports call it
     * @param sizeBytes           its size
     * @param writeBlockSizeBytes the write block size of the store that will use it: no write may
     *                            cross a multiple of it
     */
    public FaultyBlockDevice(String name, int sizeBytes, int writeBlockSizeBytes) {
        if (sizeBytes % SECTOR_BYTES != 0 || writeBlockSizeBytes % SECTOR_BYTES != 0) {
            throw new IllegalArgumentException("sizes must be whole sectors");
        }
        this.name = name;
        this.writeBlockSizeBytes = writeBlockSizeBytes;
        this.durable = new byte[sizeBytes];
        this.current = new byte[sizeBytes];
    }

    /**
     * A view of this disk for a store: the signature of {@code DeviceStore.DeviceOpener}. The path
     * only names the view; the size asked for must not exceed the disk's.
     */
    public synchronized BlockDevice open(Path path, long sizeBytes, boolean directIo) throws IOException {
        if (sizeBytes > current.length) {
            throw new IOException(path + ": asked for " + sizeBytes + " bytes of a " + current.length + "-byte disk");
        }
        return new View(path.toString(), sizeBytes > 0 ? sizeBytes : current.length, epoch);
    }

    // ---- BlockDevice ----------------------------------------------------------------------------

    @Override
    public long sizeBytes() {
        return current.length;
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining());
        dst.put(current, (int) offset, dst.remaining());
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        checkRange(offset, length);
        long lastBlock = (offset + length - 1) / writeBlockSizeBytes;
        if (offset % SECTOR_BYTES != 0 || length % SECTOR_BYTES != 0 || length == 0
                || offset / writeBlockSizeBytes != lastBlock) {
            String violation = "write of " + length + " bytes at " + offset + " is not whole sectors inside one "
                    + writeBlockSizeBytes + "-byte write block";
            violations.add(violation);
            throw new IOException(name + ": " + violation);
        }
        byte[] bytes = new byte[length];
        src.get(bytes);
        System.arraycopy(bytes, 0, current, (int) offset, length);
        unsynced.add(new PendingWrite(offset, bytes));
        writes++;
    }

    @Override
    public synchronized void sync() {
        for (PendingWrite w : unsynced) {
            System.arraycopy(w.bytes(), 0, durable, (int) w.offset(), w.bytes().length);
        }
        unsynced.clear();
        syncs++;
    }

    @Override
    public String name() {
        return name;
    }

    /** Closing the disk itself does nothing: it outlives its stores. */
    @Override
    public void close() {
    }

    // ---- faults ---------------------------------------------------------------------------------

    /**
     * Power loss: the disk keeps what was synced and loses every unsynced write, except that a
     * random prefix (whole sectors, possibly none or all) of the last unsynced write may land.
     * Every open view stops working.
     *
     * @return what happened, for failure messages
     */
    public synchronized String crash(Random random) {
        epoch++;
        crashes++;
        int dropped = unsynced.size();
        String torn = "";
        if (!unsynced.isEmpty()) {
            PendingWrite last = unsynced.get(unsynced.size() - 1);
            int sectors = last.bytes().length / SECTOR_BYTES;
            int landed = random.nextInt(sectors + 1) * SECTOR_BYTES;
            if (landed > 0) {
                System.arraycopy(last.bytes(), 0, durable, (int) last.offset(), landed);
                torn = ", the last one (" + last.bytes().length + " bytes at " + last.offset() + ") landed "
                        + landed + " bytes";
            }
        }
        unsynced.clear();
        System.arraycopy(durable, 0, current, 0, current.length);
        return "crash: " + dropped + " unsynced writes lost" + torn;
    }

    /** Flips every bit of the byte at {@code offset}, durably (the medium itself is damaged). */
    public synchronized void flipByte(long offset) {
        current[(int) offset] ^= (byte) 0xFF;
        durable[(int) offset] ^= (byte) 0xFF;
    }

    /** Zeroes a range durably: what a block truncated by a lost or partial write looks like. */
    public synchronized void zero(long offset, int length) {
        Arrays.fill(current, (int) offset, (int) offset + length, (byte) 0);
        Arrays.fill(durable, (int) offset, (int) offset + length, (byte) 0);
    }

    /** Overwrites bytes durably, for tests that forge on-device structures. */
    public synchronized void overwrite(long offset, byte[] bytes) {
        System.arraycopy(bytes, 0, current, (int) offset, bytes.length);
        System.arraycopy(bytes, 0, durable, (int) offset, bytes.length);
    }

    /** A copy of {@code length} bytes at {@code offset} as a read would return them now. */
    public synchronized byte[] copy(long offset, int length) {
        return Arrays.copyOfRange(current, (int) offset, (int) offset + length);
    }

    /** Writes that broke the contract (empty when the store behaved). */
    public synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    /** Writes not yet made durable by a sync. */
    public synchronized int unsyncedWrites() {
        return unsynced.size();
    }

    public synchronized long writes() {
        return writes;
    }

    public synchronized long syncs() {
        return syncs;
    }

    public synchronized long crashes() {
        return crashes;
    }

    private void checkRange(long offset, int length) throws IOException {
        if (offset < 0 || offset + length > current.length) {
            throw new IOException("I/O at [" + offset + ", +" + length + ") outside " + name + " of " + current.length
                    + " bytes");
        }
    }

    /** What one store sees: the disk, until it is closed or the disk crashes. */
    private final class View implements BlockDevice {
        private final String viewName;
        private final long size;
        private final long openedAtEpoch;
        private boolean closed;

        View(String viewName, long size, long openedAtEpoch) {
            this.viewName = viewName;
            this.size = size;
            this.openedAtEpoch = openedAtEpoch;
        }

        @Override
        public long sizeBytes() {
            return size;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            synchronized (FaultyBlockDevice.this) {
                checkUsable(offset, dst.remaining());
                FaultyBlockDevice.this.read(offset, dst);
            }
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            synchronized (FaultyBlockDevice.this) {
                checkUsable(offset, src.remaining());
                FaultyBlockDevice.this.write(offset, src);
            }
        }

        @Override
        public void sync() throws IOException {
            synchronized (FaultyBlockDevice.this) {
                checkUsable(0, 0);
                FaultyBlockDevice.this.sync();
            }
        }

        @Override
        public String name() {
            return viewName;
        }

        @Override
        public void close() {
            synchronized (FaultyBlockDevice.this) {
                closed = true;
            }
        }

        private void checkUsable(long offset, int length) throws IOException {
            if (offset < 0 || offset + length > size) {
                throw new IOException("I/O at [" + offset + ", +" + length + ") outside " + viewName + " of " + size
                        + " bytes");
            }
            if (closed) {
                throw new IOException(viewName + " is closed");
            }
            if (openedAtEpoch != epoch) {
                throw new IOException(viewName + " was opened before the disk crashed");
            }
        }
    }
}
