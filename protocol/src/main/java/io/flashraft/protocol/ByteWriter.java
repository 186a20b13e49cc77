package io.flashraft.protocol;

import java.util.Arrays;

/** A growable big-endian byte buffer for encoders. Not thread-safe. */
public final class ByteWriter {
    private byte[] buffer;
    private int size;

    public ByteWriter(int initialCapacity) {
        buffer = new byte[Math.max(16, initialCapacity)];
    }

    /** Bytes written so far. */
    public int size() {
        return size;
    }

    /** Forgets what was written, keeping the capacity. */
    public void reset() {
        size = 0;
    }

    public void writeByte(int b) {
        ensure(1);
        buffer[size++] = (byte) b;
    }

    public void writeShort(int v) {
        ensure(2);
        buffer[size++] = (byte) (v >>> 8);
        buffer[size++] = (byte) v;
    }

    public void writeInt(int v) {
        ensure(4);
        for (int shift = 24; shift >= 0; shift -= 8) {
            buffer[size++] = (byte) (v >>> shift);
        }
    }

    public void writeLong(long v) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buffer[size++] = (byte) (v >>> shift);
        }
    }

    /** Unsigned LEB128 of a non-negative int. */
    public void writeVarint(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("varint of negative " + v);
        }
        ensure(5);
        while ((v & ~0x7F) != 0) {
            buffer[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buffer[size++] = (byte) v;
    }

    public void writeBytes(byte[] bytes, int offset, int length) {
        ensure(length);
        System.arraycopy(bytes, offset, buffer, size, length);
        size += length;
    }

    /** Writes {@code length:varint} then the string's UTF-8 bytes. */
    public void writeString(String s) {
        writeLengthPrefixed(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes {@code length:varint} then the bytes. */
    public void writeLengthPrefixed(byte[] bytes) {
        writeVarint(bytes.length);
        writeBytes(bytes, 0, bytes.length);
    }

    /** The array behind the writer; valid bytes are [0, size()). */
    public byte[] array() {
        return buffer;
    }

    /** A copy of what was written. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buffer, size);
    }

    private void ensure(int more) {
        if (size + more > buffer.length) {
            int needed = size + more;
            if (needed < 0) {
                throw new IllegalStateException("encoding larger than 2 GiB");
            }
            buffer = Arrays.copyOf(buffer, Math.max(needed, buffer.length * 2));
        }
    }
}
