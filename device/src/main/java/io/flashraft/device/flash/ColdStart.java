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
import java.util.List;

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

    private ColdStart() {
    }

    static Report run(WriteBlocks blocks, PrimaryIndex index, SetNames sets, StoreMetadata meta) throws IOException {
        long startNs = System.nanoTime();
        long lastProgressNs = startNs;
        ByteBuffer buffer = FileBlockDevice.alignedBuffer(blocks.blockSize());
        long versions = 0;
        long corrupt = 0;
        long leftovers = 0;
        long hidden = 0;
        List<String> corruptions = new ArrayList<>();
        List<int[]> valid = new ArrayList<>();
        int blockSize = blocks.blockSize();
        for (int b = 0; b < blocks.blockCount(); b++) {
            buffer.clear();
            blocks.deviceOf(b).read(blocks.deviceOffset(b), buffer);
            buffer.flip();
            valid.clear();
            long maxSeq = 0;
            for (int pos = 0; pos + RecordFormat.HEADER_LENGTH <= blockSize; ) {
                if (!RecordFormat.hasMagic(buffer, pos)) {
                    pos += RecordFormat.ALIGNMENT;
                    continue;
                }
                int length = RecordFormat.validLength(buffer, pos, blockSize);
                if (length < 0) {
                    corrupt++;
                    if (corruptions.size() < MAX_REPORTED_CORRUPTIONS) {
                        corruptions.add("block " + b + " offset " + pos + " on " + blocks.deviceOf(b).name());
                    }
                    pos += RecordFormat.ALIGNMENT;
                    continue;
                }
                valid.add(new int[] {pos, length});
                maxSeq = Math.max(maxSeq, RecordFormat.blockSequence(buffer, pos));
                pos += RecordFormat.paddedLength(length);
            }
            if (valid.isEmpty() || maxSeq <= blocks.freedSequence(b)) {
                leftovers += valid.size();
                continue;
            }
            blocks.recovered(b, maxSeq);
            for (int[] record : valid) {
                int pos = record[0];
                if (RecordFormat.blockSequence(buffer, pos) != maxSeq) {
                    leftovers++;
                    continue;
                }
                versions++;
                if (!load(buffer, pos, record[1], b, maxSeq, blocks, index, sets, meta)) {
                    hidden++;
                }
            }
            if (System.nanoTime() - lastProgressNs > PROGRESS_INTERVAL_NS) {
                lastProgressNs = System.nanoTime();
                LOG.log(System.Logger.Level.INFO, "cold start: {0} of {1} blocks read, {2} records indexed",
                        b + 1, blocks.blockCount(), index.size());
            }
        }
        for (int p = 0; p < Partitions.COUNT; p++) {
            int partition = p;
            index.forEach(p, entry -> {
                long location = index.location(partition, entry);
                blocks.addLive(Location.block(location), Location.paddedSize(location));
            });
        }
        long durationMs = (System.nanoTime() - startNs) / 1_000_000;
        Report report = new Report(blocks.blockCount(), (long) blocks.blockCount() * blockSize, versions,
                index.size(), corrupt, List.copyOf(corruptions), leftovers, hidden, durationMs);
        LOG.log(corrupt > 0 ? System.Logger.Level.WARNING : System.Logger.Level.INFO, report.toString());
        return report;
    }

    /** Indexes one version unless a marker hides it or the index holds a newer one. */
    private static boolean load(ByteBuffer buffer, int pos, int length, int block, long seq, WriteBlocks blocks,
                                PrimaryIndex index, SetNames sets, StoreMetadata meta) {
        byte[] digestBytes = new byte[Digest.LENGTH];
        buffer.get(pos + RecordFormat.DIGEST_OFFSET, digestBytes);
        Digest digest = Digest.of(digestBytes);
        int partition = digest.partition();
        if (seq < meta.dropSequence[partition]) {
            return false;
        }
        int setLength = buffer.get(pos + RecordFormat.SET_LENGTH_OFFSET) & 0xFF;
        byte[] setBytes = new byte[setLength];
        buffer.get(pos + RecordFormat.HEADER_LENGTH, setBytes);
        String set = new String(setBytes, StandardCharsets.UTF_8);
        int group = buffer.getShort(pos + RecordFormat.GROUP_OFFSET) & 0xFFFF;
        long logIndex = buffer.getLong(pos + RecordFormat.LOG_INDEX_OFFSET);
        for (StoreMetadata.TruncateMarker marker : meta.truncates) {
            if (marker.hides(set, partition, group, logIndex)) {
                return false;
            }
        }
        int generation = buffer.getInt(pos + RecordFormat.GENERATION_OFFSET);
        boolean tombstone = (buffer.get(pos + RecordFormat.FLAGS_OFFSET) & RecordFormat.FLAG_TOMBSTONE) != 0;
        long voidTime = tombstone ? 0 : Integer.toUnsignedLong(buffer.getInt(pos + RecordFormat.VOID_TIME_OFFSET));
        int entry = index.find(digest);
        if (entry >= 0) {
            long held = index.logIndex(partition, entry);
            int heldGeneration = index.generation(partition, entry);
            long heldSeq = blocks.sequence(Location.block(index.location(partition, entry)));
            boolean newer = logIndex > held || (logIndex == held && (generation > heldGeneration
                    || (generation == heldGeneration && seq > heldSeq)));
            if (!newer) {
                return true;
            }
        } else {
            entry = index.insert(digest);
        }
        index.set(partition, entry, Location.pack(block, pos, RecordFormat.paddedLength(length)), generation,
                voidTime, logIndex, sets.idOf(set), tombstone ? PrimaryIndex.FLAG_TOMBSTONE : 0);
        return true;
    }
}
