package io.flashraft.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OperationMixTest {
    @Test
    void ycsbWorkloadsHaveTheirShares() {
        assertEquals("read=50,update=50", OperationMix.parse("A").toString());
        assertEquals("read=95,update=5", OperationMix.parse("b").toString());
        assertEquals("read=100", OperationMix.parse("C").toString());
        assertEquals("read=95,insert=5", OperationMix.parse("D").toString());
        assertEquals("read=50,rmw=50", OperationMix.parse("F").toString());
        assertThrows(IllegalArgumentException.class, () -> OperationMix.parse("E"));
    }

    @Test
    void drawsFollowTheWeights() {
        OperationMix mix = OperationMix.parse("read=90,update=10");
        SplittableRandom random = new SplittableRandom(3);
        Map<Operation, Integer> counts = new EnumMap<>(Operation.class);
        for (int i = 0; i < 100_000; i++) {
            counts.merge(mix.next(random), 1, Integer::sum);
        }
        assertEquals(90_000, counts.get(Operation.READ), 1_000);
        assertEquals(10_000, counts.get(Operation.UPDATE), 1_000);
        assertEquals(2, counts.size());
    }

    @Test
    void malformedMixesAreRefusedWithTheReason() {
        assertThrows(IllegalArgumentException.class, () -> OperationMix.parse("read"));
        assertThrows(IllegalArgumentException.class, () -> OperationMix.parse("read=x"));
        assertThrows(IllegalArgumentException.class, () -> OperationMix.parse("scan=5"));
        assertThrows(IllegalArgumentException.class, () -> OperationMix.parse("read=1,read=2"));
        assertThrows(IllegalArgumentException.class, () -> OperationMix.parse("read=0"));
    }
}
