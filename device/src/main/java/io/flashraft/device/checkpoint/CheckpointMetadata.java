package io.flashraft.device.checkpoint;

import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.Partitions;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state a store persists next to its records: each group's checkpointed applied index, and
 * the truncate markers. Thread-safe.
 *
 * <p>A truncate marker says "every record of set S in partition P written before log index I is
 * gone". Engines persist markers with their checkpoints and filter what they load through
 * {@link #truncates}, so that no restart brings a truncated record back. A partition always
 * belongs to the same group, so the log indexes compared are from one log.
 *
 * <pre>
 *  format version (u8) = {@value #FORMAT_VERSION}
 *  group count (varint), then per group:   group (u16) | checkpointed index (u64)
 *  set count (varint), then per set:       set length (u8) | set (UTF-8)
 *                                          | partition count (varint), then per partition:
 *                                            partition (u16) | truncate log index (u64)
 * </pre>
 * Big-endian. The engines that store it checksum it as part of a larger whole.
 */
public final class CheckpointMetadata {
    public static final int FORMAT_VERSION = 1;
    private static final int GROUP_ENTRY_BYTES = 2 + 8;
    private static final int SET_ENTRY_MIN_BYTES = 1 + 1;
    private static final int PARTITION_ENTRY_BYTES = 2 + 8;

    private final Map<Integer, Long> checkpointedIndexes = new TreeMap<>();
    /** Per set, per partition, the log index of its latest truncate (0 for none). */
    private final Map<String, long[]> truncateIndexes = new TreeMap<>();

    /** A copy, to encode a checkpoint before it is known to be durable. */
    public synchronized CheckpointMetadata copy() {
        CheckpointMetadata copy = new CheckpointMetadata();
        copy.checkpointedIndexes.putAll(checkpointedIndexes);
        truncateIndexes.forEach((set, byPartition) -> copy.truncateIndexes.put(set, byPartition.clone()));
        return copy;
    }

    /** Records a group's checkpointed applied index. */
    public synchronized void checkpointed(int group, long appliedIndex) {
        // Never backwards: a late, lower checkpoint of the same group must not widen the replay.
        checkpointedIndexes.merge(group, appliedIndex, Math::max);
    }

    /** Each group's last checkpointed applied index, as an unmodifiable copy. */
    public synchronized Map<Integer, Long> checkpointedIndexes() {
        return Map.copyOf(checkpointedIndexes);
    }

    /** Records that the set was truncated in these partitions by the entry at {@code logIndex}. */
    public synchronized void truncated(String set, BitSet partitions, long logIndex) {
        long[] byPartition = truncateIndexes.computeIfAbsent(set, s -> new long[Partitions.COUNT]);
        for (int p = partitions.nextSetBit(0); p >= 0; p = partitions.nextSetBit(p + 1)) {
            byPartition[Partitions.check(p)] = Math.max(byPartition[p], logIndex);
        }
    }

    /**
     * Whether a truncate removed a version of this set in this partition written at
     * {@code logIndex}: it was written before the truncate.
     */
    public synchronized boolean truncates(int partition, String set, long logIndex) {
        long[] byPartition = truncateIndexes.get(set);
        return byPartition != null && logIndex < byPartition[Partitions.check(partition)];
    }

    /** Forgets the markers of dropped partitions: nothing of theirs is left to hide. */
    public synchronized void forgetPartitions(BitSet partitions) {
        truncateIndexes.values().forEach(byPartition -> {
            for (int p = partitions.nextSetBit(0); p >= 0; p = partitions.nextSetBit(p + 1)) {
                byPartition[p] = 0;
            }
        });
        truncateIndexes.values().removeIf(CheckpointMetadata::noMarker);
    }

    /** The encoding described on the class. */
    public synchronized byte[] toBytes() {
        ByteWriter out = new ByteWriter(64);
        out.writeByte(FORMAT_VERSION);
        out.writeVarint(checkpointedIndexes.size());
        checkpointedIndexes.forEach((group, index) -> {
            out.writeShort(group);
            out.writeLong(index);
        });
        out.writeVarint(truncateIndexes.size());
        truncateIndexes.forEach((set, byPartition) -> {
            byte[] name = set.getBytes(StandardCharsets.UTF_8);
            out.writeByte(name.length);
            out.writeBytes(name, 0, name.length);
            int marked = 0;
            for (long index : byPartition) {
                marked += index == 0 ? 0 : 1;
            }
            out.writeVarint(marked);
            for (int p = 0; p < byPartition.length; p++) {
                if (byPartition[p] != 0) {
                    out.writeShort(p);
                    out.writeLong(byPartition[p]);
                }
            }
        });
        return out.toByteArray();
    }

    /**
     * Decodes {@link #toBytes}.
     *
     * @throws DecodeException if the bytes are not exactly one encoding of this version
     */
    public static CheckpointMetadata fromBytes(byte[] bytes) {
        ByteReader in = new ByteReader(bytes, 0, bytes.length);
        int version = in.readUnsignedByte();
        if (version != FORMAT_VERSION) {
            throw new DecodeException("checkpoint metadata format " + version + ", expected " + FORMAT_VERSION);
        }
        CheckpointMetadata metadata = new CheckpointMetadata();
        int groups = in.readCount(GROUP_ENTRY_BYTES, "group count");
        for (int i = 0; i < groups; i++) {
            metadata.checkpointedIndexes.put(in.readUnsignedShort(), in.readLong());
        }
        int sets = in.readCount(SET_ENTRY_MIN_BYTES, "set count");
        for (int i = 0; i < sets; i++) {
            String set = in.readUtf8(in.readUnsignedByte());
            long[] byPartition = new long[Partitions.COUNT];
            int partitions = in.readCount(PARTITION_ENTRY_BYTES, "partition count");
            for (int j = 0; j < partitions; j++) {
                int partition = in.readUnsignedShort();
                if (partition >= Partitions.COUNT) {
                    throw new DecodeException("truncate marker for partition " + partition);
                }
                byPartition[partition] = in.readLong();
            }
            metadata.truncateIndexes.put(set, byPartition);
        }
        in.expectEnd("checkpoint metadata");
        return metadata;
    }

    private static boolean noMarker(long[] byPartition) {
        for (long index : byPartition) {
            if (index != 0) {
                return false;
            }
        }
        return true;
    }
}
