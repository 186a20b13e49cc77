package io.flashraft.protocol;

import static io.flashraft.protocol.TestTheories.theory;
import static io.flashraft.protocol.ValueGenerators.draw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;

/**
 * The decoders fed garbage: random bytes, and valid encodings with bytes flipped, inserted,
 * deleted, overwritten or truncated. Each input either decodes, and then re-encodes to exactly
 * the same bytes, or is refused with {@link DecodeException}; nothing else may escape (no
 * IndexOutOfBounds, NegativeArraySize, OutOfMemoryError or StackOverflowError).
 *
 * <p>Work is bounded by input size, not by a clock: inputs are at most a few KiB, and the bytes a
 * decode allocates are checked against a fixed multiple of the input's length.
 */
class DecoderFuzzTest {
    /** Bytes that make random input reach deep into the decoder: type codes, varint edges, ASCII. */
    private static final int[] INTERESTING_BYTES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x11, 0x13, 0x14, 0x0f, 0x10,
            0x7f, 0x80, 0x81, 0xc3, 0xed, 0xf0, 0xff, 0x61, 0x62};
    /** Allocation allowed per input byte, generously above the decoder's constant factor. */
    private static final long ALLOCATED_BYTES_PER_INPUT_BYTE = 4096;
    private static final long ALLOCATED_BYTES_BASE = 1 << 20;

    @Test
    void randomBytesDecodeCanonicallyOrAreRefused() {
        theory().forAll(randomBytes(256)).checkAssert(DecoderFuzzTest::decodesCanonicallyOrIsRefused);
    }

    @Test
    void mutatedValueEncodingsDecodeCanonicallyOrAreRefused() {
        theory().forAll(mutated(ValueGenerators.values(4).map(ValueCodec::encodeValue)))
                .checkAssert(DecoderFuzzTest::decodesCanonicallyOrIsRefused);
    }

    @Test
    void mutatedBinsEncodingsDecodeCanonicallyOrAreRefused() {
        theory().forAll(mutated(ValueGenerators.bins().map(ValueCodec::encodeBins)))
                .checkAssert(DecoderFuzzTest::decodesCanonicallyOrIsRefused);
    }

    @Test
    void deeplyNestedGarbageIsRefusedWithoutExhaustingTheStack() {
        theory().forAll(nestingGarbage()).checkAssert(DecoderFuzzTest::decodesCanonicallyOrIsRefused);
    }

    /** Feeds one input to both decoders. */
    static void decodesCanonicallyOrIsRefused(byte[] input) {
        check(input, "decodeBins", ValueCodec::decodeBins, ValueCodec::encodeBins);
        check(input, "decodeValue", ValueCodec::decodeValue, ValueCodec::encodeValue);
    }

    private static <T> void check(byte[] input, String decoderName, Function<byte[], T> decoder,
                                  Function<T, byte[]> encoder) {
        com.sun.management.ThreadMXBean threads = ValueCodecTest.allocationCounter();
        long threadId = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(threadId);
        T decoded;
        try {
            decoded = decoder.apply(input);
        } catch (DecodeException refused) {
            decoded = null;
        } catch (RuntimeException | Error e) {
            throw new AssertionError(decoderName + "(" + Hex.encode(input) + ") threw " + e, e);
        }
        long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        long bound = ALLOCATED_BYTES_BASE + ALLOCATED_BYTES_PER_INPUT_BYTE * input.length;
        assertTrue(allocated <= bound,
                () -> decoderName + "(" + Hex.encode(input) + ") allocated " + allocated + " bytes");
        if (decoded != null) {
            T accepted = decoded;
            assertArrayEquals(input, encoder.apply(decoded),
                    () -> decoderName + "(" + Hex.encode(input) + ") accepted a non-canonical form of " + accepted);
        }
    }

    /** Random arrays up to {@code maxLength} bytes, drawn half from interesting bytes. */
    static Gen<byte[]> randomBytes(int maxLength) {
        return in -> {
            byte[] bytes = new byte[draw(in, 0, maxLength)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = randomByte(in);
            }
            return bytes;
        };
    }

    /** Valid encodings with one to eight mutations, sometimes truncated. */
    static Gen<byte[]> mutated(Gen<byte[]> valid) {
        return in -> {
            byte[] bytes = valid.generate(in);
            int mutations = draw(in, 1, 8);
            for (int m = 0; m < mutations; m++) {
                bytes = mutate(in, bytes);
            }
            return bytes;
        };
    }

    /** Runs of list and map openers, often deeper than MAX_DEPTH, with a few random bytes among them. */
    static Gen<byte[]> nestingGarbage() {
        return in -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int openers = draw(in, ValueCodec.MAX_DEPTH - 2, 4 * ValueCodec.MAX_DEPTH);
            for (int i = 0; i < openers; i++) {
                int kind = draw(in, 0, 2);
                out.write(kind == 0 ? 0x14 : 0x13); // a list or a map ...
                out.write(draw(in, 0, 15) == 0 ? randomByte(in) : 0x01); // ... of one element, mostly ...
                if (kind == 2) {
                    out.writeBytes(new byte[] {0x11, 0x00}); // ... a map whose key is false and value follows
                }
            }
            int tail = draw(in, 0, 16);
            for (int i = 0; i < tail; i++) {
                out.write(randomByte(in));
            }
            return out.toByteArray();
        };
    }

    private static byte[] mutate(RandomnessSource in, byte[] bytes) {
        if (bytes.length == 0) {
            return new byte[] {randomByte(in)};
        }
        int at = draw(in, 0, bytes.length - 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (draw(in, 0, 4)) {
            case 0: { // flip one bit
                byte[] copy = bytes.clone();
                copy[at] ^= (byte) (1 << draw(in, 0, 7));
                return copy;
            }
            case 1: { // overwrite one byte
                byte[] copy = bytes.clone();
                copy[at] = randomByte(in);
                return copy;
            }
            case 2: // insert one byte
                out.write(bytes, 0, at);
                out.write(randomByte(in));
                out.write(bytes, at, bytes.length - at);
                return out.toByteArray();
            case 3: // delete one byte
                out.write(bytes, 0, at);
                out.write(bytes, at + 1, bytes.length - at - 1);
                return out.toByteArray();
            default: // truncate
                out.write(bytes, 0, at);
                return out.toByteArray();
        }
    }

    private static byte randomByte(RandomnessSource in) {
        return (byte) (draw(in, 0, 1) == 0
                ? INTERESTING_BYTES[draw(in, 0, INTERESTING_BYTES.length - 1)]
                : draw(in, 0, 255));
    }
}
