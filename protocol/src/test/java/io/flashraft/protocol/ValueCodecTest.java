package io.flashraft.protocol;

import static io.flashraft.protocol.TestTheories.theory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The value and bins encoding: round trips, canonical form, and every way decoding refuses input. */
class ValueCodecTest {

    // ---------------------------------------------------------------- round trips (properties)

    @Test
    void everyValueDecodesToItselfAndReencodesToTheSameBytes() {
        theory().forAll(ValueGenerators.values(4)).checkAssert(value -> {
            byte[] encoded = ValueCodec.encodeValue(value);
            Value decoded = ValueCodec.decodeValue(encoded);
            assertEquals(value, decoded);
            assertArrayEquals(encoded, ValueCodec.encodeValue(decoded));
        });
    }

    @Test
    void everyBinsDecodesToItselfAndReencodesToTheSameBytes() {
        theory().forAll(ValueGenerators.bins()).checkAssert(bins -> {
            byte[] encoded = ValueCodec.encodeBins(bins);
            Bins decoded = ValueCodec.decodeBins(encoded);
            assertEquals(bins, decoded);
            assertArrayEquals(encoded, ValueCodec.encodeBins(decoded));
        });
    }

    @Test
    void binsDecodeFromARangeInsideALargerArray() {
        theory().forAll(ValueGenerators.bins()).checkAssert(bins -> {
            byte[] encoded = ValueCodec.encodeBins(bins);
            byte[] framed = new byte[encoded.length + 7];
            Arrays.fill(framed, (byte) 0xEE);
            System.arraycopy(encoded, 0, framed, 3, encoded.length);
            assertEquals(bins, ValueCodec.decodeBins(framed, 3, encoded.length));
        });
    }

    @Test
    void equalValuesHaveEqualEncodingsWhateverTheirConstruction() {
        theory().forAll(ValueGenerators.values(3), ValueGenerators.values(3)).checkAssert((a, b) -> {
            Value rebuiltA = rebuildInReverseOrder(a);
            assertEquals(a, rebuiltA);
            assertArrayEquals(ValueCodec.encodeValue(a), ValueCodec.encodeValue(rebuiltA));
            if (a.equals(b)) {
                assertArrayEquals(ValueCodec.encodeValue(a), ValueCodec.encodeValue(b));
            } else {
                assertTrue(!Arrays.equals(ValueCodec.encodeValue(a), ValueCodec.encodeValue(b)));
            }
        });
    }

    @Test
    void mapKeysAreEncodedInStrictlyIncreasingValueOrder() {
        theory().forAll(ValueGenerators.values(4)).checkAssert(ValueCodecTest::assertMapKeysIncrease);
    }

    @Test
    void binNamesAreEncodedInStrictlyIncreasingUtf8ByteOrder() {
        theory().forAll(ValueGenerators.bins()).checkAssert(bins -> {
            List<byte[]> names = binNamesAsEncoded(ValueCodec.encodeBins(bins));
            assertEquals(bins.size(), names.size());
            for (int i = 1; i < names.size(); i++) {
                assertTrue(Arrays.compareUnsigned(names.get(i - 1), names.get(i)) < 0);
            }
        });
    }

    @Test
    void everyProperPrefixOfAnEncodingIsRefused() {
        theory().forAll(ValueGenerators.values(3), ValueGenerators.bins()).checkAssert((value, bins) -> {
            assertEveryPrefixRefused(ValueCodec.encodeValue(value), ValueCodec::decodeValue);
            assertEveryPrefixRefused(ValueCodec.encodeBins(bins), ValueCodec::decodeBins);
        });
    }

    // ---------------------------------------------------------------- byte-level examples (docs/protocol.md)

    @Test
    void valuesEncodeAsTheProtocolPageShows() {
        assertEncodes("010000000000000001", Value.of(1));
        assertEncodes("01ffffffffffffffff", Value.of(-1));
        assertEncodes("023ff8000000000000", Value.of(1.5));
        assertEncodes("027ff8000000000000", Value.of(Double.NaN));
        assertEncodes("028000000000000000", Value.of(-0.0));
        assertEncodes("0300", Value.of(""));
        assertEncodes("030668c3a96c6c6f", Value.of("héllo"));
        assertEncodes("0402cafe", Value.of(new byte[] {(byte) 0xCA, (byte) 0xFE}));
        assertEncodes("1101", Value.of(true));
        assertEncodes("1100", Value.of(false));
        assertEncodes("1402" + "010000000000000001" + "030161", Value.list(List.of(Value.of(1), Value.of("a"))));
        Map<Value, Value> insertedOutOfOrder = new LinkedHashMap<>();
        insertedOutOfOrder.put(Value.of("b"), Value.of(true));
        insertedOutOfOrder.put(Value.of(1), Value.of(false));
        assertEncodes("1302" + "010000000000000001" + "1100" + "030162" + "1101", Value.map(insertedOutOfOrder));
        assertEncodes("03ac02" + "61".repeat(300), Value.of("a".repeat(300)));
    }

    @Test
    void binsEncodeAsTheProtocolPageShows() {
        Map<String, Value> bins = new LinkedHashMap<>();
        bins.put("b", Value.of("x"));
        bins.put("a", Value.of(1));
        byte[] expected = Hex.decode("0102" + "0161" + "010000000000000001" + "0162" + "030178");
        assertArrayEquals(expected, ValueCodec.encodeBins(Bins.of(bins)));
        assertEquals(Bins.of(bins), ValueCodec.decodeBins(expected));
        assertArrayEquals(Hex.decode("0100"), ValueCodec.encodeBins(Bins.empty()));
    }

    @Test
    void mapKeysOfDifferentTypesSortByTypeCodeFirst() {
        Map<Value, Value> entries = new LinkedHashMap<>();
        entries.put(Value.list(List.of()), Value.of(7));
        entries.put(Value.map(Map.of()), Value.of(6));
        entries.put(Value.of(false), Value.of(5));
        entries.put(Value.of(new byte[0]), Value.of(4));
        entries.put(Value.of(""), Value.of(3));
        entries.put(Value.of(0.0), Value.of(2));
        entries.put(Value.of(0), Value.of(1));
        Value.MapValue map = Value.map(entries);
        List<Integer> typeCodes = new ArrayList<>();
        map.entries().keySet().forEach(key -> typeCodes.add(key.type().code()));
        assertEquals(List.of(1, 2, 3, 4, 17, 19, 20), typeCodes);
        assertMapKeysIncrease(map);
    }

    @Test
    void binNamesSortByUtf8BytesNotByUtf16() {
        // U+FF21 is EF BC A1 in UTF-8 and U+1F600 is F0 9F 98 80: UTF-8 puts U+FF21 first, while
        // Java's String.compareTo would put the surrogate pair D83D DE00 first.
        Bins bins = Bins.of(Map.of("\uD83D\uDE00", Value.of(2), "\uFF21", Value.of(1), "z", Value.of(0)));
        byte[] expected = Hex.decode("0103" + "017a" + "010000000000000000" + "03efbca1" + "010000000000000001"
                + "04f09f9880" + "010000000000000002");
        assertArrayEquals(expected, ValueCodec.encodeBins(bins));
        assertEquals(bins, ValueCodec.decodeBins(expected));
        assertRefusedAsBins("0102" + "04f09f9880" + "010000000000000002" + "03efbca1" + "010000000000000001");
    }

    // ---------------------------------------------------------------- encoder refusals

    @Test
    void valuesNestedToMaxDepthEncodeAndDeeperOnesAreRefused() {
        Value deepest = nestedLists(ValueCodec.MAX_DEPTH);
        assertEquals(deepest, ValueCodec.decodeValue(ValueCodec.encodeValue(deepest)));
        assertThrows(IllegalArgumentException.class, () -> ValueCodec.encodeValue(nestedLists(ValueCodec.MAX_DEPTH + 1)));
        Value tooDeepMap = Value.map(Map.of(Value.of(1), nestedLists(ValueCodec.MAX_DEPTH)));
        assertThrows(IllegalArgumentException.class, () -> ValueCodec.encodeValue(tooDeepMap));
        Value tooDeepKey = Value.map(Map.of(nestedLists(ValueCodec.MAX_DEPTH), Value.of(1)));
        assertThrows(IllegalArgumentException.class, () -> ValueCodec.encodeValue(tooDeepKey));
        assertThrows(IllegalArgumentException.class,
                () -> ValueCodec.encodeBins(Bins.of("deep", nestedLists(ValueCodec.MAX_DEPTH + 1))));
    }

    // ---------------------------------------------------------------- decode errors

    @Test
    void unknownTypeCodesAreRefused() {
        List<Integer> known = List.of(1, 2, 3, 4, 17, 19, 20);
        for (int code = 0; code < 256; code++) {
            if (!known.contains(code)) {
                String hex = String.format("%02x", code) + "0000000000000000";
                assertRefusedAsValue(hex);
                assertRefusedAsBins("0101" + "0161" + hex);
            }
        }
    }

    @Test
    void truncationAtEveryPositionOfARichEncodingIsRefused() {
        Map<Value, Value> entries = new LinkedHashMap<>();
        entries.put(Value.of("κλειδί"), Value.list(List.of(Value.of(-1.25), Value.of(true), Value.of(new byte[200]))));
        entries.put(Value.of(Long.MIN_VALUE), Value.map(Map.of(Value.of(false), Value.of("x".repeat(130)))));
        Value value = Value.list(List.of(Value.map(entries), Value.of(""), Value.list(List.of()), nestedLists(5)));
        assertEveryPrefixRefused(ValueCodec.encodeValue(value), ValueCodec::decodeValue);
        Bins bins = Bins.of(Map.of("a", value, "\uD83D\uDE00", Value.of(1), "fifteen-bytes-x", Value.of("y")));
        assertEveryPrefixRefused(ValueCodec.encodeBins(bins), ValueCodec::decodeBins);
    }

    @Test
    void varintsLongerThanFiveBytesAreRefused() {
        assertRefusedAsValue("03" + "8080808080" + "00");
        assertRefusedAsValue("14" + "ffffffffff" + "01");
        assertRefusedAsBins("01" + "8180808080" + "00");
    }

    @Test
    void varintsOver2To31Minus1AreRefused() {
        assertRefusedAsValue("03" + "8080808008"); // 2^31
        assertRefusedAsValue("04" + "ffffffff0f"); // 2^32 - 1
        assertRefusedAsValue("14" + "ffffffff7f"); // 2^35 - 1
        assertRefusedAsBins("01" + "8080808008");
    }

    @Test
    void varintsNotInShortestFormAreRefused() {
        assertRefusedAsValue("03" + "8000"); // 0 in two bytes
        assertRefusedAsValue("03" + "8100" + "61"); // 1 in two bytes
        assertRefusedAsValue("04" + "ff8000" + "00".repeat(127)); // 127 in three bytes
        assertRefusedAsValue("14" + "8180808000" + "1101"); // list of 1 in five bytes
        assertRefusedAsBins("01" + "8000");
        assertEquals(Value.of("a"), ValueCodec.decodeValue(Hex.decode("030161")));
        assertEquals(Value.of(new byte[127]), ValueCodec.decodeValue(Hex.decode("047f" + "00".repeat(127))));
        assertEquals(Value.of(new byte[128]), ValueCodec.decodeValue(Hex.decode("048001" + "00".repeat(128))));
    }

    @Test
    void lengthsAndCountsLargerThanWhatRemainsAreRefusedWithoutAllocating() {
        // Five bytes that claim a string of 2^31-1 bytes: refused at once, never allocated.
        assertRefusedWithoutAllocating("03ffffff07", ValueCodec::decodeValue);
        assertRefusedWithoutAllocating("04ffffff07", ValueCodec::decodeValue);
        assertRefusedWithoutAllocating("14ffffffff07" + "1101", ValueCodec::decodeValue);
        assertRefusedWithoutAllocating("13ffffffff07" + "11011101", ValueCodec::decodeValue);
        assertRefusedWithoutAllocating("01ffffffff07" + "0161" + "1101", ValueCodec::decodeBins);
        assertRefusedWithoutAllocating("0101" + "0161" + "03ffffff07", ValueCodec::decodeBins);
        // One byte short.
        assertRefusedAsValue("0303" + "6162");
        assertRefusedAsValue("0403" + "0102");
        assertRefusedAsValue("1402" + "1101");
        assertRefusedAsValue("1301" + "1101");
        assertRefusedAsBins("0102" + "0161" + "1101");
        assertRefusedAsBins("0101" + "0f" + "61".repeat(14));
    }

    @Test
    void nestingDeeperThanMaxDepthIsRefused() {
        // MAX_DEPTH lists and maps one inside the other decode; one more does not, whether the
        // containers nest as list elements, map values, map keys or a mix of all three.
        for (String kind : List.of("list", "map value", "map key", "mixed")) {
            String deepest = nested(kind, ValueCodec.MAX_DEPTH);
            assertEquals(deepest, Hex.encode(ValueCodec.encodeValue(ValueCodec.decodeValue(Hex.decode(deepest)))));
            assertRefusedAsTooDeep(nested(kind, ValueCodec.MAX_DEPTH + 1), ValueCodec::decodeValue);
            assertRefusedAsTooDeep("0101" + "0161" + nested(kind, ValueCodec.MAX_DEPTH + 1), ValueCodec::decodeBins);
        }
        // A hostile input far deeper than the bound fails on the bound, not on the stack.
        assertRefusedAsTooDeep("1401".repeat(100_000) + "1101", ValueCodec::decodeValue);
    }

    /** The hex of {@code depth} containers of the given kind, one inside the other, around true. */
    private static String nested(String kind, int depth) {
        String hex = "1101";
        for (int level = 0; level < depth; level++) {
            String how = kind.equals("mixed") ? List.of("list", "map value", "map key").get(level % 3) : kind;
            switch (how) {
                case "list" -> hex = "1401" + hex;
                case "map value" -> hex = "1301" + "1100" + hex;
                default -> hex = "1301" + hex + "1100";
            }
        }
        return hex;
    }

    private static void assertRefusedAsTooDeep(String hex, java.util.function.Consumer<byte[]> decoder) {
        byte[] bytes = Hex.decode(hex);
        DecodeException refused = assertThrows(DecodeException.class, () -> decoder.accept(bytes), hex);
        assertTrue(refused.getMessage().contains("nested deeper than " + ValueCodec.MAX_DEPTH), refused::getMessage);
    }

    @Test
    void booleanBytesOtherThanZeroAndOneAreRefused() {
        assertEquals(Value.of(false), ValueCodec.decodeValue(Hex.decode("1100")));
        assertEquals(Value.of(true), ValueCodec.decodeValue(Hex.decode("1101")));
        for (int b = 2; b < 256; b++) {
            assertRefusedAsValue("11" + String.format("%02x", b));
        }
    }

    @Test
    void malformedUtf8IsRefusedInStringsAndBinNames() {
        List<String> malformed = List.of(
                "80", // lone continuation byte
                "c0af", // overlong '/'
                "c080", // overlong NUL
                "e080af", // overlong, three bytes
                "f08080af", // overlong, four bytes
                "eda080", // UTF-16 surrogate D800
                "edbfbf", // UTF-16 surrogate DFFF
                "f4908080", // above U+10FFFF
                "c3", // truncated two-byte sequence
                "e282", // truncated three-byte sequence
                "c361", // a continuation byte missing
                "ff", "fe", "f8888080");
        for (String bad : malformed) {
            int length = bad.length() / 2;
            assertRefusedAsValue("03" + String.format("%02x", length) + bad);
            assertRefusedAsValue("13" + "01" + "03" + String.format("%02x", length) + bad + "1101");
            assertRefusedAsBins("0101" + String.format("%02x", length) + bad + "1101");
        }
        assertEquals(Value.of("€"), ValueCodec.decodeValue(Hex.decode("0303e282ac")));
    }

    @Test
    void mapKeysOutOfOrderOrDuplicatedAreRefused() {
        String one = "010000000000000001";
        String two = "010000000000000002";
        assertEquals(Value.map(Map.of(Value.of(1), Value.of(true), Value.of(2), Value.of(false))),
                ValueCodec.decodeValue(Hex.decode("1302" + one + "1101" + two + "1100")));
        assertRefusedAsValue("1302" + two + "1100" + one + "1101");
        assertRefusedAsValue("1302" + one + "1101" + one + "1100");
        assertRefusedAsValue("1302" + "030162" + "1101" + "030161" + "1100");
        assertRefusedAsValue("1302" + "030161" + "1101" + one + "1100"); // string (3) before integer (1)
        assertRefusedAsValue("1302" + "0400" + "1101" + "0400" + "1100");
    }

    @Test
    void binNamesOutOfOrderOrDuplicatedAreRefused() {
        assertRefusedAsBins("0102" + "0161" + "1101" + "0161" + "1100");
        assertRefusedAsBins("0102" + "0162" + "1101" + "0161" + "1100");
        assertRefusedAsBins("0102" + "026162" + "1101" + "0161" + "1100"); // "ab" before its prefix "a"
        assertEquals(2, ValueCodec.decodeBins(Hex.decode("0102" + "0161" + "1101" + "026162" + "1100")).size());
    }

    @Test
    void binNamesOfZeroOrMoreThan15BytesAreRefused() {
        assertRefusedAsBins("0101" + "00" + "1101");
        assertRefusedAsBins("0101" + "10" + "61".repeat(16) + "1101");
        assertRefusedAsBins("0101" + "ff" + "61".repeat(255) + "1101");
        assertEquals(Bins.of("a".repeat(15), Value.of(true)),
                ValueCodec.decodeBins(Hex.decode("0101" + "0f" + "61".repeat(15) + "1101")));
    }

    @Test
    void binsWithAnotherVersionByteAreRefused() {
        for (int version = 0; version < 256; version++) {
            if (version != ValueCodec.BINS_VERSION) {
                assertRefusedAsBins(String.format("%02x", version) + "00");
            }
        }
        assertRefusedAsBins("");
    }

    @Test
    void trailingBytesAreRefused() {
        assertRefusedAsValue("1101" + "00");
        assertRefusedAsValue("010000000000000001" + "01");
        assertRefusedAsBins("0100" + "00");
        assertRefusedAsBins("0101" + "0161" + "1101" + "1101");
    }

    @Test
    void nanOnlyInItsCanonicalFormDecodes() {
        assertTrue(Double.isNaN(((Value.DoubleValue) ValueCodec.decodeValue(Hex.decode("027ff8000000000000"))).value()));
        assertRefusedAsValue("027ff8000000000001"); // quiet NaN with a payload
        assertRefusedAsValue("02fff8000000000000"); // negative quiet NaN
        assertRefusedAsValue("027ff0000000000001"); // signalling NaN
        assertRefusedAsValue("02ffffffffffffffff");
        Value payloadNaN = Value.of(Double.longBitsToDouble(0x7ff8_0000_dead_beefL));
        assertEquals(Value.of(Double.NaN), payloadNaN);
        assertArrayEquals(Hex.decode("027ff8000000000000"), ValueCodec.encodeValue(payloadNaN));
    }

    @Test
    void aRangeOutsideTheArrayIsRefused() {
        byte[] bytes = Hex.decode("0100");
        assertThrows(DecodeException.class, () -> ValueCodec.decodeBins(bytes, 1, 2));
        assertThrows(DecodeException.class, () -> ValueCodec.decodeBins(bytes, -1, 1));
        assertThrows(DecodeException.class, () -> ValueCodec.decodeBins(bytes, 0, -1));
        assertThrows(DecodeException.class, () -> ValueCodec.decodeBins(bytes, Integer.MAX_VALUE, 2));
    }

    // ---------------------------------------------------------------- helpers

    /** Lists nested {@code depth} deep around the integer 0. */
    static Value nestedLists(int depth) {
        Value value = Value.of(0);
        for (int i = 0; i < depth; i++) {
            value = Value.list(List.of(value));
        }
        return value;
    }

    private static void assertEncodes(String hex, Value value) {
        assertEquals(hex, Hex.encode(ValueCodec.encodeValue(value)));
        assertEquals(value, ValueCodec.decodeValue(Hex.decode(hex)));
    }

    private static void assertRefusedAsValue(String hex) {
        byte[] bytes = Hex.decode(hex);
        assertThrows(DecodeException.class, () -> ValueCodec.decodeValue(bytes), () -> "value " + hex);
    }

    private static void assertRefusedAsBins(String hex) {
        byte[] bytes = Hex.decode(hex);
        assertThrows(DecodeException.class, () -> ValueCodec.decodeBins(bytes), () -> "bins " + hex);
    }

    private static void assertEveryPrefixRefused(byte[] encoded, java.util.function.Consumer<byte[]> decoder) {
        for (int length = 0; length < encoded.length; length++) {
            byte[] prefix = Arrays.copyOf(encoded, length);
            assertThrows(DecodeException.class, () -> decoder.accept(prefix),
                    () -> "prefix of " + prefix.length + " bytes of " + Hex.encode(encoded));
        }
    }

    private static void assertRefusedWithoutAllocating(String hex, java.util.function.Consumer<byte[]> decoder) {
        byte[] bytes = Hex.decode(hex);
        com.sun.management.ThreadMXBean threads = allocationCounter();
        long threadId = Thread.currentThread().getId();
        assertThrows(DecodeException.class, () -> decoder.accept(bytes)); // warm up the classes involved
        long before = threads.getThreadAllocatedBytes(threadId);
        assertThrows(DecodeException.class, () -> decoder.accept(bytes), () -> hex);
        long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        assertTrue(allocated < 1 << 20, () -> hex + " allocated " + allocated + " bytes before being refused");
    }

    static com.sun.management.ThreadMXBean allocationCounter() {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
        assumeTrue(counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation counting is off");
        return counter;
    }

    private static void assertMapKeysIncrease(Value value) {
        if (value instanceof Value.ListValue list) {
            list.elements().forEach(ValueCodecTest::assertMapKeysIncrease);
        } else if (value instanceof Value.MapValue map) {
            byte[] encoded = ValueCodec.encodeValue(map);
            ByteReader in = new ByteReader(encoded, 0, encoded.length);
            assertEquals(ValueType.MAP.code(), in.readUnsignedByte());
            int count = in.readVarint();
            assertEquals(map.entries().size(), count);
            Value previous = null;
            for (int i = 0; i < count; i++) {
                Value key = ValueCodec.readValue(in);
                Value entryValue = ValueCodec.readValue(in);
                assertTrue(previous == null || Value.ORDER.compare(previous, key) < 0, () -> "keys of " + map);
                previous = key;
                assertMapKeysIncrease(key);
                assertMapKeysIncrease(entryValue);
            }
        }
    }

    private static List<byte[]> binNamesAsEncoded(byte[] encoded) {
        ByteReader in = new ByteReader(encoded, 0, encoded.length);
        assertEquals(ValueCodec.BINS_VERSION, in.readUnsignedByte());
        int count = in.readVarint();
        List<byte[]> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            names.add(in.readBytes(in.readUnsignedByte()));
            ValueCodec.readValue(in);
        }
        in.expectEnd("bins");
        return names;
    }

    /** The same value built again, with every list and map assembled from reversed, shuffled input. */
    private static Value rebuildInReverseOrder(Value value) {
        if (value instanceof Value.ListValue list) {
            List<Value> elements = new ArrayList<>();
            list.elements().forEach(e -> elements.add(rebuildInReverseOrder(e)));
            return new Value.ListValue(elements);
        }
        if (value instanceof Value.MapValue map) {
            List<Map.Entry<Value, Value>> entries = new ArrayList<>(map.entries().entrySet());
            Collections.reverse(entries);
            Collections.shuffle(entries, new Random(entries.size()));
            Map<Value, Value> rebuilt = new LinkedHashMap<>();
            entries.forEach(e -> rebuilt.put(rebuildInReverseOrder(e.getKey()), rebuildInReverseOrder(e.getValue())));
            return Value.map(rebuilt);
        }
        if (value instanceof Value.StringValue s) {
            return Value.of(new String(s.value().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
        }
        if (value instanceof Value.BytesValue b) {
            return Value.of(b.value());
        }
        return value;
    }
}
