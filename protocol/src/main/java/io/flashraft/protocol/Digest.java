package io.flashraft.protocol;

import java.util.Arrays;

/**
 * The 20-byte address of a record: see {@link KeyDigest} for how it is computed from a key.
 *
 * <p>Immutable; ordered as unsigned bytes.
 */
public final class Digest implements Comparable<Digest> {
    /** Bytes in a digest. */
    public static final int LENGTH = 20;

    private final byte[] bytes;

    private Digest(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * A digest from its 20 bytes (copied).
     *
     * @throws IllegalArgumentException if there are not exactly 20 bytes
     */
    public static Digest of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a digest has " + LENGTH + " bytes, not " + bytes.length);
        }
        return new Digest(bytes.clone());
    }

    /** A digest from 20 bytes of a buffer at an offset (copied). */
    public static Digest of(byte[] source, int offset) {
        if (offset < 0 || offset > source.length - LENGTH) {
            throw new DecodeException("digest at " + offset + " past the end of " + source.length + " bytes");
        }
        return new Digest(Arrays.copyOfRange(source, offset, offset + LENGTH));
    }

    /** A digest from its hex spelling. */
    public static Digest ofHex(String hex) {
        return of(Hex.decode(hex));
    }

    /** A copy of the 20 bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Byte {@code i} of the digest. */
    public byte byteAt(int i) {
        return bytes[i];
    }

    /** Copies the 20 bytes into {@code target} at {@code offset}. */
    public void copyTo(byte[] target, int offset) {
        System.arraycopy(bytes, 0, target, offset, LENGTH);
    }

    /** The partition this digest falls in (0..4095). */
    public int partition() {
        return Partitions.of(bytes[0], bytes[1]);
    }

    @Override
    public int compareTo(Digest other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Digest d && Arrays.equals(bytes, d.bytes);
    }

    @Override
    public int hashCode() {
        return (bytes[4] & 0xFF) | (bytes[5] & 0xFF) << 8 | (bytes[6] & 0xFF) << 16 | (bytes[7] & 0xFF) << 24;
    }

    @Override
    public String toString() {
        return Hex.encode(bytes);
    }
}
