package io.flashraft.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The key digest and the partition function against test vectors computed outside Java, with
 * Python's hashlib:
 *
 * <pre>
 * import hashlib, struct
 * def digest(set_name, type_code, key_bytes):
 *     return hashlib.sha256(set_name.encode('utf-8') + b'\x00' + bytes([type_code]) + key_bytes).digest()[:20]
 * def partition(d):
 *     return (d[0] | d[1] &lt;&lt; 8) &amp; 0x0FFF
 * digest('test', 1, struct.pack('&gt;q', -1))    # integer key
 * digest('test', 3, 'κλειδί'.encode('utf-8'))  # string key
 * digest('test', 4, bytes([0, 1, 2, 255]))     # bytes key
 * </pre>
 *
 * The same table is in {@code docs/protocol.md}; change both or neither.
 */
class KeyDigestTest {
    /** The longest set name a store accepts: 63 bytes. */
    private static final String LONG_SET = "a-long-set-name-" + "x".repeat(47);

    private record Vector(String set, Value key, String digestHex, int partition) {
    }

    private static final List<Vector> VECTORS = List.of(
            new Vector("test", Value.of(0), "e36bca736783c6338560cdab3da951e0c072f989", 3043),
            new Vector("test", Value.of(1), "0ed63174b6d97d883b3bf96ac0792bb57da00967", 1550),
            new Vector("test", Value.of(-1), "b281f4098ff4418d15f371476d8abc470fbfdffc", 434),
            new Vector("test", Value.of(1234567890123L), "5f0e3b794f0505a24cc6e9d8a5945ca8ec646dd2", 3679),
            new Vector("test", Value.of(""), "9443cd72af2d72769a49269f1b26626c67707844", 916),
            new Vector("test", Value.of("a"), "460838d6a6dd0aba87cb5713dc2d2cbc27f1ebf1", 2118),
            new Vector("test", Value.of("hello"), "9a88845c3ded13c4b1a508aa45f17a463dfe4b56", 2202),
            new Vector("test", Value.of("κλειδί"), "e9fb9dc9a477ff2b75b6157872c844898baf90d9", 3049),
            new Vector("test", Value.of(new byte[0]), "f938a81dc9bd689d5af9b9b45e4efbde31abf1db", 2297),
            new Vector("test", Value.of(new byte[] {0, 1, 2, (byte) 255}),
                    "876f45240edabc4e3cca0c52f7692f0259f4ab37", 3975),
            new Vector("", Value.of("hello"), "dbe1d1e49e97ff412467f29f9915736911ff819c", 475),
            new Vector("", Value.of(1), "36dd3485b6affcd5d59600c58aca5c1cdc2c01bb", 3382),
            new Vector(LONG_SET, Value.of("hello"), "404aac5c958c3923c770caf5671e8f274121e863", 2624));

    @Test
    void digestsMatchTheIndependentlyComputedVectors() {
        for (Vector v : VECTORS) {
            Digest digest = KeyDigest.of(v.set(), v.key());
            assertEquals(v.digestHex(), digest.toString(), () -> v.set() + " / " + v.key());
            assertEquals(digest, typedDigest(v.set(), v.key()), () -> "typed overload for " + v.key());
        }
    }

    @Test
    void partitionsMatchTheIndependentlyComputedVectors() {
        for (Vector v : VECTORS) {
            Digest digest = Digest.ofHex(v.digestHex());
            assertEquals(v.partition(), digest.partition(), v::digestHex);
            assertEquals(v.partition(), Partitions.of(digest.byteAt(0), digest.byteAt(1)), v::digestHex);
        }
    }

    @Test
    void theLongSetNameIs63Bytes() {
        assertEquals(63, LONG_SET.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }

    @Test
    void thePartitionIsTheLowByteAndTheLowNibbleOfTheNext() {
        assertEquals(0x0000, Partitions.of((byte) 0x00, (byte) 0x00));
        assertEquals(0x00ff, Partitions.of((byte) 0xff, (byte) 0x00));
        assertEquals(0x0f00, Partitions.of((byte) 0x00, (byte) 0x0f));
        assertEquals(0x0fff, Partitions.of((byte) 0xff, (byte) 0xff));
        assertEquals(0x0234, Partitions.of((byte) 0x34, (byte) 0xf2));
    }

    @Test
    void everyPartitionIsHitBySixteenOfTheFirstTwoByteCombinations() {
        int[] hits = new int[Partitions.COUNT];
        for (int b0 = 0; b0 < 256; b0++) {
            for (int b1 = 0; b1 < 256; b1++) {
                hits[Partitions.check(Partitions.of((byte) b0, (byte) b1))]++;
            }
        }
        for (int partition = 0; partition < Partitions.COUNT; partition++) {
            assertEquals(16, hits[partition]);
        }
    }

    @Test
    void keysOfDifferentTypesWithTheSameBytesHaveDifferentDigests() {
        byte[] one = {0, 0, 0, 0, 0, 0, 0, 1};
        assertNotEquals(KeyDigest.of("test", 1L), KeyDigest.of("test", one));
        assertNotEquals(KeyDigest.of("test", "a"), KeyDigest.of("test", new byte[] {'a'}));
        assertNotEquals(KeyDigest.of("test", "a"), KeyDigest.of("tes", "ta"));
    }

    @Test
    void onlyIntegersStringsAndBytesAreKeys() {
        assertThrows(IllegalArgumentException.class, () -> KeyDigest.of("test", Value.of(true)));
        assertThrows(IllegalArgumentException.class, () -> KeyDigest.of("test", Value.of(1.0)));
        assertThrows(IllegalArgumentException.class, () -> KeyDigest.of("test", Value.list(List.of())));
    }

    @Test
    void stringsWithUnpairedSurrogatesAreRefusedRatherThanDigestedAsQuestionMarks() {
        assertThrows(IllegalArgumentException.class, () -> KeyDigest.of("test", "\uD800"));
        assertThrows(IllegalArgumentException.class, () -> KeyDigest.of("\uDC00", "key"));
        assertThrows(IllegalArgumentException.class, () -> KeyDigest.of("\uD800", 1L));
        assertNotEquals(KeyDigest.of("test", "?"), KeyDigest.of("test", "\uD83D\uDE00"));
    }

    @Test
    void digestsCopyTheirBytesAndOrderAsUnsignedBytes() {
        byte[] bytes = Hex.decode("80" + "00".repeat(19));
        Digest digest = Digest.of(bytes);
        bytes[0] = 0;
        assertEquals((byte) 0x80, digest.byteAt(0));
        digest.toBytes()[0] = 1;
        assertEquals((byte) 0x80, digest.byteAt(0));
        assertTrue(digest.compareTo(Digest.ofHex("7f" + "ff".repeat(19))) > 0);
        assertEquals(digest, Digest.of(Hex.decode("ee" + Hex.encode(bytes).replaceFirst("00", "80") + "ee"), 1));
        byte[] target = new byte[22];
        digest.copyTo(target, 1);
        assertArrayEquals(digest.toBytes(), java.util.Arrays.copyOfRange(target, 1, 21));
        assertThrows(IllegalArgumentException.class, () -> Digest.of(new byte[19]));
        assertThrows(DecodeException.class, () -> Digest.of(new byte[30], 11));
        assertThrows(IllegalArgumentException.class, () -> Partitions.check(Partitions.COUNT));
        assertThrows(IllegalArgumentException.class, () -> Partitions.check(-1));
    }

    private static Digest typedDigest(String set, Value key) {
        if (key instanceof Value.IntegerValue i) {
            return KeyDigest.of(set, i.value());
        }
        if (key instanceof Value.StringValue s) {
            return KeyDigest.of(set, s.value());
        }
        return KeyDigest.of(set, ((Value.BytesValue) key).value());
    }
}
