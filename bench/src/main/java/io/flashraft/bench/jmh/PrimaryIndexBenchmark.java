package io.flashraft.bench.jmh;

import io.flashraft.device.index.PrimaryIndex;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lookup cost of the primary index with a million records.
 *
 * <pre>java -jar bench/target/flashraft-bench.jar PrimaryIndexBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class PrimaryIndexBenchmark {
    @Param("1000000")
    int records;

    private PrimaryIndex index;
    private Digest[] digests;
    private int next;

    @Setup
    public void load() {
        index = new PrimaryIndex();
        digests = new Digest[records];
        for (int i = 0; i < records; i++) {
            digests[i] = KeyDigest.of("bench", i);
            int entry = index.insert(digests[i]);
            index.set(digests[i].partition(), entry, i, 1, 0, i, 0, 0);
        }
    }

    @Benchmark
    public long findExisting() {
        Digest digest = digests[next];
        next = next + 1 == records ? 0 : next + 1;
        return index.location(digest.partition(), index.find(digest));
    }
}
