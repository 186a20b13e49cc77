package io.flashraft.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyDistributionTest {
    private static final int KEYS = 1_000;
    private static final int DRAWS = 200_000;

    @Test
    void uniformKeysStayInRangeAndNoneIsHot() {
        long[] counts = draw(KeyDistribution.uniform(KEYS));
        assertTrue(max(counts) < DRAWS / 100, "the most drawn uniform key: " + max(counts));
        for (long count : counts) {
            assertTrue(count > 0, "every key is drawn");
        }
    }

    @Test
    void zipfianKeysStayInRangeAndTheHottestTakesItsZipfShare() {
        KeyDistribution.Zipfian zipfian = (KeyDistribution.Zipfian) KeyDistribution.zipfian(KEYS, 0.99);
        SplittableRandom random = new SplittableRandom(7);
        long[] ranks = new long[KEYS];
        for (int i = 0; i < DRAWS; i++) {
            ranks[(int) zipfian.rank(random)]++;
        }
        double harmonic = 0;
        for (int i = 1; i <= KEYS; i++) {
            harmonic += 1 / Math.pow(i, 0.99);
        }
        double expected = DRAWS / harmonic;
        assertEquals(expected, ranks[0], expected * 0.05, "rank 0 is drawn 1/zeta(n) of the time");
        assertTrue(ranks[0] > ranks[1] && ranks[1] > ranks[10] && ranks[10] > ranks[500], "rarer with rank");
        long[] keys = draw(zipfian);
        assertEquals(ranks[0], max(keys), ranks[0] * 0.1, "scrambling moves the hot key, it does not cool it");
    }

    @Test
    void badParametersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> KeyDistribution.uniform(1));
        assertThrows(IllegalArgumentException.class, () -> KeyDistribution.zipfian(100, 1.0));
        assertThrows(IllegalArgumentException.class, () -> KeyDistribution.named("latest", 100));
    }

    private static long[] draw(KeyDistribution distribution) {
        SplittableRandom random = new SplittableRandom(11);
        long[] counts = new long[KEYS];
        for (int i = 0; i < DRAWS; i++) {
            long key = distribution.next(random);
            assertTrue(key >= 0 && key < KEYS, "key " + key);
            counts[(int) key]++;
        }
        return counts;
    }

    private static long max(long[] counts) {
        long max = 0;
        for (long count : counts) {
            max = Math.max(max, count);
        }
        return max;
    }
}
