package io.flashraft.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Computes a record's {@link Digest} from its set and user key.
 *
 * <pre>
 * digest = first 20 bytes of SHA-256( UTF-8(set) || 0x00 || keyType || keyBytes )
 *   keyType  = the key's {@link ValueType} code: 1 integer, 3 string, 4 bytes
 *   keyBytes = integer: 8 bytes big-endian two's complement; string: UTF-8; bytes: as they are
 * </pre>
 *
 * Every client in every language must compute exactly this; {@code docs/protocol.md} lists
 * test vectors, and {@code KeyDigestTest} checks them.
 */
public final class KeyDigest {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    });

    private KeyDigest() {
    }

    /** The digest of an integer key. */
    public static Digest of(String set, long key) {
        return compute(set, ValueType.INTEGER, ByteBuffer.allocate(8).putLong(key).array());
    }

    /**
     * The digest of a string key.
     *
     * @throws IllegalArgumentException if the key has an unpaired surrogate (no UTF-8 encoding)
     */
    public static Digest of(String set, String key) {
        ValueCodec.checkWellFormed(key, "key");
        return compute(set, ValueType.STRING, key.getBytes(StandardCharsets.UTF_8));
    }

    /** The digest of a bytes key. */
    public static Digest of(String set, byte[] key) {
        return compute(set, ValueType.BYTES, key);
    }

    /**
     * The digest of a key given as a value.
     *
     * @throws IllegalArgumentException for a value type that cannot be a key
     */
    public static Digest of(String set, Value key) {
        if (key instanceof Value.IntegerValue i) {
            return of(set, i.value());
        }
        if (key instanceof Value.StringValue s) {
            return of(set, s.value());
        }
        if (key instanceof Value.BytesValue b) {
            return of(set, b.unsafeBytes());
        }
        throw new IllegalArgumentException("a key is an integer, a string or bytes, not " + key.type());
    }

    private static Digest compute(String set, ValueType keyType, byte[] keyBytes) {
        // String.getBytes would turn an unpaired surrogate into '?', giving two sets one digest.
        ValueCodec.checkWellFormed(set, "set name");
        MessageDigest sha = SHA256.get();
        sha.reset();
        sha.update(set.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update((byte) keyType.code());
        sha.update(keyBytes);
        byte[] full = sha.digest();
        return Digest.of(full, 0);
    }
}
