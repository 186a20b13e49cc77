package io.flashraft.loadgen;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Runs a load against a driver: {@code threads} threads, each with one operation in flight,
 * either back to back (closed loop) or each on a schedule that together makes the target rate
 * (open loop: an operation's latency counts from when it was due, so a stalled system is not
 * flattered by the operations it kept from being sent). Prints a progress line every second;
 * answers per-operation latency percentiles of the measured time.
 */
public final class LoadGenerator {
    private static final long SECOND_NS = TimeUnit.SECONDS.toNanos(1);

    private final Driver driver;
    private final String system;
    private final LoadSpec spec;
    private final PrintStream progress;
    private final Map<Operation, Recorder> recorders = new EnumMap<>(Operation.class);
    private final Map<Operation, LongAdder> errors = new EnumMap<>(Operation.class);
    private final Map<Operation, Histogram> measured = new EnumMap<>(Operation.class);
    private final long[] measuredErrors = new long[Operation.values().length];
    /** The error counts at the last {@link #collect}: only the main thread collects. */
    private long[] collectedErrors = new long[Operation.values().length];

    /**
     * @param system   the name of the system under test, for the result
     * @param progress where the progress lines go (stderr, usually)
     */
    public LoadGenerator(Driver driver, String system, LoadSpec spec, PrintStream progress) {
        this.driver = driver;
        this.system = system;
        this.spec = spec;
        this.progress = progress;
        for (Operation op : Operation.values()) {
            recorders.put(op, new Recorder(3));
            errors.put(op, new LongAdder());
            measured.put(op, new Histogram(3));
        }
    }

    /**
     * Writes every key of the load once, from {@code threads} threads, before a run reads them
     * (YCSB's load phase); prints progress every second.
     *
     * @throws IllegalStateException when a write fails: a run on missing keys would measure nothing
     */
    public static void preload(Driver driver, LoadSpec spec, PrintStream progress) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < spec.threads(); t++) {
            SplittableRandom random = new SplittableRandom(spec.seed() + t);
            Thread loader = new Thread(() -> {
                byte[] value = new byte[spec.valueBytes()];
                for (int i = 0; i < value.length; i++) {
                    value[i] = (byte) random.nextInt(256);
                }
                for (long key = next.getAndIncrement(); key < spec.keys() && failed.get() == 0; key = next.getAndIncrement()) {
                    try {
                        driver.insert(key, value);
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, e);
                    }
                }
            }, "preload-" + t);
            loader.setDaemon(true);
            loader.start();
            threads.add(loader);
        }
        long startNs = System.nanoTime();
        for (Thread loader : threads) {
            while (loader.isAlive()) {
                loader.join(1_000);
                progress.printf(Locale.ROOT, "%5d s  loading   %,d of %,d keys%n", (System.nanoTime() - startNs) / SECOND_NS,
                        Math.min(next.get(), spec.keys()), spec.keys());
            }
        }
        if (failed.get() > 0) {
            throw new IllegalStateException("loading the keys failed: " + failed.get() + " writes were refused, the first with "
                    + firstFailure.get());
        }
    }

    public LoadResult run() throws InterruptedException {
        KeyDistribution keys = KeyDistribution.named(spec.distribution(), spec.keys());
        AtomicLong nextInsert = new AtomicLong(spec.keys());
        long startNs = System.nanoTime();
        long measureFromNs = startNs + spec.warmupSec() * SECOND_NS;
        long endNs = measureFromNs + spec.durationSec() * SECOND_NS;
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < spec.threads(); t++) {
            int thread = t;
            Thread worker = new Thread(() -> work(thread, keys, nextInsert, startNs, endNs), "load-" + t);
            worker.setDaemon(true);
            worker.start();
            threads.add(worker);
        }
        for (long tick = startNs + SECOND_NS; tick <= endNs; tick += SECOND_NS) {
            LockSupport.parkNanos(tick - System.nanoTime());
            boolean measuring = tick > measureFromNs;
            report((tick - startNs) / SECOND_NS, measuring, collect(measuring));
        }
        for (Thread worker : threads) {
            worker.join();
        }
        collect(true);
        List<LoadResult.OperationStats> stats = new ArrayList<>();
        for (Operation op : Operation.values()) {
            if (spec.mix().weight(op) > 0) {
                stats.add(LoadResult.OperationStats.of(op, measured.get(op), measuredErrors[op.ordinal()]));
            }
        }
        return new LoadResult(system, driver.durability(), spec, spec.durationSec(), stats);
    }

    private void work(int thread, KeyDistribution keys, AtomicLong nextInsert, long startNs, long endNs) {
        SplittableRandom random = new SplittableRandom(spec.seed() * 1_000_003L + thread);
        byte[] value = new byte[spec.valueBytes()];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) random.nextInt(256);
        }
        long intervalNs = spec.openLoop() ? (long) (SECOND_NS * spec.threads() / spec.targetRate()) : 0;
        long due = startNs + (intervalNs > 0 ? random.nextLong(intervalNs) : 0);
        while (true) {
            long began;
            if (spec.openLoop()) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                began = due;
                due += intervalNs;
            } else {
                began = System.nanoTime();
            }
            if (began >= endNs) {
                return;
            }
            Operation op = spec.mix().next(random);
            long key = op == Operation.INSERT ? nextInsert.getAndIncrement() : keys.next(random);
            if (value.length > 0) {
                value[random.nextInt(value.length)]++;
            }
            try {
                switch (op) {
                    case READ -> driver.read(key);
                    case UPDATE -> driver.update(key, value);
                    case INSERT -> driver.insert(key, value);
                    case READ_MODIFY_WRITE -> driver.readModifyWrite(key, value);
                }
                recorders.get(op).recordValue(Math.max(0, System.nanoTime() - began));
            } catch (Exception e) {
                errors.get(op).increment();
            }
        }
    }

    /**
     * Takes what the threads recorded since the last call, latencies and errors; keeps it when
     * measuring. Answers the interval's histograms.
     */
    private Map<Operation, Histogram> collect(boolean measuring) {
        Map<Operation, Histogram> interval = new EnumMap<>(Operation.class);
        long[] errorsNow = errorCounts();
        for (Operation op : Operation.values()) {
            Histogram h = recorders.get(op).getIntervalHistogram();
            interval.put(op, h);
            if (measuring) {
                measured.get(op).add(h);
                measuredErrors[op.ordinal()] += errorsNow[op.ordinal()] - collectedErrors[op.ordinal()];
            }
        }
        collectedErrors = errorsNow;
        return interval;
    }

    private long[] errorCounts() {
        long[] counts = new long[Operation.values().length];
        for (Operation op : Operation.values()) {
            counts[op.ordinal()] = errors.get(op).sum();
        }
        return counts;
    }

    private void report(long second, boolean measuring, Map<Operation, Histogram> interval) {
        Histogram all = new Histogram(3);
        interval.values().forEach(all::add);
        progress.printf(Locale.ROOT, "%5d s  %-9s %,9d ops/s  p50 %7.2f ms  p99 %7.2f ms  errors %d%n", second,
                measuring ? "measuring" : "warm-up", all.getTotalCount(), all.getValueAtPercentile(50) / 1e6,
                all.getValueAtPercentile(99) / 1e6, sum(errorCounts()));
    }

    private static long sum(long[] values) {
        long total = 0;
        for (long v : values) {
            total += v;
        }
        return total;
    }
}
