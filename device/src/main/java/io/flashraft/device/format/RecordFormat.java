package io.flashraft.device.format;

import io.flashraft.device.RecordVersion;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.ValueCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The on-device layout of one record version. Every engine encodes versions this way; the device
 * engine writes them into write blocks back to back, each padded to {@value #ALIGNMENT} bytes.
 *
 * <pre>
 *  0                   4                   8                   12  13  14  15  16
 *  +-------------------+-------------------+-------------------+---+---+---+---+
 *  | MAGIC             | length            | crc32c            |ver|flg|set|rsv|
 *  +-------------------+-------------------+-------------------+---+---+---+---+
 * 16 | block sequence (u64): the write block's use, to discard leftovers       |
 * 24 | digest (20 bytes)                                                       |
 * 44 | partition (u16) | group (u16) | generation (u32) | void time (u32, s)  |
 * 56 | last-update stamp (u64)                                                 |
 * 64 | log index (u64)                                                         |
 * 72 | set name (set bytes of UTF-8) | bins (ValueCodec bins encoding)          |
 *    +-------------------------------------------------------------------------+
 *  length = 72 + set + bins, before padding; crc32c covers [12, length): every byte but
 *  magic, length and itself. flg bit 0 = tombstone. ver = {@value #VERSION}.
 * </pre>
 *
 * Big-endian throughout. The checksum is computed when the record is written and checked when
 * it is read back, by cold start and by every device read.
 */
public final class RecordFormat {
    public static final int MAGIC = 0xF1A5_4EC0;
    public static final int VERSION = 1;
    public static final int ALIGNMENT = 16;

    public static final int MAGIC_OFFSET = 0;
    public static final int LENGTH_OFFSET = 4;
    public static final int CRC_OFFSET = 8;
    public static final int VERSION_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int SET_LENGTH_OFFSET = 14;
    public static final int SEQUENCE_OFFSET = 16;
    public static final int DIGEST_OFFSET = 24;
    public static final int PARTITION_OFFSET = 44;
    public static final int GROUP_OFFSET = 46;
    public static final int GENERATION_OFFSET = 48;
    public static final int VOID_TIME_OFFSET = 52;
    public static final int STAMP_OFFSET = 56;
    public static final int LOG_INDEX_OFFSET = 64;
    public static final int HEADER_LENGTH = 72;

    public static final int FLAG_TOMBSTONE = 1;

    private RecordFormat() {
    }

    /** Bytes the version takes before padding. */
    public static int encodedLength(RecordVersion v) {
        return HEADER_LENGTH + v.set().getBytes(StandardCharsets.UTF_8).length + v.encodedBins().length;
    }

    /** Bytes the version takes on a device, padding included. */
    public static int paddedLength(int length) {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /**
     * Writes the version at the buffer's position, padded with zeros, and advances the position.
     *
     * @return the length before padding
     */
    public static int encode(RecordVersion v, long blockSequence, ByteBuffer out) {
        byte[] set = v.set().getBytes(StandardCharsets.UTF_8);
        byte[] bins = v.encodedBins();
        int length = HEADER_LENGTH + set.length + bins.length;
        int start = out.position();
        ByteBuffer b = out.duplicate().order(ByteOrder.BIG_ENDIAN);
        b.putInt(start + MAGIC_OFFSET, MAGIC);
        b.putInt(start + LENGTH_OFFSET, length);
        b.put(start + VERSION_OFFSET, (byte) VERSION);
        b.put(start + FLAGS_OFFSET, (byte) (v.tombstone() ? FLAG_TOMBSTONE : 0));
        b.put(start + SET_LENGTH_OFFSET, (byte) set.length);
        b.put(start + SET_LENGTH_OFFSET + 1, (byte) 0);
        b.putLong(start + SEQUENCE_OFFSET, blockSequence);
        for (int i = 0; i < Digest.LENGTH; i++) {
            b.put(start + DIGEST_OFFSET + i, v.digest().byteAt(i));
        }
        b.putShort(start + PARTITION_OFFSET, (short) v.digest().partition());
        b.putShort(start + GROUP_OFFSET, (short) v.group());
        b.putInt(start + GENERATION_OFFSET, v.generation());
        b.putInt(start + VOID_TIME_OFFSET, (int) v.voidTimeSec());
        b.putLong(start + STAMP_OFFSET, v.lastUpdateStamp());
        b.putLong(start + LOG_INDEX_OFFSET, v.logIndex());
        b.position(start + HEADER_LENGTH);
        b.put(set);
        b.put(bins);
        int padded = paddedLength(length);
        for (int i = length; i < padded; i++) {
            b.put((byte) 0);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(start + VERSION_OFFSET).limit(start + length));
        b.putInt(start + CRC_OFFSET, (int) crc.getValue());
        out.position(start + padded);
        return length;
    }

    /** The version as a standalone byte array (for engines that keep records whole). */
    public static byte[] toBytes(RecordVersion v) {
        ByteBuffer out = ByteBuffer.allocate(paddedLength(encodedLength(v)));
        encode(v, 0, out);
        return out.array();
    }

    /**
     * Checks the record that starts at {@code offset}: magic, a length that fits in
     * {@code limit}, version and checksum. It moves the buffer's position and limit and puts them
     * back, so the buffer must not be shared with another thread meanwhile.
     *
     * @return the record's length, or -1 if no valid record starts there
     */
    public static int validLength(ByteBuffer in, int offset, int limit) {
        if (limit - offset < HEADER_LENGTH || in.getInt(offset + MAGIC_OFFSET) != MAGIC) {
            return -1;
        }
        int length = in.getInt(offset + LENGTH_OFFSET);
        if (length < HEADER_LENGTH || length > limit - offset
                || (in.get(offset + VERSION_OFFSET) & 0xFF) != VERSION) {
            return -1;
        }
        int setLength = in.get(offset + SET_LENGTH_OFFSET) & 0xFF;
        if (HEADER_LENGTH + setLength > length) {
            return -1;
        }
        // The buffer's own bounds frame the checksummed range (no duplicate: cold start checks
        // millions of records), and are restored after.
        int position = in.position();
        int bufferLimit = in.limit();
        CRC32C crc = new CRC32C();
        crc.update(in.limit(offset + length).position(offset + VERSION_OFFSET));
        in.limit(bufferLimit).position(position);
        return (int) crc.getValue() == in.getInt(offset + CRC_OFFSET) ? length : -1;
    }

    /** Whether a magic number starts at {@code offset} (a record, valid or not, may start there). */
    public static boolean hasMagic(ByteBuffer in, int offset) {
        return in.getInt(offset + MAGIC_OFFSET) == MAGIC;
    }

    /** The block sequence of a record already validated. */
    public static long blockSequence(ByteBuffer in, int offset) {
        return in.getLong(offset + SEQUENCE_OFFSET);
    }

    /**
     * Decodes a record already validated by {@link #validLength}.
     *
     * @throws io.flashraft.protocol.DecodeException if its set or bins do not decode
     */
    public static RecordVersion decode(ByteBuffer in, int offset, int length) {
        byte[] digest = new byte[Digest.LENGTH];
        in.get(offset + DIGEST_OFFSET, digest);
        int setLength = in.get(offset + SET_LENGTH_OFFSET) & 0xFF;
        byte[] set = new byte[setLength];
        in.get(offset + HEADER_LENGTH, set);
        byte[] bins = new byte[length - HEADER_LENGTH - setLength];
        in.get(offset + HEADER_LENGTH + setLength, bins);
        ValueCodec.decodeBins(bins);
        return new RecordVersion(Digest.of(digest), new String(set, StandardCharsets.UTF_8),
                in.getInt(offset + GENERATION_OFFSET),
                Integer.toUnsignedLong(in.getInt(offset + VOID_TIME_OFFSET)),
                in.getLong(offset + STAMP_OFFSET),
                in.getShort(offset + GROUP_OFFSET) & 0xFFFF,
                in.getLong(offset + LOG_INDEX_OFFSET),
                (in.get(offset + FLAGS_OFFSET) & FLAG_TOMBSTONE) != 0,
                bins);
    }

    /**
     * Decodes a standalone record written by {@link #toBytes}, checking it first.
     *
     * @throws io.flashraft.protocol.DecodeException if it is not one valid record
     */
    public static RecordVersion fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        int length = validLength(in, 0, bytes.length);
        if (length < 0) {
            throw new io.flashraft.protocol.DecodeException("not a valid record: bad magic, length or checksum");
        }
        return decode(in, 0, length);
    }
}
