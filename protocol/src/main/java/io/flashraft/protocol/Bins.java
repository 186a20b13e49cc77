package io.flashraft.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A record's bins: names mapped to values, kept sorted by name (as UTF-8 bytes, the order of string
 * values too) so that equal bins encode equally.
 *
 * <p>A bin name is 1 to {@value #MAX_NAME_BYTES} bytes of UTF-8, as in Aerospike. Immutable.
 */
public final class Bins {
    /** The longest bin name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 15;

    /** Bin names in the order of their UTF-8 bytes (unsigned), which is Unicode code point order. */
    static final Comparator<String> NAME_ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private static final Bins EMPTY = new Bins(Collections.unmodifiableSortedMap(new TreeMap<>(NAME_ORDER)));

    private final SortedMap<String, Value> bins;

    private Bins(SortedMap<String, Value> bins) {
        this.bins = bins;
    }

    /** No bins. */
    public static Bins empty() {
        return EMPTY;
    }

    /**
     * Bins from a map (copied).
     *
     * @throws IllegalArgumentException for a bin name that is empty, too long or not well-formed
     */
    public static Bins of(Map<String, ? extends Value> bins) {
        TreeMap<String, Value> sorted = new TreeMap<>(NAME_ORDER);
        bins.forEach((name, value) -> sorted.put(checkName(name), Objects.requireNonNull(value, "bin value")));
        return new Bins(Collections.unmodifiableSortedMap(sorted));
    }

    /** One bin. */
    public static Bins of(String name, Value value) {
        return of(Map.of(name, value));
    }

    /**
     * Checks a bin name.
     *
     * @throws IllegalArgumentException if it is empty, longer than 15 UTF-8 bytes or not well-formed
     */
    public static String checkName(String name) {
        ValueCodec.checkWellFormed(name, "bin name");
        int length = name.getBytes(StandardCharsets.UTF_8).length;
        if (length == 0 || length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("bin name '" + name + "' is " + length
                    + " bytes of UTF-8; a bin name has 1 to " + MAX_NAME_BYTES);
        }
        return name;
    }

    /** The value of a bin, or null if there is no such bin. */
    public Value get(String name) {
        return bins.get(name);
    }

    /** The bins as an unmodifiable sorted map. */
    public SortedMap<String, Value> asMap() {
        return bins;
    }

    /** The number of bins. */
    public int size() {
        return bins.size();
    }

    public boolean isEmpty() {
        return bins.isEmpty();
    }

    /** These bins with {@code other}'s bins written over them. */
    public Bins merge(Bins other) {
        if (other.isEmpty()) {
            return this;
        }
        TreeMap<String, Value> merged = new TreeMap<>(NAME_ORDER);
        merged.putAll(bins);
        merged.putAll(other.bins);
        return new Bins(Collections.unmodifiableSortedMap(merged));
    }

    /** Only the named bins that exist. */
    public Bins select(Iterable<String> names) {
        TreeMap<String, Value> selected = new TreeMap<>(NAME_ORDER);
        for (String name : names) {
            Value value = bins.get(name);
            if (value != null) {
                selected.put(name, value);
            }
        }
        return new Bins(Collections.unmodifiableSortedMap(selected));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Bins b && bins.equals(b.bins);
    }

    @Override
    public int hashCode() {
        return bins.hashCode();
    }

    @Override
    public String toString() {
        return bins.toString();
    }
}
