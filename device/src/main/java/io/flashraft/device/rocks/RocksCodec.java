package io.flashraft.device.rocks;

import io.flashraft.device.RecordVersion;
import io.flashraft.device.VersionInfo;
import io.flashraft.device.format.RecordFormat;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.DecodeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Keys and values of the RocksDB engine.
 *
 * <pre>
 *  record key:   partition (u16, big-endian) | digest (20 bytes)   so a partition is a prefix
 *  record value: the version in RecordFormat (checksummed), as {@link RecordFormat#toBytes}
 *  metadata key: 0xFF 'm'  (above every record key: partitions are below 0x1000)
 *  metadata value: the CheckpointMetadata encoding
 * </pre>
 * RocksDB's bytewise order on keys is partition order, then the digests' unsigned order.
 */
final class RocksCodec {
    static final int KEY_BYTES = 2 + Digest.LENGTH;
    static final byte[] METADATA_KEY = {(byte) 0xFF, 'm'};

    private RocksCodec() {
    }

    static byte[] key(Digest digest) {
        byte[] key = new byte[KEY_BYTES];
        int partition = digest.partition();
        key[0] = (byte) (partition >>> 8);
        key[1] = (byte) partition;
        digest.copyTo(key, 2);
        return key;
    }

    /** The first key of a partition; the partition after the last gives the end of the range. */
    static byte[] partitionStart(int partition) {
        return new byte[] {(byte) (partition >>> 8), (byte) partition};
    }

    static boolean inPartition(byte[] key, int partition) {
        return key.length == KEY_BYTES && key[0] == (byte) (partition >>> 8) && key[1] == (byte) partition;
    }

    static Digest digest(byte[] key) {
        return Digest.of(key, 2);
    }

    /** The index's view of a stored version, from its header, after checking its checksum. */
    static VersionInfo info(byte[] value) {
        ByteBuffer in = checked(value);
        int setLength = in.get(RecordFormat.SET_LENGTH_OFFSET) & 0xFF;
        return new VersionInfo(new String(value, RecordFormat.HEADER_LENGTH, setLength, StandardCharsets.UTF_8),
                in.getInt(RecordFormat.GENERATION_OFFSET),
                Integer.toUnsignedLong(in.getInt(RecordFormat.VOID_TIME_OFFSET)),
                in.getLong(RecordFormat.LOG_INDEX_OFFSET),
                tombstone(value));
    }

    /** The group that wrote a stored version. */
    static int group(byte[] value) {
        return ByteBuffer.wrap(value).getShort(RecordFormat.GROUP_OFFSET) & 0xFFFF;
    }

    /** Whether a stored version is a tombstone; for counting, without a checksum. */
    static boolean tombstone(byte[] value) {
        return (value[RecordFormat.FLAGS_OFFSET] & RecordFormat.FLAG_TOMBSTONE) != 0;
    }

    /** A stored version, checked. */
    static RecordVersion version(byte[] value) {
        try {
            return RecordFormat.fromBytes(value);
        } catch (DecodeException e) {
            throw new IllegalStateException("corrupt record in RocksDB: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer checked(byte[] value) {
        ByteBuffer in = ByteBuffer.wrap(value);
        if (RecordFormat.validLength(in, 0, value.length) < 0) {
            throw new IllegalStateException("corrupt record in RocksDB: bad magic, length or checksum");
        }
        return in;
    }
}
