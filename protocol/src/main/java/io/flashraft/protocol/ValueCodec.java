package io.flashraft.protocol;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one binary encoding of values and bins, used on the wire, in log entries and on the device.
 *
 * <pre>
 * bins    := version:u8 (=1) count:varint bin*          names strictly increasing as UTF-8 bytes
 * bin     := nameLength:u8 (1..15) name:UTF-8 value
 * value   := type:u8 payload
 *   INTEGER  8 bytes big-endian          DOUBLE  8 bytes IEEE 754 big-endian, NaN only as 7ff8000000000000
 *   STRING   length:varint UTF-8         BYTES   length:varint bytes
 *   BOOLEAN  1 byte, 0 or 1              LIST    count:varint value*
 *   MAP      count:varint (key value)*   keys strictly increasing in {@link Value#ORDER}
 * varint  := unsigned LEB128, at most 5 bytes, at most 2^31-1
 * </pre>
 *
 * Decoding trusts nothing: every length is checked against the bytes that remain before
 * anything is allocated, nesting is bounded by {@value #MAX_DEPTH}, strings must be valid UTF-8,
 * and non-canonical input (unsorted keys, duplicate names) is refused, so decode(encode(x)) = x
 * and encode(decode(b)) = b for every b that decodes.
 */
public final class ValueCodec {
    /** The version byte that opens an encoding of bins. */
    public static final int BINS_VERSION = 1;
    /** The deepest nesting of lists and maps that decodes. */
    public static final int MAX_DEPTH = 32;

    private static final int MIN_VALUE_BYTES = 2;

    private ValueCodec() {
    }

    /** The encoding of bins. */
    public static byte[] encodeBins(Bins bins) {
        ByteWriter out = new ByteWriter(64);
        writeBins(out, bins);
        return out.toByteArray();
    }

    /** Appends the encoding of bins. */
    public static void writeBins(ByteWriter out, Bins bins) {
        out.writeByte(BINS_VERSION);
        out.writeVarint(bins.size());
        for (Map.Entry<String, Value> bin : bins.asMap().entrySet()) {
            byte[] name = bin.getKey().getBytes(StandardCharsets.UTF_8);
            out.writeByte(name.length);
            out.writeBytes(name, 0, name.length);
            writeValue(out, bin.getValue());
        }
    }

    /** The encoding of one value. */
    public static byte[] encodeValue(Value value) {
        ByteWriter out = new ByteWriter(16);
        writeValue(out, value);
        return out.toByteArray();
    }

    /**
     * Appends the encoding of one value.
     *
     * @throws IllegalArgumentException if lists and maps nest deeper than {@value #MAX_DEPTH}, which
     *                                  the decoder would refuse
     */
    public static void writeValue(ByteWriter out, Value value) {
        writeValue(out, value, 0);
    }

    private static void writeValue(ByteWriter out, Value value, int depth) {
        if ((value instanceof Value.ListValue || value instanceof Value.MapValue) && depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("lists and maps nested deeper than " + MAX_DEPTH);
        }
        out.writeByte(value.type().code());
        if (value instanceof Value.IntegerValue v) {
            out.writeLong(v.value());
        } else if (value instanceof Value.DoubleValue v) {
            // doubleToLongBits collapses every NaN to one bit pattern: equal values, equal bytes.
            out.writeLong(Double.doubleToLongBits(v.value()));
        } else if (value instanceof Value.StringValue v) {
            byte[] utf8 = v.value().getBytes(StandardCharsets.UTF_8);
            out.writeVarint(utf8.length);
            out.writeBytes(utf8, 0, utf8.length);
        } else if (value instanceof Value.BytesValue v) {
            byte[] bytes = v.unsafeBytes();
            out.writeVarint(bytes.length);
            out.writeBytes(bytes, 0, bytes.length);
        } else if (value instanceof Value.BooleanValue v) {
            out.writeByte(v.value() ? 1 : 0);
        } else if (value instanceof Value.ListValue v) {
            out.writeVarint(v.elements().size());
            for (Value element : v.elements()) {
                writeValue(out, element, depth + 1);
            }
        } else {
            Value.MapValue v = (Value.MapValue) value;
            out.writeVarint(v.entries().size());
            for (Map.Entry<Value, Value> entry : v.entries().entrySet()) {
                writeValue(out, entry.getKey(), depth + 1);
                writeValue(out, entry.getValue(), depth + 1);
            }
        }
    }

    /**
     * Decodes bins that fill the whole array.
     *
     * @throws DecodeException if the bytes are not exactly one canonical encoding of bins
     */
    public static Bins decodeBins(byte[] bytes) {
        return decodeBins(bytes, 0, bytes.length);
    }

    /**
     * Decodes bins that fill {@code bytes[offset, offset + length)}.
     *
     * @throws DecodeException if the range is not exactly one canonical encoding of bins
     */
    public static Bins decodeBins(byte[] bytes, int offset, int length) {
        ByteReader in = new ByteReader(bytes, offset, length);
        Bins bins = readBins(in);
        in.expectEnd("bins");
        return bins;
    }

    /** Reads one encoding of bins from the reader's position. */
    public static Bins readBins(ByteReader in) {
        int version = in.readUnsignedByte();
        if (version != BINS_VERSION) {
            throw new DecodeException("bins encoding version " + version + " is not the known version "
                    + BINS_VERSION);
        }
        int count = in.readCount(MIN_VALUE_BYTES + 1, "bin count");
        TreeMap<String, Value> bins = new TreeMap<>();
        String previous = null;
        for (int i = 0; i < count; i++) {
            int nameLength = in.readUnsignedByte();
            if (nameLength == 0 || nameLength > Bins.MAX_NAME_BYTES) {
                throw new DecodeException("bin name length " + nameLength + " outside 1.." + Bins.MAX_NAME_BYTES
                        + " at offset " + (in.position() - 1));
            }
            String name = in.readUtf8(nameLength);
            if (previous != null && Bins.NAME_ORDER.compare(name, previous) <= 0) {
                throw new DecodeException("bin '" + name + "' out of order after '" + previous + "'");
            }
            bins.put(name, readValue(in, 0));
            previous = name;
        }
        return Bins.of(bins);
    }

    /**
     * Decodes one value that fills the whole array.
     *
     * @throws DecodeException if the bytes are not exactly one canonical encoding of a value
     */
    public static Value decodeValue(byte[] bytes) {
        ByteReader in = new ByteReader(bytes, 0, bytes.length);
        Value value = readValue(in, 0);
        in.expectEnd("value");
        return value;
    }

    /** Reads one value from the reader's position. */
    public static Value readValue(ByteReader in) {
        return readValue(in, 0);
    }

    private static Value readValue(ByteReader in, int depth) {
        int at = in.position();
        ValueType type = ValueType.ofCode(in.readUnsignedByte());
        switch (type) {
            case INTEGER:
                return Value.of(in.readLong());
            case DOUBLE: {
                long bits = in.readLong();
                double d = Double.longBitsToDouble(bits);
                if (Double.doubleToLongBits(d) != bits) {
                    throw new DecodeException("NaN not in its one canonical form at offset " + (at + 1));
                }
                return Value.of(d);
            }
            case STRING:
                return Value.of(in.readUtf8(in.readCount(1, "string length")));
            case BYTES:
                return Value.BytesValue.wrap(in.readBytes(in.readCount(1, "bytes length")));
            case BOOLEAN: {
                int b = in.readUnsignedByte();
                if (b > 1) {
                    throw new DecodeException("boolean byte " + b + " at offset " + (in.position() - 1));
                }
                return Value.of(b == 1);
            }
            case LIST: {
                checkDepth(depth, at);
                int count = in.readCount(MIN_VALUE_BYTES, "list size");
                List<Value> elements = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    elements.add(readValue(in, depth + 1));
                }
                return new Value.ListValue(elements);
            }
            case MAP: {
                checkDepth(depth, at);
                int count = in.readCount(2 * MIN_VALUE_BYTES, "map size");
                TreeMap<Value, Value> entries = new TreeMap<>(Value.ORDER);
                Value previous = null;
                for (int i = 0; i < count; i++) {
                    Value key = readValue(in, depth + 1);
                    if (previous != null && Value.ORDER.compare(key, previous) <= 0) {
                        throw new DecodeException("map key out of order at offset " + at);
                    }
                    entries.put(key, readValue(in, depth + 1));
                    previous = key;
                }
                return new Value.MapValue(entries);
            }
            default:
                throw new DecodeException("unhandled value type " + type);
        }
    }

    private static void checkDepth(int depth, int at) {
        if (depth >= MAX_DEPTH) {
            throw new DecodeException("lists and maps nested deeper than " + MAX_DEPTH + " at offset " + at);
        }
    }

    /**
     * Checks that a string is well-formed UTF-16 (no unpaired surrogate), so that its UTF-8
     * encoding is exact: {@link String#getBytes} would turn an unpaired surrogate into '?'.
     *
     * @throws IllegalArgumentException if it is not
     */
    static String checkWellFormed(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " has an unpaired surrogate at index " + i
                        + ": it has no UTF-8 encoding");
            }
        }
        return s;
    }

    /** Strict UTF-8: malformed input is an error, not a replacement character. */
    static String strictUtf8(byte[] bytes, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes, offset, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new DecodeException("malformed UTF-8 at offset " + offset);
        }
    }
}
