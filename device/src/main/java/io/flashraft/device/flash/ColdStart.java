package io.flashraft.device.flash;

import io.flashraft.device.block.FileBlockDevice;
import io.flashraft.device.format.RecordFormat;
import io.flashraft.device.index.PrimaryIndex;
import io.flashraft.protocol.Partitions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Cold start: rebuilds the primary index by reading every write block.
 *
 * <p>For each block, it walks the 16-byte-aligned positions; where a magic number starts a record
 * whose length, version and checksum hold, the record is taken, and the walk jumps past it;
 * where the magic starts a record that fails, the failure is reported (block, offset) and the
 * walk goes on 16 bytes later, so one corrupt record costs only itself. Of a block's valid
 * records, only those of its newest use (the highest block sequence, which must be above the
 * block's freed sequence) count: the others are leftovers of an earlier use. Versions hidden by a
 * partition drop or a truncate marker are skipped. Of the versions of one record, the one from
 * the highest log index wins, then the higher generation, then the later block.
 */
final class ColdStart {
    private static final System.Logger LOG = System.getLogger(ColdStart.class.getName());
    private static final int MAX_REPORTED_CORRUPTIONS = 100;
    private static final long PROGRESS_INTERVAL_NS = 5_000_000_000L;

    /** What a cold start found. */
    record Report(int blocksScanned, long bytesScanned, long versionsLoaded, long recordsIndexed, long tombstones,
                  long corruptRecords, List<String> corruptions, long leftoverRecords, long hiddenByMarkers,
                  long durationMs) {
        @Override
        public String toString() {
            return "cold start: " + blocksScanned + " blocks (" + (bytesScanned >> 20) + " MiB) in " + durationMs
                    + " ms; " + recordsIndexed + " records indexed (" + tombstones + " tombstones) from "
                    + versionsLoaded + " versions; "
                    + corruptRecords + " corrupt records skipped" + (corruptions.isEmpty() ? "" : " " + corruptions)
                    + "; " + leftoverRecords + " leftovers of earlier block uses; " + hiddenByMarkers
                    + " hidden by drops or truncates";
        }
    }

    private final WriteBlocks blocks;
    private final PrimaryIndex index;
    private final SetNames sets;
    private final StoreMetadata meta;
    private final Object[] partitionLocks = new Object[Partitions.COUNT];
    private final AtomicLong versions = new AtomicLong();
    private final AtomicLong corrupt = new AtomicLong();
    private final AtomicLong leftovers = new AtomicLong();
    private final AtomicLong hidden = new AtomicLong();
    private final AtomicInteger blocksDone = new AtomicInteger();
    private final List<String> corruptions = Collections.synchronizedList(new ArrayList<>());

    private ColdStart(WriteBlocks blocks, PrimaryIndex index, SetNames sets, StoreMetadata meta) {
        this.blocks = blocks;
        this.index = index;
        this.sets = sets;
        this.meta = meta;
        for (int p = 0; p < partitionLocks.length; p++) {
            partitionLocks[p] = new Object();
        }
    }

    /**
     * Rebuilds the index. One thread reads the blocks in order, a few ahead; one indexing worker
     * per core takes them as they come. The newest-version rule does not depend on the order in
     * which versions are seen, so blocks may be indexed in any order; each partition's table is
     * changed under its own lock.
     */
    static Report run(WriteBlocks blocks, PrimaryIndex index, SetNames sets, StoreMetadata meta) throws IOException {
        return new ColdStart(blocks, index, sets, meta).run();
    }

    private Report run() throws IOException {
        long startNs = System.nanoTime();
        for (int p = 0; p < Partitions.COUNT; p++) {
            index.reserve(p, meta.partitionEntries[p]);
        }
        int workers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        List<Thread> threads = new ArrayList<>();
        List<Batch> batches = new ArrayList<>();
        AtomicReference<RuntimeException> workerFailure = new AtomicReference<>();
        try (BlockReader reader = new BlockReader(blocks, workers)) {
            for (int w = 0; w < workers; w++) {
                Batch batch = new Batch(workers);
                batches.add(batch);
                Thread thread = new Thread(() -> {
                    try {
                        for (BlockReader.Block block; (block = reader.next()) != null; ) {
                            scan(block.id, block.bytes, batch);
                            reader.done(block);
                        }
                        batch.flush();
                    } catch (RuntimeException e) {
                        workerFailure.compareAndSet(null, e);
                        reader.abort();
                    }
                }, "flashraft-cold-start-" + w);
                thread.start();
                threads.add(thread);
            }
            long lastProgressNs = startNs;
            for (Thread thread : threads) {
                while (!join(thread, PROGRESS_INTERVAL_NS / 1_000_000)) {
                    if (System.nanoTime() - lastProgressNs >= PROGRESS_INTERVAL_NS) {
                        lastProgressNs = System.nanoTime();
                        LOG.log(System.Logger.Level.INFO, "cold start: {0} of {1} blocks read, {2} records indexed",
                                blocksDone.get(), blocks.blockCount(), index.size());
                    }
                }
            }
            reader.rethrow();
        }
        if (workerFailure.get() != null) {
            throw workerFailure.get();
        }
        for (int b = 0; b < blocks.blockCount(); b++) {
            long live = 0;
            for (Batch batch : batches) {
                live += batch.liveBytes[b];
            }
            if (live != 0) {
                blocks.addLive(b, Math.toIntExact(live));
            }
        }
        long tombstones = 0;
        for (Batch batch : batches) {
            tombstones += batch.tombstones;
        }
        long durationMs = (System.nanoTime() - startNs) / 1_000_000;
        List<String> reported;
        synchronized (corruptions) {
            reported = List.copyOf(corruptions.subList(0, Math.min(MAX_REPORTED_CORRUPTIONS, corruptions.size())));
        }
        Report report = new Report(blocks.blockCount(), (long) blocks.blockCount() * blocks.blockSize(),
                versions.get(), index.size(), tombstones, corrupt.get(), reported, leftovers.get(), hidden.get(),
                durationMs);
        LOG.log(corrupt.get() > 0 ? System.Logger.Level.WARNING : System.Logger.Level.INFO, report.toString());
        return report;
    }

    private static boolean join(Thread thread, long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during cold start", e);
        }
        return !thread.isAlive();
    }

    /** Finds a block's valid records, keeps those of its newest use, and indexes them. */
    private void scan(int block, ByteBuffer buffer, Batch batch) {
        int blockSize = blocks.blockSize();
        int[] validPos = batch.validPositions(blockSize);
        int[] validLength = batch.validLengths;
        int validCount = 0;
        long maxSeq = 0;
        for (int pos = 0; pos + RecordFormat.HEADER_LENGTH <= blockSize; ) {
            if (!RecordFormat.hasMagic(buffer, pos)) {
                pos += RecordFormat.ALIGNMENT;
                continue;
            }
            int length = RecordFormat.validLength(buffer, pos, blockSize);
            if (length < 0) {
                corrupt.incrementAndGet();
                if (corruptions.size() < MAX_REPORTED_CORRUPTIONS) {
                    corruptions.add("block " + block + " offset " + pos + " on " + blocks.deviceOf(block).name());
                }
                pos += RecordFormat.ALIGNMENT;
                continue;
            }
            validPos[validCount] = pos;
            validLength[validCount++] = length;
            maxSeq = Math.max(maxSeq, RecordFormat.blockSequence(buffer, pos));
            pos += RecordFormat.paddedLength(length);
        }
        blocksDone.incrementAndGet();
        if (validCount == 0 || maxSeq <= blocks.freedSequence(block)) {
            leftovers.addAndGet(validCount);
            return;
        }
        blocks.recovered(block, maxSeq);
        long blockVersions = 0;
        long blockHidden = 0;
        for (int r = 0; r < validCount; r++) {
            int pos = validPos[r];
            if (RecordFormat.blockSequence(buffer, pos) != maxSeq) {
                continue;
            }
            blockVersions++;
            if (!load(buffer, pos, validLength[r], block, maxSeq, batch)) {
                blockHidden++;
            }
        }
        // Counted once a block, so that the workers do not contend on the counters.
        versions.addAndGet(blockVersions);
        hidden.addAndGet(blockHidden);
        leftovers.addAndGet(validCount - blockVersions);
    }

    /**
     * Reads blocks in order on a thread of its own, a few ahead of the indexing workers, so that
     * reading the device and indexing its records overlap.
     */
    private static final class BlockReader implements AutoCloseable {
        /** A block's bytes. */
        static final class Block {
            int id;
            final ByteBuffer bytes;

            Block(ByteBuffer bytes) {
                this.bytes = bytes;
            }
        }

        private static final Block END = new Block(ByteBuffer.allocate(0));

        private final BlockingQueue<Block> filled;
        private final BlockingQueue<Block> empty;
        private final Thread thread;
        private final int consumers;
        private volatile IOException failure;

        BlockReader(WriteBlocks blocks, int consumers) {
            this.consumers = consumers;
            int buffers = consumers + 2;
            filled = new ArrayBlockingQueue<>(buffers + consumers);
            empty = new ArrayBlockingQueue<>(buffers);
            for (int i = 0; i < buffers; i++) {
                empty.add(new Block(FileBlockDevice.alignedBuffer(blocks.blockSize())));
            }
            thread = new Thread(() -> readAll(blocks), "flashraft-cold-start-reader");
            thread.setDaemon(true);
            thread.start();
        }

        private void readAll(WriteBlocks blocks) {
            try {
                for (int b = 0; b < blocks.blockCount(); b++) {
                    Block block = empty.take();
                    block.id = b;
                    block.bytes.clear();
                    blocks.deviceOf(b).readBlock(blocks.deviceOffset(b), block.bytes);
                    block.bytes.flip();
                    filled.put(block);
                }
            } catch (IOException e) {
                failure = new IOException("cold start could not read the devices: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                for (int i = 0; i < consumers; i++) {
                    filled.offer(END);
                }
            }
        }

        /** The next block read, or null when all are. */
        Block next() {
            try {
                Block block = filled.take();
                return block == END ? null : block;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        void done(Block block) {
            empty.add(block);
        }

        /** Stops reading: a worker failed. */
        void abort() {
            thread.interrupt();
        }

        void rethrow() throws IOException {
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public void close() {
            thread.interrupt();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A set as a record names it: its bytes, its name and its id. */
    private record SetRef(byte[] bytes, String name, int id) {
    }

    /** Each worker's last set: records of one set tend to come together. */
    private final ThreadLocal<SetRef> lastSet = ThreadLocal.withInitial(() -> new SetRef(new byte[0], "", 0));

    private SetRef set(ByteBuffer buffer, int pos) {
        int setLength = buffer.get(pos + RecordFormat.SET_LENGTH_OFFSET) & 0xFF;
        SetRef last = lastSet.get();
        if (sameBytes(buffer, pos + RecordFormat.HEADER_LENGTH, last.bytes(), setLength)) {
            return last;
        }
        byte[] setBytes = new byte[setLength];
        buffer.get(pos + RecordFormat.HEADER_LENGTH, setBytes);
        String name = new String(setBytes, StandardCharsets.UTF_8);
        SetRef set = new SetRef(setBytes, name, sets.idOf(name));
        lastSet.set(set);
        return set;
    }

    /** Whether the buffer holds exactly these bytes at {@code at} (no allocation: once a record). */
    private static boolean sameBytes(ByteBuffer buffer, int at, byte[] bytes, int length) {
        if (bytes.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (buffer.get(at + i) != bytes[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Queues one version for indexing unless a marker hides it. Only what the index needs is
     * copied out of the block, which goes back to the reader.
     */
    private boolean load(ByteBuffer buffer, int pos, int length, int block, long seq, Batch batch) {
        int digestAt = pos + RecordFormat.DIGEST_OFFSET;
        int partition = Partitions.of(buffer.get(digestAt), buffer.get(digestAt + 1));
        if (seq < meta.dropSequence[partition]) {
            return false;
        }
        SetRef set = set(buffer, pos);
        int group = buffer.getShort(pos + RecordFormat.GROUP_OFFSET) & 0xFFFF;
        long logIndex = buffer.getLong(pos + RecordFormat.LOG_INDEX_OFFSET);
        for (StoreMetadata.TruncateMarker marker : meta.truncates) {
            if (marker.hides(set.name(), partition, group, logIndex)) {
                return false;
            }
        }
        boolean tombstone = (buffer.get(pos + RecordFormat.FLAGS_OFFSET) & RecordFormat.FLAG_TOMBSTONE) != 0;
        batch.add(partition, buffer, digestAt, Location.pack(block, pos, RecordFormat.paddedLength(length)), seq,
                buffer.getInt(pos + RecordFormat.GENERATION_OFFSET),
                tombstone ? 0 : Integer.toUnsignedLong(buffer.getInt(pos + RecordFormat.VOID_TIME_OFFSET)),
                logIndex, set.id(), tombstone);
        return true;
    }

    /**
     * A worker's versions waiting to be indexed, in primitive arrays. The digests of a device
     * fall in random partitions, so indexing them in block order touches a random partition table
     * each time, and cache and TLB misses bound the rate; a full batch is sorted by partition
     * and indexed one partition at a time, so each table is loaded once for many versions and
     * its lock taken once.
     */
    private final class Batch {
        /** At most this many versions wait (16 MiB): 64 per partition on average. */
        private static final int MAX_CAPACITY = 1 << 18;
        private static final int MIN_CAPACITY = 1 << 10;
        /**
         * Each version is one 64-byte slot of {@code slots}, so that indexing in partition order,
         * which visits the versions in no order of their own, costs one cache line each:
         * digest ints 0-1, 2-3, 4 and (partition, tombstone), location, block sequence,
         * (generation, set id), void time, log index.
         */
        private static final int LONGS = 8;
        /**
         * Versions of one partition indexed together: each one's index slot, index entry and
         * batch slot are read first, so that their cache misses overlap, and the next group's
         * reads are issued before this group is indexed (docs/benchmarks.md).
         */
        private static final int GROUP = 8;
        /** What {@link PrimaryIndex#touch} returned, kept so that its reads are made. */
        private int sink;
        private final int capacity;
        private final long[] slots;
        private final int[] partition;
        private final int[] order;
        private final int[] starts = new int[Partitions.COUNT + 1];
        private int size;
        /** The valid records of the block being scanned: position and length, reused block after block. */
        private int[] validPositions = new int[0];
        private int[] validLengths = new int[0];
        /**
         * Bytes this worker's indexing made live, per block: the version kept adds its size, the
         * one it displaced takes its size off (whichever worker added it). Summed over the workers
         * once all versions are indexed, it is the bytes of the versions the index holds.
         */
        final long[] liveBytes = new long[blocks.blockCount()];
        /** Tombstones this worker's indexing added to the index, less those it displaced. */
        long tombstones;

        /** Sized for this worker's share of the records the store held at its last checkpoint. */
        Batch(int workers) {
            long expected = 0;
            for (long entries : meta.partitionEntries) {
                expected += entries;
            }
            capacity = (int) Math.max(MIN_CAPACITY, Math.min(MAX_CAPACITY, expected / workers + 1));
            slots = new long[capacity * LONGS];
            partition = new int[capacity];
            order = new int[capacity];
        }

        int[] validPositions(int blockSize) {
            int most = blockSize / RecordFormat.ALIGNMENT;
            if (validPositions.length < most) {
                validPositions = new int[most];
                validLengths = new int[most];
            }
            return validPositions;
        }

        void add(int p, ByteBuffer buffer, int digestAt, long loc, long sequence, int gen, long voidTimeSec, long index,
                 int set, boolean isTombstone) {
            int i = size++;
            int at = i * LONGS;
            partition[i] = p;
            slots[at] = buffer.getLong(digestAt);
            slots[at + 1] = buffer.getLong(digestAt + 8);
            slots[at + 2] = (long) buffer.getInt(digestAt + 16) << 32 | (long) p << 1 | (isTombstone ? 1 : 0);
            slots[at + 3] = loc;
            slots[at + 4] = sequence;
            slots[at + 5] = (long) gen << 32 | (set & 0xFFFF_FFFFL);
            slots[at + 6] = voidTimeSec;
            slots[at + 7] = index;
            if (size == capacity) {
                flush();
            }
        }

        /** Indexes every queued version, partition by partition (a counting sort on the partition). */
        void flush() {
            java.util.Arrays.fill(starts, 0);
            for (int i = 0; i < size; i++) {
                starts[partition[i] + 1]++;
            }
            for (int p = 0; p < Partitions.COUNT; p++) {
                starts[p + 1] += starts[p];
            }
            int[] next = java.util.Arrays.copyOf(starts, Partitions.COUNT);
            for (int i = 0; i < size; i++) {
                order[next[partition[i]]++] = i;
            }
            for (int p = 0; p < Partitions.COUNT; p++) {
                if (starts[p] == starts[p + 1]) {
                    continue;
                }
                synchronized (partitionLocks[p]) {
                    int end = starts[p + 1];
                    sink += touch(p, starts[p], Math.min(end, starts[p] + GROUP));
                    for (int k = starts[p]; k < end; k += GROUP) {
                        int groupEnd = Math.min(end, k + GROUP);
                        sink += touch(p, groupEnd, Math.min(end, groupEnd + GROUP));
                        for (int g = k; g < groupEnd; g++) {
                            index(p, order[g] * LONGS);
                        }
                    }
                }
            }
            size = 0;
        }

        /** Reads the index slots and entries that the versions {@code order[from..to)} will need. */
        private int touch(int p, int from, int to) {
            int touched = 0;
            for (int g = from; g < to; g++) {
                touched += ColdStart.this.index.touch(p, (int) slots[order[g] * LONGS]);
            }
            return touched;
        }

        /** Keeps the version in the slot at {@code at} unless the index holds a newer one: log index, then generation, then block use. */
        private void index(int p, int at) {
            long d01 = slots[at];
            long d23 = slots[at + 1];
            long d4 = slots[at + 2];
            int entry = ColdStart.this.index.findOrInsert(p, (int) (d01 >>> 32), (int) d01, (int) (d23 >>> 32), (int) d23,
                    (int) (d4 >>> 32));
            int generation = (int) (slots[at + 5] >>> 32);
            long logIndex = slots[at + 7];
            long heldLocation = ColdStart.this.index.location(p, entry);
            boolean heldTombstone = false;
            if (heldLocation != 0) {
                long held = ColdStart.this.index.logIndex(p, entry);
                int heldGeneration = ColdStart.this.index.generation(p, entry);
                long heldSeq = blocks.sequence(Location.block(heldLocation));
                boolean newer = logIndex > held || (logIndex == held && (generation > heldGeneration
                        || (generation == heldGeneration && slots[at + 4] > heldSeq)));
                if (!newer) {
                    return;
                }
                heldTombstone = (ColdStart.this.index.flags(p, entry) & PrimaryIndex.FLAG_TOMBSTONE) != 0;
                liveBytes[Location.block(heldLocation)] -= Location.paddedSize(heldLocation);
            }
            long location = slots[at + 3];
            boolean tombstone = (d4 & 1) != 0;
            ColdStart.this.index.set(p, entry, location, generation, slots[at + 6], logIndex, (int) slots[at + 5],
                    tombstone ? PrimaryIndex.FLAG_TOMBSTONE : 0);
            liveBytes[Location.block(location)] += Location.paddedSize(location);
            tombstones += (tombstone ? 1 : 0) - (heldTombstone ? 1 : 0);
        }
    }
}
