package io.flashraft.protocol;

import java.util.Arrays;

/**
 * A bounds-checked big-endian reader over a byte range. Every read that would pass the end
 * throws {@link DecodeException} naming the offset; nothing is allocated from an unchecked length.
 */
public final class ByteReader {
    private final byte[] bytes;
    private final int limit;
    private int position;

    public ByteReader(byte[] bytes, int offset, int length) {
        if (offset < 0 || length < 0 || offset > bytes.length - length) {
            throw new DecodeException("range [" + offset + ", +" + length + ") outside " + bytes.length + " bytes");
        }
        this.bytes = bytes;
        this.position = offset;
        this.limit = offset + length;
    }

    public int position() {
        return position;
    }

    public int remaining() {
        return limit - position;
    }

    public int readUnsignedByte() {
        need(1);
        return bytes[position++] & 0xFF;
    }

    public int readUnsignedShort() {
        need(2);
        int v = (bytes[position] & 0xFF) << 8 | (bytes[position + 1] & 0xFF);
        position += 2;
        return v;
    }

    public int readInt() {
        need(4);
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = (v << 8) | (bytes[position++] & 0xFF);
        }
        return v;
    }

    public long readLong() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (bytes[position++] & 0xFF);
        }
        return v;
    }

    /** Unsigned LEB128, at most 5 bytes and at most Integer.MAX_VALUE. */
    public int readVarint() {
        int at = position;
        long v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = readUnsignedByte();
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (v > Integer.MAX_VALUE) {
                    throw new DecodeException("varint " + v + " over 2^31-1 at offset " + at);
                }
                if (shift > 0 && b == 0) {
                    throw new DecodeException("varint not in shortest form at offset " + at);
                }
                return (int) v;
            }
        }
        throw new DecodeException("varint longer than 5 bytes at offset " + at);
    }

    /**
     * A varint count of items that each take at least {@code minBytesEach}, checked against what
     * remains, so that a hostile count cannot make the caller allocate more than the input's size.
     */
    public int readCount(int minBytesEach, String what) {
        int at = position;
        int count = readVarint();
        if ((long) count * minBytesEach > remaining()) {
            throw new DecodeException(what + " " + count + " at offset " + at + " needs more than the "
                    + remaining() + " bytes that remain");
        }
        return count;
    }

    public byte[] readBytes(int length) {
        need(length);
        byte[] out = Arrays.copyOfRange(bytes, position, position + length);
        position += length;
        return out;
    }

    public String readUtf8(int length) {
        need(length);
        String s = ValueCodec.strictUtf8(bytes, position, length);
        position += length;
        return s;
    }

    /** A string framed as {@code length:varint} then that many bytes of strict UTF-8. */
    public String readString() {
        return readUtf8(readVarint());
    }

    /** Bytes framed as {@code length:varint} then that many bytes. */
    public byte[] readLengthPrefixed() {
        return readBytes(readVarint());
    }

    /** Fails unless every byte of the range was read. */
    public void expectEnd(String what) {
        if (position != limit) {
            throw new DecodeException(remaining() + " bytes left over after " + what + " at offset " + position);
        }
    }

    private void need(int n) {
        if (n < 0 || n > limit - position) {
            throw new DecodeException("need " + n + " bytes at offset " + position + " but only "
                    + (limit - position) + " remain");
        }
    }
}
