package io.flashraft.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.impl.Constraint;

/**
 * QuickTheories generators of values and bins for codec and model properties.
 *
 * <p>Values cover all seven types, nest lists and maps up to a given depth with at most
 * {@value #MAX_ELEMENTS} elements each (so a value has at most {@code 5^depth} leaves), and lean
 * towards the edges: empty containers, extreme integers, NaN and signed zeros, code points of
 * every UTF-8 length. Every draw goes through the randomness source, so QuickTheories can shrink.
 */
final class ValueGenerators {
    /** Most elements in a generated list or map. */
    static final int MAX_ELEMENTS = 5;

    private static final long[] EDGE_INTEGERS = {0, 1, -1, 127, 128, 255, 256, Integer.MAX_VALUE,
            Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE};
    private static final double[] EDGE_DOUBLES = {0.0, -0.0, 1.0, -1.5, Double.NaN,
            Double.longBitsToDouble(0x7ff8_0000_0000_0001L), Double.longBitsToDouble(0xfff8_0000_0000_0000L),
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE,
            Double.MIN_NORMAL};

    private ValueGenerators() {
    }

    /** Values of every type, lists and maps nested at most {@code maxDepth} deep. */
    static Gen<Value> values(int maxDepth) {
        return in -> value(in, maxDepth);
    }

    /** Values that are not lists or maps. */
    static Gen<Value> scalars() {
        return in -> scalar(in);
    }

    /** Bin names: 1 to 15 bytes of well-formed UTF-8, from all four UTF-8 lengths. */
    static Gen<String> binNames() {
        return ValueGenerators::binName;
    }

    /** Bins: up to 8 bins, values nested at most 3 deep. */
    static Gen<Bins> bins() {
        return in -> {
            int count = draw(in, 0, 8);
            Map<String, Value> bins = new HashMap<>();
            for (int i = 0; i < count; i++) {
                bins.put(binName(in), value(in, 3));
            }
            return Bins.of(bins);
        };
    }

    static Value value(RandomnessSource in, int maxDepth) {
        if (maxDepth <= 0 || draw(in, 0, 3) > 0) {
            return scalar(in);
        }
        int size = draw(in, 0, MAX_ELEMENTS);
        if (draw(in, 0, 1) == 0) {
            List<Value> elements = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                elements.add(value(in, maxDepth - 1));
            }
            return Value.list(elements);
        }
        Map<Value, Value> entries = new HashMap<>();
        for (int i = 0; i < size; i++) {
            entries.put(value(in, maxDepth - 1), value(in, maxDepth - 1));
        }
        return Value.map(entries);
    }

    static Value scalar(RandomnessSource in) {
        switch (draw(in, 0, 4)) {
            case 0:
                return Value.of(draw(in, 0, 1) == 0
                        ? EDGE_INTEGERS[draw(in, 0, EDGE_INTEGERS.length - 1)]
                        : in.next(Constraint.between(Long.MIN_VALUE, Long.MAX_VALUE).withShrinkPoint(0)));
            case 1:
                return Value.of(draw(in, 0, 1) == 0
                        ? EDGE_DOUBLES[draw(in, 0, EDGE_DOUBLES.length - 1)]
                        : Double.longBitsToDouble(in.next(Constraint.between(Long.MIN_VALUE, Long.MAX_VALUE))));
            case 2:
                return Value.of(string(in, draw(in, 0, 12)));
            case 3: {
                byte[] bytes = new byte[draw(in, 0, 16)];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) draw(in, 0, 255);
                }
                return Value.of(bytes);
            }
            default:
                return Value.of(draw(in, 0, 1) == 1);
        }
    }

    /** A string of {@code codePoints} code points, of one to four UTF-8 bytes each, never a surrogate. */
    static String string(RandomnessSource in, int codePoints) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < codePoints; i++) {
            s.appendCodePoint(codePoint(in));
        }
        return s.toString();
    }

    private static String binName(RandomnessSource in) {
        StringBuilder name = new StringBuilder().appendCodePoint(codePoint(in));
        int budget = draw(in, 1, Bins.MAX_NAME_BYTES);
        while (true) {
            int next = codePoint(in);
            String longer = new StringBuilder(name).appendCodePoint(next).toString();
            if (longer.getBytes(StandardCharsets.UTF_8).length > budget) {
                return name.toString();
            }
            name = new StringBuilder(longer);
        }
    }

    private static int codePoint(RandomnessSource in) {
        switch (draw(in, 0, 5)) {
            case 0:
            case 1:
                return draw(in, 'a', 'e');
            case 2:
                return draw(in, 0, 0x7F);
            case 3:
                return draw(in, 0x80, 0x7FF);
            case 4:
                // Three bytes: below the surrogates, or U+E000..U+FFFF, which UTF-16 order puts
                // after the supplementary planes and UTF-8 order before them.
                return draw(in, 0, 1) == 0 ? draw(in, 0x800, 0xD7FF) : draw(in, 0xE000, 0xFFFF);
            default:
                return draw(in, 0x10000, Character.MAX_CODE_POINT);
        }
    }

    static int draw(RandomnessSource in, int min, int max) {
        return (int) in.next(Constraint.between(min, max));
    }
}
