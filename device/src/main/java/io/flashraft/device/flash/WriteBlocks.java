package io.flashraft.device.flash;

import io.flashraft.device.RecordVersion;
import io.flashraft.device.StoreFullException;
import io.flashraft.device.block.BlockDevice;
import io.flashraft.device.block.FileBlockDevice;
import io.flashraft.device.format.RecordFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The write blocks of a store's devices and the write buffers in front of them.
 *
 * <p>Lifecycle of a block: FREE, then OPEN (a write stream appends records to its write buffer,
 * under a new block sequence), then SEALED (full; queued for the write flusher, then kept a while
 * in the post-write queue to serve reads), then, when its live bytes reach zero, PENDING_FREE;
 * it becomes FREE again only after a checkpoint has made everything moved out of it durable and
 * recorded its freed sequence, so that a cold start ignores what is left in it.
 *
 * <p>Two write streams: the main one for writes, and the defragmenter's, which may use the last
 * {@value #DEFRAG_RESERVE_BLOCKS} free blocks so that defragmentation can always make room.
 *
 * <p>The write flusher (thread {@code flashraft-write-flusher}) writes sealed buffers to their
 * devices as one positional write each, and every flush interval writes the filled part of open
 * buffers; after every {@value #SYNC_BEHIND_BYTES} bytes of sealed blocks it syncs the devices. Reads are served from a buffer while the block has one, else from the device.
 */
final class WriteBlocks implements AutoCloseable {
    static final int DEFRAG_RESERVE_BLOCKS = 2;
    private static final int MAX_QUEUED_BLOCKS = 8;
    /**
     * Sealed blocks' bytes the flusher writes before it syncs the devices itself, so that dirty
     * pages never pile up for a checkpoint's sync to write all at once (that sync runs on a
     * group's apply thread, which stalls meanwhile).
     */
    private static final long SYNC_BEHIND_BYTES = 16L << 20;

    enum State { FREE, OPEN, SEALED, PENDING_FREE }

    /** One sequence of appends into one open block at a time. */
    static final class Stream {
        private final String name;
        private int block = -1;
        private ByteBuffer buffer;
        private int position;

        Stream(String name) {
            this.name = name;
        }
    }

    final Stream main = new Stream("main");
    final Stream defrag = new Stream("defrag");

    private final BlockDevice[] devices;
    private final int blockSize;
    private final int blockCount;
    private final int[] deviceOf;
    private final long[] offsetOf;
    private final State[] state;
    private final long[] sequence;
    private final long[] freedSequence;
    /** How much of each block's current use is on the device (or asked to be): a guard against stale copies. */
    private final int[] writtenPosition;
    private final AtomicIntegerArray liveBytes;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final List<Integer> pendingFree = new ArrayList<>();
    private final Map<Integer, ByteBuffer> inMemory = new HashMap<>();
    private final ArrayDeque<Integer> flushQueue = new ArrayDeque<>();
    private final ArrayDeque<Integer> postWrite = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> spareBuffers = new ArrayDeque<>();
    private final ByteBuffer zeros;
    private final int postWriteLimit;
    private final long flushIntervalMs;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ReentrantLock ioLock = new ReentrantLock();
    private final Thread flusher;
    private long nextSequence = 1;
    private int pins;
    private int allocatedBuffers;
    private volatile boolean running = true;
    private volatile IOException ioFailure;
    private long blocksFlushed;

    WriteBlocks(BlockDevice[] devices, int blockSize, int postWriteLimit, long flushIntervalMs) {
        this.devices = devices;
        this.blockSize = blockSize;
        this.postWriteLimit = postWriteLimit;
        this.flushIntervalMs = flushIntervalMs;
        int count = 0;
        for (BlockDevice device : devices) {
            count += (int) Math.min(Location.MAX_BLOCKS, device.sizeBytes() / blockSize - 1);
        }
        if (count <= DEFRAG_RESERVE_BLOCKS + 1 || count >= Location.MAX_BLOCKS) {
            throw new IllegalArgumentException("devices hold " + count + " write blocks of " + blockSize
                    + " bytes; a store needs from " + (DEFRAG_RESERVE_BLOCKS + 2) + " to " + (Location.MAX_BLOCKS - 1));
        }
        blockCount = count;
        deviceOf = new int[count];
        offsetOf = new long[count];
        int block = 0;
        for (int d = 0; d < devices.length; d++) {
            long blocks = devices[d].sizeBytes() / blockSize - 1;
            for (long i = 0; i < blocks && block < count; i++, block++) {
                deviceOf[block] = d;
                offsetOf[block] = (i + 1) * blockSize;
            }
        }
        state = new State[count];
        java.util.Arrays.fill(state, State.FREE);
        sequence = new long[count];
        freedSequence = new long[count];
        writtenPosition = new int[count];
        liveBytes = new AtomicIntegerArray(count);
        zeros = FileBlockDevice.alignedBuffer(blockSize);
        flusher = new Thread(this::runFlusher, "flashraft-write-flusher");
        flusher.setDaemon(true);
    }

    int blockSize() {
        return blockSize;
    }

    int blockCount() {
        return blockCount;
    }

    // ---- recovery (single-threaded, before start) ------------------------------------------------

    long deviceOffset(int block) {
        return offsetOf[block];
    }

    BlockDevice deviceOf(int block) {
        return devices[deviceOf[block]];
    }

    long freedSequence(int block) {
        return freedSequence[block];
    }

    /** Cold start: what the metadata says was freed, and the sequence to continue from. */
    void restore(Map<Integer, Long> freed, long next) {
        freed.forEach((block, seq) -> {
            if (block >= 0 && block < blockCount) {
                freedSequence[block] = seq;
            }
        });
        nextSequence = Math.max(nextSequence, next);
    }

    /**
     * Cold start: block {@code block} holds records of its use {@code seq}. Cold start workers
     * call it for distinct blocks; {@link #finishRecovery} runs after they are joined.
     */
    void recovered(int block, long seq) {
        state[block] = State.SEALED;
        sequence[block] = seq;
    }

    /**
     * Ends cold start: blocks with no valid records are free; blocks with records but no live
     * bytes wait for the next checkpoint; the flusher starts.
     */
    void finishRecovery() {
        for (int b = 0; b < blockCount; b++) {
            nextSequence = Math.max(nextSequence, Math.max(freedSequence[b], sequence[b]) + 1);
        }
        for (int b = 0; b < blockCount; b++) {
            if (state[b] == State.FREE) {
                free.add(b);
            } else if (liveBytes.get(b) == 0) {
                state[b] = State.PENDING_FREE;
                pendingFree.add(b);
            }
        }
        flusher.start();
    }

    long sequence(int block) {
        return sequence[block];
    }

    // ---- appends and reads ------------------------------------------------------------------------

    /**
     * Appends a version to a stream's open block.
     *
     * @return where it was written
     * @throws StoreFullException if a new block is needed and none is free
     */
    long append(Stream stream, RecordVersion version) {
        int padded = RecordFormat.paddedLength(RecordFormat.encodedLength(version));
        if (padded > blockSize) {
            throw new IllegalArgumentException("record of " + padded + " bytes exceeds the write block size " + blockSize);
        }
        lock.lock();
        try {
            checkHealthy();
            if (stream.block < 0 || stream.position + padded > blockSize) {
                rotate(stream);
            }
            stream.buffer.position(stream.position);
            RecordFormat.encode(version, sequence[stream.block], stream.buffer);
            long location = Location.pack(stream.block, stream.position, padded);
            stream.position += padded;
            liveBytes.addAndGet(stream.block, padded);
            return location;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Seals both streams' open blocks and returns the sequence the next opened block will get,
     * in one hold of the lock, so that no block opened in between can carry a lower sequence
     * than the one returned: what a partition drop marker needs.
     */
    long sealOpenBlocks() {
        lock.lock();
        try {
            for (Stream stream : new Stream[] {main, defrag}) {
                if (stream.block >= 0) {
                    seal(stream);
                }
            }
            return nextSequence;
        } finally {
            lock.unlock();
        }
    }

    /** The sequence the next opened block will get. */
    long nextSequence() {
        lock.lock();
        try {
            return nextSequence;
        } finally {
            lock.unlock();
        }
    }

    /** Reads the padded bytes of a record version. */
    ByteBuffer read(long location) {
        int block = Location.block(location);
        int offset = Location.offset(location);
        int size = Location.paddedSize(location);
        ByteBuffer out = ByteBuffer.allocate(size);
        lock.lock();
        try {
            ByteBuffer buffer = inMemory.get(block);
            if (buffer != null) {
                out.put(buffer.duplicate().limit(offset + size).position(offset)).flip();
                return out;
            }
        } finally {
            lock.unlock();
        }
        try {
            deviceOf(block).read(offsetOf[block] + offset, out);
        } catch (IOException e) {
            throw new UncheckedIOException("read of block " + block + " at " + offset + " on "
                    + deviceOf(block).name() + " failed", e);
        }
        return out.flip();
    }

    /** A copy of a whole block's bytes (from its buffer or the device), for defrag and tomb raids. */
    ByteBuffer readBlock(int block) throws IOException {
        ByteBuffer out = FileBlockDevice.alignedBuffer(blockSize);
        lock.lock();
        try {
            ByteBuffer buffer = inMemory.get(block);
            if (buffer != null) {
                out.put(buffer.duplicate().clear()).flip();
                return out;
            }
        } finally {
            lock.unlock();
        }
        deviceOf(block).readBlock(offsetOf[block], out);
        return out.flip();
    }

    // ---- live bytes and freeing -------------------------------------------------------------------

    void addLive(int block, int bytes) {
        liveBytes.addAndGet(block, bytes);
    }

    void removeLive(int block, int bytes) {
        if (liveBytes.addAndGet(block, -bytes) == 0) {
            lock.lock();
            try {
                if (state[block] == State.SEALED && liveBytes.get(block) == 0) {
                    state[block] = State.PENDING_FREE;
                    pendingFree.add(block);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    int liveBytes(int block) {
        return liveBytes.get(block);
    }

    /** Sealed blocks whose live bytes are under the mark, emptiest first, at most {@code max}. */
    List<Integer> defragCandidates(int lowWaterPercent, int max) {
        List<Integer> candidates = new ArrayList<>();
        lock.lock();
        try {
            for (int b = 0; b < blockCount; b++) {
                if (state[b] == State.SEALED && liveBytes.get(b) * 100L < (long) lowWaterPercent * blockSize) {
                    candidates.add(b);
                }
            }
        } finally {
            lock.unlock();
        }
        candidates.sort(java.util.Comparator.comparingInt(liveBytes::get));
        return candidates.subList(0, Math.min(max, candidates.size()));
    }

    /** Blocks whose contents a cold start would read: every block neither free nor open-and-empty. */
    List<Integer> blocksInUse() {
        List<Integer> blocks = new ArrayList<>();
        lock.lock();
        try {
            for (int b = 0; b < blockCount; b++) {
                if (state[b] != State.FREE) {
                    blocks.add(b);
                }
            }
        } finally {
            lock.unlock();
        }
        return blocks;
    }

    /** Pending-free blocks now, with the sequence of their last use. */
    Map<Integer, Long> pendingFreeSnapshot() {
        lock.lock();
        try {
            Map<Integer, Long> pending = new HashMap<>();
            for (int b : pendingFree) {
                pending.put(b, sequence[b]);
            }
            return pending;
        } finally {
            lock.unlock();
        }
    }

    /** Freed sequences to persist: every block's, with {@code pending} counted as freed. */
    Map<Integer, Long> freedSequences(Map<Integer, Long> pending) {
        Map<Integer, Long> freed = new HashMap<>();
        lock.lock();
        try {
            for (int b = 0; b < blockCount; b++) {
                if (freedSequence[b] != 0) {
                    freed.put(b, freedSequence[b]);
                }
            }
        } finally {
            lock.unlock();
        }
        freed.putAll(pending);
        return freed;
    }

    /**
     * After a checkpoint recorded their freed sequences: the given pending blocks become free,
     * unless a snapshot is open (it may still read them).
     */
    void release(Map<Integer, Long> pending) {
        lock.lock();
        try {
            if (pins > 0) {
                return;
            }
            for (Map.Entry<Integer, Long> e : pending.entrySet()) {
                int b = e.getKey();
                if (state[b] == State.PENDING_FREE && sequence[b] == e.getValue()) {
                    freedSequence[b] = e.getValue();
                    pendingFree.remove(Integer.valueOf(b));
                    state[b] = State.FREE;
                    ByteBuffer buffer = inMemory.remove(b);
                    if (buffer != null) {
                        postWrite.remove(b);
                        spareBuffers.add(buffer);
                    }
                    free.add(b);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    void pin() {
        lock.lock();
        try {
            pins++;
        } finally {
            lock.unlock();
        }
    }

    void unpin() {
        lock.lock();
        try {
            pins--;
        } finally {
            lock.unlock();
        }
    }

    int freeBlocks() {
        lock.lock();
        try {
            return free.size();
        } finally {
            lock.unlock();
        }
    }

    long blocksFlushed() {
        lock.lock();
        try {
            return blocksFlushed;
        } finally {
            lock.unlock();
        }
    }

    // ---- durability -------------------------------------------------------------------------------

    /**
     * Writes every sealed and open buffer to its device and syncs every device: afterwards every
     * append made before the call is durable.
     */
    void flushAndSync() throws IOException {
        List<PendingWrite> openParts = new ArrayList<>();
        lock.lock();
        try {
            while (!flushQueue.isEmpty()) {
                checkHealthy();
                changed.signalAll();
                awaitChange();
            }
            for (Stream stream : new Stream[] {main, defrag}) {
                if (stream.block >= 0 && stream.position > 0) {
                    openParts.add(copyPrefix(stream));
                }
            }
        } finally {
            lock.unlock();
        }
        ioLock.lock();
        try {
            for (PendingWrite part : openParts) {
                writeIfNewer(part);
            }
            for (BlockDevice device : devices) {
                device.sync();
            }
        } finally {
            ioLock.unlock();
        }
    }

    /** Stops the flusher without writing anything more: what a crash leaves behind. */
    void halt() {
        running = false;
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        joinFlusher();
    }

    @Override
    public void close() throws IOException {
        try {
            flushAndSync();
        } finally {
            halt();
        }
    }

    private void joinFlusher() {
        try {
            flusher.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- internals --------------------------------------------------------------------------------

    private void rotate(Stream stream) {
        int reserve = stream == main ? DEFRAG_RESERVE_BLOCKS : 0;
        while (flushQueue.size() >= MAX_QUEUED_BLOCKS) {
            checkHealthy();
            awaitChange();
        }
        if (free.size() <= reserve) {
            throw new StoreFullException("no free write block for the " + stream.name + " stream: " + free.size()
                    + " free of " + blockCount + ", " + pendingFree.size() + " waiting for a checkpoint");
        }
        if (stream.block >= 0) {
            seal(stream);
        }
        int block = free.poll();
        state[block] = State.OPEN;
        sequence[block] = nextSequence++;
        writtenPosition[block] = 0;
        ByteBuffer buffer = takeBuffer();
        stream.block = block;
        stream.buffer = buffer;
        stream.position = 0;
        inMemory.put(block, buffer);
    }

    private void seal(Stream stream) {
        int block = stream.block;
        state[block] = State.SEALED;
        flushQueue.add(block);
        stream.block = -1;
        stream.buffer = null;
        stream.position = 0;
        if (liveBytes.get(block) == 0) {
            state[block] = State.PENDING_FREE;
            pendingFree.add(block);
        }
        changed.signalAll();
    }

    private ByteBuffer takeBuffer() {
        ByteBuffer buffer = spareBuffers.poll();
        if (buffer == null && !postWrite.isEmpty() && allocatedBuffers >= 2 + MAX_QUEUED_BLOCKS + postWriteLimit) {
            int oldest = postWrite.poll();
            buffer = inMemory.remove(oldest);
        }
        if (buffer == null) {
            buffer = FileBlockDevice.alignedBuffer(blockSize);
            allocatedBuffers++;
        }
        buffer.clear();
        buffer.put(zeros.duplicate().clear());
        buffer.clear();
        return buffer;
    }

    /** Bytes of one block's current use to write: the first {@code position} bytes are final. */
    private record PendingWrite(int block, long sequence, int position, ByteBuffer bytes) {
    }

    /** A copy of the filled part of a stream's open block, rounded up to whole pages. Lock held. */
    private PendingWrite copyPrefix(Stream stream) {
        int length = (int) Math.min(blockSize, ((long) stream.position + FileBlockDevice.DIRECT_ALIGNMENT - 1)
                & -FileBlockDevice.DIRECT_ALIGNMENT);
        ByteBuffer copy = FileBlockDevice.alignedBuffer(length);
        copy.put(stream.buffer.duplicate().clear().limit(length)).flip();
        return new PendingWrite(stream.block, sequence[stream.block], stream.position, copy);
    }

    /**
     * Writes a block's bytes unless the device already has at least as much of the same use:
     * copies taken at different times reach here in any order, and an older, shorter one must
     * never overwrite records a newer one wrote. ioLock held.
     */
    private void writeIfNewer(PendingWrite write) throws IOException {
        lock.lock();
        try {
            if (sequence[write.block()] != write.sequence() || writtenPosition[write.block()] >= write.position()) {
                return;
            }
        } finally {
            lock.unlock();
        }
        deviceOf(write.block()).write(offsetOf[write.block()], write.bytes());
        lock.lock();
        try {
            if (sequence[write.block()] == write.sequence()) {
                writtenPosition[write.block()] = Math.max(writtenPosition[write.block()], write.position());
            }
        } finally {
            lock.unlock();
        }
    }

    private void runFlusher() {
        long lastIntervalFlushNs = System.nanoTime();
        long unsyncedBytes = 0;
        while (running) {
            int sealedBlock = -1;
            List<PendingWrite> writes = new ArrayList<>();
            lock.lock();
            try {
                long waitNs = TimeUnit.MILLISECONDS.toNanos(flushIntervalMs) - (System.nanoTime() - lastIntervalFlushNs);
                if (flushQueue.isEmpty() && waitNs > 0 && running) {
                    changed.awaitNanos(waitNs);
                }
                if (!running) {
                    return;
                }
                if (!flushQueue.isEmpty()) {
                    sealedBlock = flushQueue.peek();
                    writes.add(new PendingWrite(sealedBlock, sequence[sealedBlock], blockSize,
                            inMemory.get(sealedBlock).duplicate().clear()));
                } else if (System.nanoTime() - lastIntervalFlushNs >= TimeUnit.MILLISECONDS.toNanos(flushIntervalMs)) {
                    lastIntervalFlushNs = System.nanoTime();
                    for (Stream stream : new Stream[] {main, defrag}) {
                        if (stream.block >= 0 && stream.position > 0) {
                            writes.add(copyPrefix(stream));
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            try {
                ioLock.lock();
                try {
                    for (PendingWrite write : writes) {
                        writeIfNewer(write);
                    }
                } finally {
                    ioLock.unlock();
                }
                if (sealedBlock >= 0) {
                    unsyncedBytes += blockSize;
                }
                if (unsyncedBytes >= SYNC_BEHIND_BYTES) {
                    for (BlockDevice device : devices) {
                        device.sync();
                    }
                    unsyncedBytes = 0;
                }
            } catch (IOException e) {
                ioFailure = e;
                lock.lock();
                try {
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                return;
            }
            if (sealedBlock >= 0) {
                flushed(sealedBlock);
            }
        }
    }

    private void flushed(int block) {
        lock.lock();
        try {
            flushQueue.remove(block);
            blocksFlushed++;
            if (postWriteLimit > 0) {
                postWrite.add(block);
                while (postWrite.size() > postWriteLimit) {
                    ByteBuffer evicted = inMemory.remove(postWrite.poll());
                    if (evicted != null) {
                        spareBuffers.add(evicted);
                    }
                }
            } else {
                spareBuffers.add(inMemory.remove(block));
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void awaitChange() {
        try {
            changed.await(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the write flusher", e);
        }
    }

    private void checkHealthy() {
        IOException failure = ioFailure;
        if (failure != null) {
            throw new UncheckedIOException("the write flusher failed; the store accepts no more writes", failure);
        }
        if (!running) {
            throw new IllegalStateException("the store is closed");
        }
    }
}
