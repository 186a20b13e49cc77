package io.flashraft.protocol;

import static io.flashraft.protocol.TestTheories.theory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Values: the one total order, equality, immutability. */
class ValueTest {

    @Test
    void valuesOfDifferentTypesOrderByTypeCode() {
        List<Value> ascending = List.of(Value.of(Long.MAX_VALUE), Value.of(Double.NEGATIVE_INFINITY), Value.of(""),
                Value.of(new byte[0]), Value.of(false), Value.map(Map.of()), Value.list(List.of()));
        assertStrictlyAscending(ascending);
    }

    @Test
    void integersOrderAsSignedNumbers() {
        assertStrictlyAscending(List.of(Value.of(Long.MIN_VALUE), Value.of(-1), Value.of(0), Value.of(1),
                Value.of(Long.MAX_VALUE)));
    }

    @Test
    void doublesOrderAsDoubleCompareWithNegativeZeroBeforeZeroAndNaNLast() {
        assertStrictlyAscending(List.of(Value.of(Double.NEGATIVE_INFINITY), Value.of(-1.0), Value.of(-Double.MIN_VALUE),
                Value.of(-0.0), Value.of(0.0), Value.of(Double.MIN_VALUE), Value.of(Double.MAX_VALUE),
                Value.of(Double.POSITIVE_INFINITY), Value.of(Double.NaN)));
    }

    @Test
    void stringsOrderByTheirUtf8Bytes() {
        // U+FF21 (EF BC A1) before U+1F600 (F0 9F 98 80), unlike UTF-16 order.
        assertStrictlyAscending(List.of(Value.of(""), Value.of("A"), Value.of("a"), Value.of("ab"), Value.of("b"),
                Value.of("é"), Value.of("\uFF21"), Value.of("\uD83D\uDE00")));
    }

    @Test
    void bytesOrderAsUnsignedBytesShorterPrefixFirst() {
        assertStrictlyAscending(List.of(Value.of(new byte[0]), Value.of(new byte[] {0}), Value.of(new byte[] {0, 0}),
                Value.of(new byte[] {0x7f}), Value.of(new byte[] {(byte) 0x80}), Value.of(new byte[] {(byte) 0xff})));
    }

    @Test
    void booleansOrderFalseFirst() {
        assertStrictlyAscending(List.of(Value.of(false), Value.of(true)));
    }

    @Test
    void listsOrderElementByElementThenByLength() {
        assertStrictlyAscending(List.of(Value.list(List.of()), Value.list(List.of(Value.of(1))),
                Value.list(List.of(Value.of(1), Value.of(1))), Value.list(List.of(Value.of(2))),
                Value.list(List.of(Value.of("a")))));
    }

    @Test
    void mapsOrderByTheirEntriesInKeyOrderKeyThenValue() {
        assertStrictlyAscending(List.of(Value.map(Map.of()),
                Value.map(Map.of(Value.of(1), Value.of(1))),
                Value.map(Map.of(Value.of(1), Value.of(2))),
                Value.map(Map.of(Value.of(1), Value.of(2), Value.of(5), Value.of(0))),
                Value.map(Map.of(Value.of(2), Value.of(0)))));
    }

    @Test
    void theOrderIsATotalOrderConsistentWithEquals() {
        theory().forAll(ValueGenerators.values(2), ValueGenerators.values(2), ValueGenerators.values(2))
                .checkAssert((a, b, c) -> {
                    int ab = Value.ORDER.compare(a, b);
                    assertEquals(Integer.signum(ab), -Integer.signum(Value.ORDER.compare(b, a)));
                    assertEquals(ab == 0, a.equals(b));
                    assertEquals(0, Value.ORDER.compare(a, a));
                    if (a.equals(b)) {
                        assertEquals(a.hashCode(), b.hashCode());
                    }
                    List<Value> sorted = new ArrayList<>(List.of(a, b, c));
                    sorted.sort(Value.ORDER);
                    assertTrue(Value.ORDER.compare(sorted.get(0), sorted.get(1)) <= 0);
                    assertTrue(Value.ORDER.compare(sorted.get(1), sorted.get(2)) <= 0);
                    assertTrue(Value.ORDER.compare(sorted.get(0), sorted.get(2)) <= 0);
                });
    }

    @Test
    void doublesAreEqualAsDoubleCompareSays() {
        assertEquals(Value.of(Double.NaN), Value.of(Double.longBitsToDouble(0x7ff8_0000_0000_0001L)));
        assertEquals(Value.of(Double.NaN).hashCode(), Value.of(Double.longBitsToDouble(0x7ff8_0000_0000_0001L)).hashCode());
        assertNotEquals(Value.of(0.0), Value.of(-0.0));
        assertNotEquals(Value.of(1), Value.of(1.0));
    }

    @Test
    void bytesValuesCopyTheArrayInAndOut() {
        byte[] source = {1, 2, 3};
        Value.BytesValue value = Value.of(source);
        source[0] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, value.value());
        value.value()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, value.value());
        byte[] other = {1, 2, 3};
        Value.BytesValue constructed = new Value.BytesValue(other);
        other[2] = 9;
        assertEquals(value, constructed);
        assertEquals(value.hashCode(), constructed.hashCode());
        assertEquals(3, value.length());
        assertEquals("0x010203", value.toString());
    }

    @Test
    void valuesPrintAsTheyWouldBeWritten() {
        assertEquals("42", Value.of(42).toString());
        assertEquals("\"a \\\"b\\\"\"", Value.of("a \"b\"").toString());
        assertEquals("[1, true, 0x00ff]", Value.list(java.util.List.of(Value.of(1), Value.of(true),
                Value.of(new byte[] {0, (byte) 0xff}))).toString());
        assertEquals("{\"k\"=2.5}", Value.map(java.util.Map.of(Value.of("k"), Value.of(2.5))).toString());
    }

    @Test
    void listsAndMapsCopyTheirInputAndCannotBeModified() {
        List<Value> elements = new ArrayList<>(List.of(Value.of(1)));
        Value.ListValue list = Value.list(elements);
        elements.add(Value.of(2));
        assertEquals(List.of(Value.of(1)), list.elements());
        assertThrows(UnsupportedOperationException.class, () -> list.elements().add(Value.of(3)));
        Value.ListValue constructed = new Value.ListValue(elements);
        elements.clear();
        assertEquals(2, constructed.elements().size());

        Map<Value, Value> entries = new HashMap<>(Map.of(Value.of("b"), Value.of(1), Value.of("a"), Value.of(2)));
        Value.MapValue map = Value.map(entries);
        entries.clear();
        assertEquals(List.of(Value.of("a"), Value.of("b")), new ArrayList<>(map.entries().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> map.entries().put(Value.of("c"), Value.of(3)));
        assertThrows(UnsupportedOperationException.class, () -> map.entries().clear());
    }

    @Test
    void nullsAreRefused() {
        assertThrows(NullPointerException.class, () -> Value.list(Arrays.asList(Value.of(1), null)));
        Map<Value, Value> nullValue = new HashMap<>();
        nullValue.put(Value.of(1), null);
        assertThrows(NullPointerException.class, () -> Value.map(nullValue));
        Map<Value, Value> nullKey = new HashMap<>();
        nullKey.put(null, Value.of(1));
        assertThrows(NullPointerException.class, () -> Value.map(nullKey));
        assertThrows(NullPointerException.class, () -> Value.of((String) null));
        assertThrows(NullPointerException.class, () -> Value.of((byte[]) null));
    }

    @Test
    void stringsWithUnpairedSurrogatesAreRefusedBecauseTheyHaveNoUtf8Encoding() {
        assertThrows(IllegalArgumentException.class, () -> Value.of("\uD800"));
        assertThrows(IllegalArgumentException.class, () -> Value.of("a\uDC00b"));
        assertThrows(IllegalArgumentException.class, () -> Value.of("\uDE00\uD83D"));
        assertThrows(IllegalArgumentException.class, () -> Value.of("x\uD83D"));
        assertEquals("\uD83D\uDE00", Value.of("\uD83D\uDE00").value());
    }

    @Test
    void mapKeysThatAreEqualCollapseToOneEntry() {
        Map<Value, Value> entries = new HashMap<>();
        entries.put(Value.of(Double.NaN), Value.of(1));
        entries.put(Value.of(Double.longBitsToDouble(0x7ff8_0000_0000_0001L)), Value.of(2));
        assertEquals(1, Value.map(entries).entries().size());
    }

    private static void assertStrictlyAscending(List<Value> values) {
        for (int i = 0; i < values.size(); i++) {
            for (int j = 0; j < values.size(); j++) {
                Value a = values.get(i);
                Value b = values.get(j);
                assertEquals(Integer.signum(Integer.compare(i, j)), Integer.signum(Value.ORDER.compare(a, b)),
                        () -> a + " vs " + b);
                assertEquals(i == j, a.equals(b), () -> a + " equals " + b);
            }
        }
    }
}
