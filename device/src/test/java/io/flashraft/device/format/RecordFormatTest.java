package io.flashraft.device.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.device.RecordVersion;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.ValueCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.impl.Constraint;

/**
 * The on-device record layout: round trips, placement inside a write block, and the checksum that
 * must reject every single flipped bit and every truncation.
 */
class RecordFormatTest {
    /** Property sizing from the root pom (see protocol's TestTheories); the seed is fixed to reproduce. */
    private static final int EXAMPLES = Integer.getInteger("flashraft.test.examples", 60);
    private static final long SEED = Long.getLong("flashraft.test.seed", 0x5EED_F1A5_4EC0L);
    private static final byte FILL = (byte) 0x5A;

    // ---------------------------------------------------------------- round trips

    @Test
    void aVersionSurvivesToBytesAndFromBytes() {
        for (RecordVersion version : examples()) {
            byte[] bytes = RecordFormat.toBytes(version);
            assertEquals(0, bytes.length % RecordFormat.ALIGNMENT);
            assertEquals(RecordFormat.paddedLength(RecordFormat.encodedLength(version)), bytes.length);
            assertEquals(version, RecordFormat.fromBytes(bytes));
        }
    }

    @Test
    void versionsEncodeBackToBackInsideALargerBufferAndDecodeAtTheirOffsets() {
        for (ByteBuffer block : List.of(ByteBuffer.allocate(1 << 14), ByteBuffer.allocateDirect(1 << 14))) {
            assertBackToBackRoundTrip(block, 48, examples());
        }
    }

    @Test
    void randomVersionsRoundTripAtRandomOffsets() {
        theory().forAll(versions(), offsets()).checkAssert((version, offset) -> {
            int padded = RecordFormat.paddedLength(RecordFormat.encodedLength(version));
            ByteBuffer block = ByteBuffer.allocate(offset + 2 * padded + 64);
            assertBackToBackRoundTrip(block, offset, List.of(version, version));
        });
    }

    @Test
    void theHeaderHoldsItsFieldsAtTheDocumentedOffsets() {
        RecordVersion version = new RecordVersion(KeyDigest.of("test", "hello"), "test", 7, 0xFFFF_FFFFL, 0x0102_0304_0506_0708L,
                65535, Long.MAX_VALUE, true, RecordVersion.NO_BINS);
        ByteBuffer b = ByteBuffer.allocate(256);
        int length = RecordFormat.encode(version, 0x1122_3344_5566_7788L, b);
        assertEquals(RecordFormat.HEADER_LENGTH + 4 + 2, length);
        assertEquals(RecordFormat.MAGIC, b.getInt(RecordFormat.MAGIC_OFFSET));
        assertEquals(length, b.getInt(RecordFormat.LENGTH_OFFSET));
        assertEquals(RecordFormat.VERSION, b.get(RecordFormat.VERSION_OFFSET));
        assertEquals(RecordFormat.FLAG_TOMBSTONE, b.get(RecordFormat.FLAGS_OFFSET));
        assertEquals(4, b.get(RecordFormat.SET_LENGTH_OFFSET));
        assertEquals(0, b.get(RecordFormat.SET_LENGTH_OFFSET + 1));
        assertEquals(0x1122_3344_5566_7788L, RecordFormat.blockSequence(b, 0));
        assertEquals(version.digest().partition(), b.getShort(RecordFormat.PARTITION_OFFSET) & 0xFFFF);
        assertEquals(65535, b.getShort(RecordFormat.GROUP_OFFSET) & 0xFFFF);
        assertEquals(7, b.getInt(RecordFormat.GENERATION_OFFSET));
        assertEquals(-1, b.getInt(RecordFormat.VOID_TIME_OFFSET));
        assertEquals(0x0102_0304_0506_0708L, b.getLong(RecordFormat.STAMP_OFFSET));
        assertEquals(Long.MAX_VALUE, b.getLong(RecordFormat.LOG_INDEX_OFFSET));
        byte[] digest = new byte[20];
        b.get(RecordFormat.DIGEST_OFFSET, digest);
        assertArrayEquals(version.digest().toBytes(), digest);
        assertEquals(version, RecordFormat.decode(b, 0, length));
    }

    // ---------------------------------------------------------------- the checksum

    @Test
    void everySingleFlippedBitOfARecordIsRejected() {
        for (RecordVersion version : examples()) {
            assertEveryBitFlipRejected(version, 0, 0);
            assertEveryBitFlipRejected(version, 32, 256);
        }
    }

    @Test
    void everySingleFlippedBitOfARandomRecordIsRejected() {
        theory().forAll(versions(), offsets()).checkAssert((version, offset) -> assertEveryBitFlipRejected(version, offset, 48));
    }

    @Test
    void aFlippedBitInThePaddingLeavesTheRecordIntact() {
        // The checksum covers [12, length); padding lies outside the record and is never read.
        RecordVersion version = examples().get(1);
        byte[] bytes = RecordFormat.toBytes(version);
        int length = RecordFormat.encodedLength(version);
        assertTrue(length < bytes.length, "the example needs padding");
        for (int bit = length * 8; bit < bytes.length * 8; bit++) {
            byte[] flipped = bytes.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertEquals(length, RecordFormat.validLength(ByteBuffer.wrap(flipped), 0, flipped.length));
            assertEquals(version, RecordFormat.fromBytes(flipped));
        }
    }

    @Test
    void aTruncatedRecordIsRejected() {
        for (RecordVersion version : examples()) {
            byte[] bytes = RecordFormat.toBytes(version);
            int length = RecordFormat.encodedLength(version);
            ByteBuffer block = ByteBuffer.allocate(bytes.length + 16).put(16, bytes);
            for (int limit = 16; limit < 16 + length; limit++) {
                assertEquals(-1, RecordFormat.validLength(block, 16, limit), "limit " + limit);
            }
            assertEquals(length, RecordFormat.validLength(block, 16, 16 + length));
            for (int size = 0; size < length; size++) {
                byte[] truncated = Arrays.copyOf(bytes, size);
                assertThrows(DecodeException.class, () -> RecordFormat.fromBytes(truncated), "size " + size);
            }
        }
    }

    @Test
    void zerosAreNotARecord() {
        ByteBuffer zeros = ByteBuffer.allocate(4096);
        assertFalse(RecordFormat.hasMagic(zeros, 0));
        assertEquals(-1, RecordFormat.validLength(zeros, 0, 4096));
    }

    @Test
    void aChecksummedRecordWhoseBinsDoNotDecodeIsRefusedByDecode() {
        RecordVersion garbage = new RecordVersion(KeyDigest.of("test", 1), "test", 1, 0, 1, 0, 1, false,
                new byte[] {1, 1, 0, 0x11, 0x01});
        byte[] bytes = RecordFormat.toBytes(garbage);
        assertTrue(RecordFormat.validLength(ByteBuffer.wrap(bytes), 0, bytes.length) > 0);
        assertThrows(DecodeException.class, () -> RecordFormat.fromBytes(bytes));
    }

    // ---------------------------------------------------------------- helpers

    private static void assertBackToBackRoundTrip(ByteBuffer block, int offset, List<RecordVersion> versions) {
        for (int i = 0; i < block.capacity(); i++) {
            block.put(i, FILL);
        }
        block.position(offset);
        List<Integer> starts = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        long sequence = 41;
        for (RecordVersion version : versions) {
            int start = block.position();
            int length = RecordFormat.encode(version, sequence++, block);
            assertEquals(RecordFormat.encodedLength(version), length);
            assertEquals(start + RecordFormat.paddedLength(length), block.position());
            for (int i = start + length; i < block.position(); i++) {
                assertEquals(0, block.get(i), "padding at " + i);
            }
            starts.add(start);
            lengths.add(length);
        }
        for (int i = 0; i < offset; i++) {
            assertEquals(FILL, block.get(i), "byte before the first record at " + i);
        }
        for (int i = block.position(); i < block.capacity(); i++) {
            assertEquals(FILL, block.get(i), "byte after the last record at " + i);
        }
        sequence = 41;
        for (int i = 0; i < versions.size(); i++) {
            int start = starts.get(i);
            assertTrue(RecordFormat.hasMagic(block, start));
            assertEquals(lengths.get(i), RecordFormat.validLength(block, start, block.capacity()));
            assertEquals(sequence++, RecordFormat.blockSequence(block, start));
            assertEquals(versions.get(i), RecordFormat.decode(block, start, lengths.get(i)));
        }
    }

    /**
     * Flips each bit of the record's {@code length} bytes, one at a time, in a buffer that holds
     * the record at {@code offset} followed by {@code slack} more bytes of another record's worth
     * of data (so that a flipped length can point past the record and still fit the limit).
     */
    private static void assertEveryBitFlipRejected(RecordVersion version, int offset, int slack) {
        int length = RecordFormat.encodedLength(version);
        int padded = RecordFormat.paddedLength(length);
        ByteBuffer block = ByteBuffer.allocate(offset + padded + slack);
        block.position(offset);
        RecordFormat.encode(version, 7, block);
        for (int i = offset + padded; i < block.capacity(); i++) {
            block.put(i, (byte) i);
        }
        int limit = block.capacity();
        assertEquals(length, RecordFormat.validLength(block, offset, limit));
        for (int bit = 0; bit < length * 8; bit++) {
            int at = offset + bit / 8;
            byte mask = (byte) (1 << (bit % 8));
            block.put(at, (byte) (block.get(at) ^ mask));
            int valid = RecordFormat.validLength(block, offset, limit);
            block.put(at, (byte) (block.get(at) ^ mask));
            int flippedBit = bit;
            assertEquals(-1, valid, () -> "bit " + flippedBit + " (byte " + flippedBit / 8 + ") flipped in " + version);
        }
        assertEquals(length, RecordFormat.validLength(block, offset, limit));
    }

    /** Hand-picked versions: tombstone, empty set, longest set, extreme header fields, rich bins. */
    private static List<RecordVersion> examples() {
        Map<String, Value> bins = new HashMap<>();
        bins.put("a", Value.of(1));
        bins.put("b", Value.of("x"));
        bins.put("list", Value.list(List.of(Value.of(1.5), Value.of(true), Value.of(new byte[] {1, 2}))));
        bins.put("map", Value.map(Map.of(Value.of("k"), Value.of(-1))));
        bins.put("\uD83D\uDE00", Value.of("κλειδί"));
        byte[] encoded = ValueCodec.encodeBins(Bins.of(bins));
        String longestSet = "s".repeat(63);
        return List.of(
                new RecordVersion(KeyDigest.of("test", 1), "test", 1, 0, 1, 0, 1, false,
                        ValueCodec.encodeBins(Bins.of("a", Value.of(1)))),
                new RecordVersion(KeyDigest.of("", "k"), "", 2, 1_900_000_000L, 123_456_789L, 3, 42, false, encoded),
                new RecordVersion(KeyDigest.of(longestSet, new byte[] {0}), longestSet, Integer.MAX_VALUE, 0xFFFF_FFFFL,
                        Long.MIN_VALUE, 65535, Long.MAX_VALUE, false, encoded),
                new RecordVersion(KeyDigest.of("test", -1), "test", 9, 0, -1L, 1, 1000, true, RecordVersion.NO_BINS),
                new RecordVersion(KeyDigest.of("test", "no bins"), "test", 1, 0, 0, 0, 0, false, RecordVersion.NO_BINS));
    }

    private static QuickTheory theory() {
        return QuickTheory.qt().withExamples(EXAMPLES).withFixedSeed(SEED);
    }

    private static Gen<Integer> offsets() {
        return in -> draw(in, 0, 1) == 0 ? 16 * draw(in, 0, 8) : draw(in, 0, 127);
    }

    /** Random versions: any header fields, a set of 0 to 63 bytes, up to 6 bins of scalars and lists. */
    private static Gen<RecordVersion> versions() {
        return in -> {
            String set = "s".repeat(draw(in, 0, 63));
            Map<String, Value> bins = new HashMap<>();
            int count = draw(in, 0, 6);
            for (int i = 0; i < count; i++) {
                bins.put("bin" + draw(in, 0, 99), value(in, 2));
            }
            boolean tombstone = draw(in, 0, 3) == 0;
            return new RecordVersion(KeyDigest.of(set, anyLong(in)), set, (int) anyLong(in),
                    in.next(Constraint.between(0, 0xFFFF_FFFFL)), anyLong(in), draw(in, 0, 65535), anyLong(in),
                    tombstone, tombstone ? RecordVersion.NO_BINS : ValueCodec.encodeBins(Bins.of(bins)));
        };
    }

    private static Value value(RandomnessSource in, int depth) {
        switch (draw(in, 0, depth > 0 ? 4 : 3)) {
            case 0:
                return Value.of(anyLong(in));
            case 1:
                return Value.of(Double.longBitsToDouble(anyLong(in)));
            case 2: {
                byte[] bytes = new byte[draw(in, 0, 40)];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) draw(in, 0, 255);
                }
                return Value.of(bytes);
            }
            case 3:
                return Value.of("v".repeat(draw(in, 0, 40)));
            default: {
                List<Value> elements = new ArrayList<>();
                int size = draw(in, 0, 4);
                for (int i = 0; i < size; i++) {
                    elements.add(value(in, depth - 1));
                }
                return Value.list(elements);
            }
        }
    }

    private static long anyLong(RandomnessSource in) {
        return in.next(Constraint.between(Long.MIN_VALUE, Long.MAX_VALUE));
    }

    private static int draw(RandomnessSource in, int min, int max) {
        return (int) in.next(Constraint.between(min, max));
    }
}
