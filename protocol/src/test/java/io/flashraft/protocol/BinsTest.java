package io.flashraft.protocol;

import static io.flashraft.protocol.TestTheories.theory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Bins: bin-name limits, order, immutability, merge and select. */
class BinsTest {

    @Test
    void binNamesAreOneToFifteenBytesOfUtf8() {
        assertEquals("a", Bins.checkName("a"));
        assertEquals("x".repeat(15), Bins.checkName("x".repeat(15)));
        assertEquals("é".repeat(7), Bins.checkName("é".repeat(7))); // 14 bytes
        assertEquals("\uD83D\uDE00".repeat(3), Bins.checkName("\uD83D\uDE00".repeat(3))); // 12 bytes
        assertThrows(IllegalArgumentException.class, () -> Bins.checkName(""));
        assertThrows(IllegalArgumentException.class, () -> Bins.checkName("x".repeat(16)));
        assertThrows(IllegalArgumentException.class, () -> Bins.checkName("é".repeat(8))); // 8 chars, 16 bytes
        assertThrows(IllegalArgumentException.class, () -> Bins.checkName("\uD83D\uDE00".repeat(4)));
        assertThrows(IllegalArgumentException.class, () -> Bins.checkName("\uD800"));
        assertThrows(IllegalArgumentException.class, () -> Bins.of("", Value.of(1)));
        assertThrows(IllegalArgumentException.class, () -> Bins.of(Map.of("a", Value.of(1), "x".repeat(16), Value.of(2))));
    }

    @Test
    void binNamesSortByTheirUtf8Bytes() {
        Bins bins = Bins.of(Map.of("\uD83D\uDE00", Value.of(1), "\uFF21", Value.of(2), "b", Value.of(3),
                "a", Value.of(4), "B", Value.of(5), "é", Value.of(6)));
        assertEquals(List.of("B", "a", "b", "é", "\uFF21", "\uD83D\uDE00"), new ArrayList<>(bins.asMap().keySet()));
    }

    @Test
    void binsCopyTheirInputAndCannotBeModified() {
        Map<String, Value> source = new HashMap<>(Map.of("a", Value.of(1)));
        Bins bins = Bins.of(source);
        source.put("b", Value.of(2));
        assertEquals(1, bins.size());
        assertThrows(UnsupportedOperationException.class, () -> bins.asMap().put("c", Value.of(3)));
        assertThrows(UnsupportedOperationException.class, () -> bins.asMap().remove("a"));
        assertThrows(NullPointerException.class, () -> Bins.of(new HashMap<>(java.util.Collections.singletonMap("a", null))));
    }

    @Test
    void emptyBinsHaveNoBins() {
        assertTrue(Bins.empty().isEmpty());
        assertEquals(0, Bins.empty().size());
        assertNull(Bins.empty().get("a"));
        assertEquals(Bins.empty(), Bins.of(Map.of()));
    }

    @Test
    void mergeWritesTheOtherBinsOverThese() {
        Bins base = Bins.of(Map.of("a", Value.of(1), "b", Value.of(2)));
        Bins update = Bins.of(Map.of("b", Value.of("two"), "c", Value.of(3)));
        assertEquals(Bins.of(Map.of("a", Value.of(1), "b", Value.of("two"), "c", Value.of(3))), base.merge(update));
        assertEquals(Bins.of(Map.of("a", Value.of(1), "b", Value.of(2))), base);
        assertSame(base, base.merge(Bins.empty()));
        assertEquals(update, Bins.empty().merge(update));
    }

    @Test
    void mergedBinsKeepTheUtf8OrderAndEncodeCanonically() {
        Bins merged = Bins.empty().merge(Bins.of("\uD83D\uDE00", Value.of(1))).merge(Bins.of("\uFF21", Value.of(2)));
        assertEquals(List.of("\uFF21", "\uD83D\uDE00"), new ArrayList<>(merged.asMap().keySet()));
        assertEquals(merged, ValueCodec.decodeBins(ValueCodec.encodeBins(merged)));
    }

    @Test
    void selectKeepsOnlyTheNamedBinsThatExist() {
        Bins bins = Bins.of(Map.of("a", Value.of(1), "b", Value.of(2), "c", Value.of(3)));
        assertEquals(Bins.of(Map.of("a", Value.of(1), "c", Value.of(3))), bins.select(List.of("c", "missing", "a")));
        assertEquals(Bins.empty(), bins.select(List.of()));
        assertEquals(Bins.empty(), bins.select(List.of("missing")));
        assertEquals(3, bins.size());
    }

    @Test
    void mergeAndSelectAgreeWithAMapModel() {
        theory().forAll(ValueGenerators.bins(), ValueGenerators.bins()).checkAssert((a, b) -> {
            TreeMap<String, Value> model = new TreeMap<>(a.asMap());
            model.putAll(b.asMap());
            Bins merged = a.merge(b);
            assertEquals(Bins.of(model), merged);
            assertEquals(merged, ValueCodec.decodeBins(ValueCodec.encodeBins(merged)));

            List<String> names = new ArrayList<>(b.asMap().keySet());
            names.add("not-a-bin-name!");
            Map<String, Value> selectedModel = new HashMap<>();
            a.asMap().forEach((name, value) -> {
                if (names.contains(name)) {
                    selectedModel.put(name, value);
                }
            });
            Bins selected = a.select(names);
            assertEquals(Bins.of(selectedModel), selected);
            assertEquals(selected, ValueCodec.decodeBins(ValueCodec.encodeBins(selected)));
        });
    }

    @Test
    void binsAreEqualWhenTheirBinsAreEqual() {
        Bins one = Bins.of(Map.of("a", Value.of(1), "b", Value.of("x")));
        Map<String, Value> ordered = new java.util.LinkedHashMap<>();
        ordered.put("b", Value.of("x"));
        ordered.put("a", Value.of(1));
        Bins other = Bins.of(ordered);
        assertEquals(one, other);
        assertEquals(one.hashCode(), other.hashCode());
        assertEquals(Value.of("x"), one.get("b"));
        assertTrue(!one.equals(Bins.of("a", Value.of(1))));
    }
}
