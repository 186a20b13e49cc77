package io.flashraft.bench;

import io.flashraft.protocol.BinSelection;
import io.flashraft.device.RecordStore;
import io.flashraft.device.RecordStores;
import io.flashraft.device.StoreConfig;
import io.flashraft.device.WriteContext;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The record-store race: the device engine against RocksDB on the same keys and values, in one
 * run. For each engine: load N records, then random puts, random gets and a 50/50 mix for a fixed
 * time each, with HdrHistogram latencies. The stores are left on disk for {@link ColdStartBench}.
 *
 * <p>Each worker thread owns the partitions {@code p % threads == thread} and writes them as one
 * partition group with its own log index, as a replica's apply thread would.
 *
 * <pre>
 * java -cp bench/target/flashraft-bench.jar io.flashraft.bench.StoreBench \
 *   --dir /var/tmp/flashraft-bench --engines device,rocksdb --records 5000000 --value-bytes 100 \
 *   --threads 2 --seconds 30
 * </pre>
 */
public final class StoreBench {
    private static final String SET = "bench";

    private final Path dir;
    private final int records;
    private final int valueBytes;
    private final int threads;
    private final long phaseSeconds;
    private final long deviceSizeBytes;
    private final Digest[] digests;
    private final int[][] keysOfThread;
    private final AtomicLong stamp = new AtomicLong();

    private StoreBench(Args args) {
        dir = Path.of(args.string("dir", "/var/tmp/flashraft-bench"));
        records = (int) args.number("records", 5_000_000);
        valueBytes = (int) args.number("value-bytes", 100);
        threads = (int) args.number("threads", 2);
        phaseSeconds = args.number("seconds", 30);
        long recordBytes = 128 + valueBytes;
        deviceSizeBytes = args.number("device-size-bytes", Math.max(256L << 20, records * recordBytes * 2));
        digests = new Digest[records];
        List<List<Integer>> owned = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            owned.add(new ArrayList<>());
        }
        for (int i = 0; i < records; i++) {
            digests[i] = KeyDigest.of(SET, i);
            owned.get(digests[i].partition() % threads).add(i);
        }
        keysOfThread = new int[threads][];
        for (int t = 0; t < threads; t++) {
            keysOfThread[t] = owned.get(t).stream().mapToInt(Integer::intValue).toArray();
        }
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        StoreBench bench = new StoreBench(args);
        System.out.printf(Locale.ROOT, "# %d records, %d-byte values, %d threads, %d s a phase, %s%n",
                bench.records, bench.valueBytes, bench.threads, bench.phaseSeconds, bench.dir);
        for (String engine : args.string("engines", "device,rocksdb").split(",")) {
            bench.run(StoreConfig.Engine.valueOf(engine.trim().toUpperCase(Locale.ROOT)));
        }
    }

    private void run(StoreConfig.Engine engine) throws Exception {
        Path engineDir = dir.resolve(engine.name().toLowerCase(Locale.ROOT));
        deleteTree(engineDir);
        Files.createDirectories(engineDir);
        StoreConfig config = StoreConfig.builder().engine(engine).dataDir(engineDir.resolve("data"))
                .devices(List.of(engineDir.resolve("device.dat"))).deviceSizeBytes(deviceSizeBytes)
                .stopWritesDiskPercent(100).build();
        long[] nextIndex = new long[threads];
        RecordStore store = RecordStores.open(config);
        try {
            phase(engine, "load", store, nextIndex, Mix.LOAD);
            phase(engine, "put", store, nextIndex, Mix.PUT);
            phase(engine, "get", store, nextIndex, Mix.GET);
            phase(engine, "50/50", store, nextIndex, Mix.HALF);
            for (int t = 0; t < threads; t++) {
                store.checkpoint(t, nextIndex[t]);
            }
            System.out.printf(Locale.ROOT, "%-8s stats: %s%n", engine, store.stats());
        } finally {
            store.close();
        }
    }

    private enum Mix { LOAD, PUT, GET, HALF }

    private void phase(StoreConfig.Engine engine, String name, RecordStore store, long[] nextIndex, Mix mix)
            throws InterruptedException {
        Recorder writes = new Recorder(3);
        Recorder reads = new Recorder(3);
        LongAdder done = new LongAdder();
        long deadlineNs = System.nanoTime() + phaseSeconds * 1_000_000_000L;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread worker = new Thread(() -> work(store, thread, nextIndex, mix, deadlineNs, writes, reads, done),
                    "bench-" + name + "-" + t);
            workers.add(worker);
            worker.start();
        }
        long startNs = System.nanoTime();
        Histogram writeTotal = new Histogram(3);
        Histogram readTotal = new Histogram(3);
        for (Thread alive; (alive = workers.stream().filter(Thread::isAlive).findFirst().orElse(null)) != null; ) {
            alive.join(2000);
            writeTotal.add(writes.getIntervalHistogram());
            readTotal.add(reads.getIntervalHistogram());
            System.out.printf(Locale.ROOT, "\r%-8s %-6s %,d ops, %.0f ops/s   ", engine, name, done.sum(),
                    done.sum() / ((System.nanoTime() - startNs) / 1e9));
            System.out.flush();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        writeTotal.add(writes.getIntervalHistogram());
        readTotal.add(reads.getIntervalHistogram());
        double seconds = (System.nanoTime() - startNs) / 1e9;
        System.out.printf(Locale.ROOT, "\r%-8s %-6s %,12.0f ops/s  %s  %s%n", engine, name, done.sum() / seconds,
                describe("put", writeTotal), describe("get", readTotal));
    }

    private void work(RecordStore store, int thread, long[] nextIndex, Mix mix, long deadlineNs, Recorder writes,
                      Recorder reads, LongAdder done) {
        int[] keys = keysOfThread[thread];
        SplittableRandom random = new SplittableRandom(thread * 7919L + mix.ordinal());
        byte[] value = new byte[valueBytes];
        long index = nextIndex[thread];
        int loaded = 0;
        while (mix == Mix.LOAD ? loaded < keys.length : System.nanoTime() < deadlineNs) {
            int key = mix == Mix.LOAD ? keys[loaded++] : keys[random.nextInt(keys.length)];
            boolean write = mix == Mix.LOAD || mix == Mix.PUT || (mix == Mix.HALF && random.nextBoolean());
            long startNs = System.nanoTime();
            if (write) {
                random.nextBytes(value);
                long nowMs = System.currentTimeMillis();
                store.put(new WriteContext(thread, ++index, nowMs, stamp.incrementAndGet()), digests[key], SET,
                        Bins.of("v", Value.of(value)), WritePolicy.DEFAULT);
                writes.recordValue((System.nanoTime() - startNs) / 1000);
            } else {
                store.get(digests[key], BinSelection.ALL, System.currentTimeMillis());
                reads.recordValue((System.nanoTime() - startNs) / 1000);
            }
            done.increment();
        }
        nextIndex[thread] = index;
    }

    private static String describe(String what, Histogram h) {
        if (h.getTotalCount() == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%s p50 %d us p99 %d us p99.9 %d us max %d us", what,
                h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
