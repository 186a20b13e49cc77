package io.flashraft.loadgen;

/**
 * One load: who runs it, for how long, at what rate, on which keys.
 *
 * @param threads      client threads, each with one operation in flight
 * @param warmupSec    seconds run first and not measured
 * @param durationSec  seconds measured
 * @param targetRate   operations per second of all threads together (open loop); 0 for closed
 *                     loop, each thread starting its next operation when the last one ends
 * @param keys         how many keys the operations touch
 * @param distribution which keys are touched how often
 * @param valueBytes   the size of each written value
 * @param mix          the share of each operation
 * @param seed         seeds every thread's random source
 */
public record LoadSpec(int threads, int warmupSec, int durationSec, double targetRate, long keys,
                       String distribution, int valueBytes, OperationMix mix, long seed) {
    public LoadSpec {
        if (threads < 1 || warmupSec < 0 || durationSec < 1 || targetRate < 0 || valueBytes < 0) {
            throw new IllegalArgumentException("threads and duration are positive; warm-up, rate and value size not negative");
        }
        KeyDistribution.named(distribution, keys);
    }

    public boolean openLoop() {
        return targetRate > 0;
    }
}
