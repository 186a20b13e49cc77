package io.flashraft.loadgen;

import java.util.SplittableRandom;

/** Which key of {@code [0, keys)} an operation touches. Implementations are thread-safe; each thread brings its random source. */
public interface KeyDistribution {
    long next(SplittableRandom random);

    /** The number of keys drawn from. */
    long keys();

    /** Every key equally likely. */
    static KeyDistribution uniform(long keys) {
        check(keys);
        return new KeyDistribution() {
            @Override
            public long next(SplittableRandom random) {
                return random.nextLong(keys);
            }

            @Override
            public long keys() {
                return keys;
            }
        };
    }

    /**
     * YCSB's scrambled zipfian: key ranks follow a Zipf law with exponent {@code theta} (YCSB
     * uses 0.99: a few keys are hot), and a hash spreads the hot ranks over the key space so
     * they do not all land in one partition.
     */
    static KeyDistribution zipfian(long keys, double theta) {
        check(keys);
        if (!(theta > 0 && theta < 1)) {
            throw new IllegalArgumentException("the zipfian exponent is in (0, 1), not " + theta);
        }
        return new Zipfian(keys, theta);
    }

    /** A distribution by name: {@code uniform} or {@code zipfian} (exponent 0.99). */
    static KeyDistribution named(String name, long keys) {
        return switch (name) {
            case "uniform" -> uniform(keys);
            case "zipfian" -> zipfian(keys, 0.99);
            default -> throw new IllegalArgumentException("no key distribution " + name + " (uniform, zipfian)");
        };
    }

    private static void check(long keys) {
        if (keys < 2) {
            throw new IllegalArgumentException("at least 2 keys, not " + keys);
        }
    }

    /**
     * Gray et al., "Quickly generating billion-record synthetic databases" (SIGMOD 1994): a
     * draw costs O(1) once the harmonic number of the key count is known.
     */
    final class Zipfian implements KeyDistribution {
        private final long keys;
        private final double theta;
        private final double zetaN;
        private final double alpha;
        private final double eta;

        Zipfian(long keys, double theta) {
            this.keys = keys;
            this.theta = theta;
            this.zetaN = zeta(keys, theta);
            this.alpha = 1 / (1 - theta);
            this.eta = (1 - Math.pow(2.0 / keys, 1 - theta)) / (1 - zeta(2, theta) / zetaN);
        }

        private static double zeta(long n, double theta) {
            double sum = 0;
            for (long i = 1; i <= n; i++) {
                sum += 1 / Math.pow(i, theta);
            }
            return sum;
        }

        /** The rank drawn: 0 is the most frequent. */
        long rank(SplittableRandom random) {
            double u = random.nextDouble();
            double uz = u * zetaN;
            if (uz < 1) {
                return 0;
            }
            if (uz < 1 + Math.pow(0.5, theta)) {
                return 1;
            }
            return Math.min(keys - 1, (long) (keys * Math.pow(eta * u - eta + 1, alpha)));
        }

        @Override
        public long next(SplittableRandom random) {
            return Math.floorMod(fnv1a(rank(random)), keys);
        }

        @Override
        public long keys() {
            return keys;
        }

        private static long fnv1a(long value) {
            long hash = 0xcbf29ce484222325L;
            for (int i = 0; i < 8; i++) {
                hash ^= (value >>> (i * 8)) & 0xff;
                hash *= 0x100000001b3L;
            }
            return hash;
        }
    }
}
