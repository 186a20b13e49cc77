package io.flashraft.device.flash;

import io.flashraft.device.block.FileBlockDevice;
import io.flashraft.device.format.RecordFormat;
import io.flashraft.device.index.PrimaryIndex;
import io.flashraft.protocol.Digest;
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
    record Report(int blocksScanned, long bytesScanned, long versionsLoaded, long recordsIndexed,
                  long corruptRecords, List<String> corruptions, long leftoverRecords, long hiddenByMarkers,
                  long durationMs) {
        @Override
        public String toString() {
            return "cold start: " + blocksScanned + " blocks (" + (bytesScanned >> 20) + " MiB) in " + durationMs
                    + " ms; " + recordsIndexed + " records indexed from " + versionsLoaded + " versions; "
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
        AtomicReference<RuntimeException> workerFailure = new AtomicReference<>();
        try (BlockReader reader = new BlockReader(blocks, workers)) {
            for (int w = 0; w < workers; w++) {
                Thread thread = new Thread(() -> {
                    try {
                        for (BlockReader.Block block; (block = reader.next()) != null; ) {
                            scan(block.id, block.bytes);
                            reader.done(block);
                        }
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
        for (int p = 0; p < Partitions.COUNT; p++) {
            int partition = p;
            index.forEach(p, entry -> {
                long location = index.location(partition, entry);
                blocks.addLive(Location.block(location), Location.paddedSize(location));
            });
        }
        long durationMs = (System.nanoTime() - startNs) / 1_000_000;
        List<String> reported;
        synchronized (corruptions) {
            reported = List.copyOf(corruptions.subList(0, Math.min(MAX_REPORTED_CORRUPTIONS, corruptions.size())));
        }
        Report report = new Report(blocks.blockCount(), (long) blocks.blockCount() * blocks.blockSize(),
                versions.get(), index.size(), corrupt.get(), reported, leftovers.get(), hidden.get(), durationMs);
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
    private void scan(int block, ByteBuffer buffer) {
        int blockSize = blocks.blockSize();
        List<int[]> valid = new ArrayList<>();
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
            valid.add(new int[] {pos, length});
            maxSeq = Math.max(maxSeq, RecordFormat.blockSequence(buffer, pos));
            pos += RecordFormat.paddedLength(length);
        }
        blocksDone.incrementAndGet();
        if (valid.isEmpty() || maxSeq <= blocks.freedSequence(block)) {
            leftovers.addAndGet(valid.size());
            return;
        }
        blocks.recovered(block, maxSeq);
        long blockVersions = 0;
        long blockHidden = 0;
        for (int[] record : valid) {
            int pos = record[0];
            if (RecordFormat.blockSequence(buffer, pos) != maxSeq) {
                continue;
            }
            blockVersions++;
            if (!load(buffer, pos, record[1], block, maxSeq)) {
                blockHidden++;
            }
        }
        // Counted once a block, so that the workers do not contend on the counters.
        versions.addAndGet(blockVersions);
        hidden.addAndGet(blockHidden);
        leftovers.addAndGet(valid.size() - blockVersions);
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
        if (last.bytes().length == setLength
                && buffer.slice(pos + RecordFormat.HEADER_LENGTH, setLength).equals(ByteBuffer.wrap(last.bytes()))) {
            return last;
        }
        byte[] setBytes = new byte[setLength];
        buffer.get(pos + RecordFormat.HEADER_LENGTH, setBytes);
        String name = new String(setBytes, StandardCharsets.UTF_8);
        SetRef set = new SetRef(setBytes, name, sets.idOf(name));
        lastSet.set(set);
        return set;
    }

    /** Indexes one version unless a marker hides it or the index holds a newer one. */
    private boolean load(ByteBuffer buffer, int pos, int length, int block, long seq) {
        byte[] digestBytes = new byte[Digest.LENGTH];
        buffer.get(pos + RecordFormat.DIGEST_OFFSET, digestBytes);
        Digest digest = Digest.of(digestBytes);
        int partition = digest.partition();
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
        int generation = buffer.getInt(pos + RecordFormat.GENERATION_OFFSET);
        boolean tombstone = (buffer.get(pos + RecordFormat.FLAGS_OFFSET) & RecordFormat.FLAG_TOMBSTONE) != 0;
        long voidTime = tombstone ? 0 : Integer.toUnsignedLong(buffer.getInt(pos + RecordFormat.VOID_TIME_OFFSET));
        int setId = set.id();
        synchronized (partitionLocks[partition]) {
            return index(digest, partition, block, pos, length, seq, generation, voidTime, logIndex, setId, tombstone);
        }
    }

    private boolean index(Digest digest, int partition, int block, int pos, int length, long seq, int generation,
                          long voidTime, long logIndex, int setId, boolean tombstone) {
        int entry = index.findOrInsert(digest);
        long heldLocation = index.location(partition, entry);
        if (heldLocation != 0) {
            long held = index.logIndex(partition, entry);
            int heldGeneration = index.generation(partition, entry);
            long heldSeq = blocks.sequence(Location.block(heldLocation));
            boolean newer = logIndex > held || (logIndex == held && (generation > heldGeneration
                    || (generation == heldGeneration && seq > heldSeq)));
            if (!newer) {
                return true;
            }
        }
        index.set(partition, entry, Location.pack(block, pos, RecordFormat.paddedLength(length)), generation,
                voidTime, logIndex, setId, tombstone ? PrimaryIndex.FLAG_TOMBSTONE : 0);
        return true;
    }
}
