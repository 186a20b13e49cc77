package io.flashraft.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A bin value: integer (64-bit), double, string, bytes, boolean, list or map.
 *
 * <p>Values are immutable. They have one total order ({@link #ORDER}: by type code, then by
 * content), which keeps map keys sorted, so that equal values always have equal encodings: a
 * replica can compare digests of encoded records and trust the answer.
 */
public sealed interface Value
        permits Value.IntegerValue, Value.DoubleValue, Value.StringValue, Value.BytesValue,
        Value.BooleanValue, Value.ListValue, Value.MapValue {

    /** The total order on values: type code first, then content. */
    Comparator<Value> ORDER = Value::compareValues;

    /** This value's type. */
    ValueType type();

    static IntegerValue of(long value) {
        return new IntegerValue(value);
    }

    static DoubleValue of(double value) {
        return new DoubleValue(value);
    }

    static StringValue of(String value) {
        return new StringValue(value);
    }

    static BytesValue of(byte[] value) {
        return new BytesValue(value);
    }

    static BooleanValue of(boolean value) {
        return new BooleanValue(value);
    }

    static ListValue list(List<? extends Value> elements) {
        return new ListValue(List.copyOf(elements));
    }

    static MapValue map(Map<? extends Value, ? extends Value> entries) {
        TreeMap<Value, Value> sorted = new TreeMap<>(ORDER);
        sorted.putAll(entries);
        return new MapValue(sorted);
    }

    /** A 64-bit signed integer. */
    record IntegerValue(long value) implements Value {
        @Override
        public String toString() {
            return Long.toString(value);
        }

        @Override
        public ValueType type() {
            return ValueType.INTEGER;
        }
    }

    /** An IEEE 754 double; equality and order follow {@link Double#compare}. */
    record DoubleValue(double value) implements Value {
        @Override
        public String toString() {
            return Double.toString(value);
        }

        @Override
        public ValueType type() {
            return ValueType.DOUBLE;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof DoubleValue d && Double.compare(value, d.value) == 0;
        }

        @Override
        public int hashCode() {
            return Double.hashCode(value);
        }
    }

    /** A Unicode string, encoded as UTF-8; an unpaired surrogate is refused (IllegalArgumentException). */
    record StringValue(String value) implements Value {
        public StringValue {
            ValueCodec.checkWellFormed(Objects.requireNonNull(value, "string value"), "string value");
        }

        @Override
        public String toString() {
            return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }

        @Override
        public ValueType type() {
            return ValueType.STRING;
        }
    }

    /** An opaque byte string. The array is copied in and out: the value stays immutable. */
    final class BytesValue implements Value {
        private final byte[] bytes;

        public BytesValue(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        /** Wraps without copying; for decoders that own the array. */
        static BytesValue wrap(byte[] bytes) {
            return new BytesValue(bytes, true);
        }

        private BytesValue(byte[] bytes, boolean owned) {
            this.bytes = bytes;
        }

        /** A copy of the bytes. */
        public byte[] value() {
            return bytes.clone();
        }

        /** The number of bytes. */
        public int length() {
            return bytes.length;
        }

        byte[] unsafeBytes() {
            return bytes;
        }

        @Override
        public ValueType type() {
            return ValueType.BYTES;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof BytesValue b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "0x" + Hex.encode(bytes);
        }
    }

    /** A boolean. */
    record BooleanValue(boolean value) implements Value {
        @Override
        public String toString() {
            return Boolean.toString(value);
        }

        @Override
        public ValueType type() {
            return ValueType.BOOLEAN;
        }
    }

    /** An ordered list of values; the list is copied, and nulls are refused. */
    record ListValue(List<Value> elements) implements Value {
        public ListValue {
            elements = List.copyOf(elements);
        }

        @Override
        public String toString() {
            return elements.toString();
        }

        @Override
        public ValueType type() {
            return ValueType.LIST;
        }
    }

    /** A map from values to values, kept in key order ({@link #ORDER}); nulls are refused. */
    record MapValue(SortedMap<Value, Value> entries) implements Value {
        public MapValue {
            TreeMap<Value, Value> sorted = new TreeMap<>(ORDER);
            entries.forEach((k, v) -> sorted.put(Objects.requireNonNull(k, "map key"),
                    Objects.requireNonNull(v, "map value")));
            entries = Collections.unmodifiableSortedMap(sorted);
        }

        @Override
        public String toString() {
            return entries.toString();
        }

        @Override
        public ValueType type() {
            return ValueType.MAP;
        }
    }

    private static int compareValues(Value a, Value b) {
        int byType = Integer.compare(a.type().code(), b.type().code());
        if (byType != 0) {
            return byType;
        }
        if (a instanceof IntegerValue x) {
            return Long.compare(x.value(), ((IntegerValue) b).value());
        }
        if (a instanceof DoubleValue x) {
            return Double.compare(x.value(), ((DoubleValue) b).value());
        }
        if (a instanceof StringValue x) {
            return Arrays.compareUnsigned(x.value().getBytes(StandardCharsets.UTF_8),
                    ((StringValue) b).value().getBytes(StandardCharsets.UTF_8));
        }
        if (a instanceof BytesValue x) {
            return Arrays.compareUnsigned(x.unsafeBytes(), ((BytesValue) b).unsafeBytes());
        }
        if (a instanceof BooleanValue x) {
            return Boolean.compare(x.value(), ((BooleanValue) b).value());
        }
        if (a instanceof ListValue x) {
            return compareLists(x.elements(), ((ListValue) b).elements());
        }
        MapValue x = (MapValue) a;
        MapValue y = (MapValue) b;
        return compareLists(flatten(x), flatten(y));
    }

    private static int compareLists(List<Value> a, List<Value> b) {
        int common = Math.min(a.size(), b.size());
        for (int i = 0; i < common; i++) {
            int c = compareValues(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static List<Value> flatten(MapValue map) {
        List<Value> flat = new ArrayList<>(map.entries().size() * 2);
        map.entries().forEach((k, v) -> {
            flat.add(k);
            flat.add(v);
        });
        return flat;
    }
}
