package io.flashraft.device.flash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.protocol.BinSelection;
import io.flashraft.device.ReadResult;
import io.flashraft.device.StoreConfig;
import io.flashraft.protocol.StoredRecord;
import io.flashraft.device.Update;
import io.flashraft.device.WriteContext;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.device.WriteResult;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that the device store stays consistent under concurrency: eight threads incrementing
 * and overwriting overlapping records while another thread runs maintenance (defrag, expiry,
 * tomb raids) and checkpoints in a loop lose no increment, never let a read see a torn record,
 * and leave a store that a restart loads exactly as it was.
 */
class DeviceStoreConcurrencyTest {
    private static final int THREADS = 8;
    private static final int OPERATIONS_PER_THREAD = 5000;
    private static final int KEYS = 24;
    private static final int BLOCK = 64 * 1024;
    private static final long NOW_MS = 1_700_000_000_000L;
    private static final String SET = "counters";

    @TempDir
    Path tmp;

    private static Digest digest(int key) {
        return KeyDigest.of(SET, key);
    }

    /** The payload is a function of its seed, so that any reader can tell a whole record from a torn one. */
    private static byte[] payload(long seed) {
        byte[] bytes = new byte[500 + (int) (seed % 3500)];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static void checkWhole(int key, Bins bins) {
        Value seed = bins.get("s");
        if (seed != null) {
            long s = ((Value.IntegerValue) seed).value();
            assertTrue(Arrays.equals(payload(s), ((Value.BytesValue) bins.get("p")).value()),
                    "key " + key + ": payload does not match its seed " + s);
        }
    }

    private static Update increment(StoredRecord current) {
        Map<String, Value> bins = new TreeMap<>(current == null ? Map.of() : current.bins().asMap());
        Value n = bins.get("n");
        long next = (n == null ? 0 : ((Value.IntegerValue) n).value()) + 1;
        bins.put("n", Value.of(next));
        return Update.write(Bins.of(bins), Bins.of("n", Value.of(next)));
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void concurrentIncrementsPutsAndMaintenanceLoseNothingAndTearNothing() throws Exception {
        StoreConfig config = StoreConfig.builder()
                .dataDir(tmp.resolve("data"))
                .devices(List.of(tmp.resolve("device0")))
                // Larger than everything the writers write (about 74 MB), so that no write depends
                // on how often the maintainer made blocks reusable.
                .deviceSizeBytes(160L * 1024 * 1024)
                .writeBlockSizeBytes(BLOCK)
                .postWriteQueueBlocks(4)
                .flushIntervalMs(60_000)
                .tombstoneRetentionMs(0)
                .backgroundMaintenance(false)
                .build();
        AtomicLong logIndex = new AtomicLong();
        AtomicLongArray increments = new AtomicLongArray(KEYS);
        AtomicLong skippedAsReplayed = new AtomicLong();
        AtomicLong deviceFull = new AtomicLong();
        AtomicBoolean writing = new AtomicBoolean(true);
        Map<Digest, String> before = new TreeMap<>();
        long maintenancePasses = 0;

        try (DeviceStore store = DeviceStore.open(config)) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long threadSeed = 1000L + t;
                writers.add(pool.submit(() -> {
                    Random random = new Random(threadSeed);
                    start.await();
                    for (int i = 0; i < OPERATIONS_PER_THREAD; i++) {
                        int key = random.nextInt(KEYS);
                        int roll = random.nextInt(10);
                        if (roll < 2) {
                            ReadResult read = store.get(digest(key), BinSelection.ALL, NOW_MS);
                            if (read.found()) {
                                checkWhole(key, read.bins());
                            }
                            continue;
                        }
                        // Log indexes come from one counter, so two writers of a record may apply
                        // out of index order; the later-applied, lower index is then skipped as a
                        // replay, exactly as after a crash. Only applied increments are counted.
                        long index = logIndex.incrementAndGet();
                        WriteContext ctx = new WriteContext(1, index, NOW_MS, index);
                        WriteResult result;
                        if (roll < 7) {
                            result = store.operate(ctx, digest(key), SET, WritePolicy.DEFAULT,
                                    DeviceStoreConcurrencyTest::increment);
                            if (result.ok() && !result.replayed()) {
                                increments.incrementAndGet(key);
                            }
                        } else {
                            long seed = random.nextInt(1 << 30);
                            result = store.put(ctx, digest(key), SET, Bins.of(Map.of("p", Value.of(payload(seed)),
                                    "s", Value.of(seed))), WritePolicy.DEFAULT);
                        }
                        if (result.replayed()) {
                            skippedAsReplayed.incrementAndGet();
                        } else if (result.code() == ResultCode.DEVICE_FULL) {
                            deviceFull.incrementAndGet();
                        } else {
                            assertTrue(result.ok(), result.toString());
                        }
                    }
                    return null;
                }));
            }
            Future<Long> maintainer = pool.submit(() -> {
                start.await();
                long passes = 0;
                do {
                    store.runMaintenance();
                    store.checkpoint(1, logIndex.get());
                    passes++;
                } while (writing.get());
                return passes;
            });
            start.countDown();
            try {
                for (Future<?> writer : writers) {
                    writer.get();
                }
            } finally {
                writing.set(false);
                maintenancePasses = maintainer.get();
                pool.shutdown();
            }

            long total = 0;
            for (int key = 0; key < KEYS; key++) {
                ReadResult read = store.get(digest(key), BinSelection.ALL, NOW_MS);
                assertTrue(read.found(), "key " + key);
                checkWhole(key, read.bins());
                Value n = read.bins().get("n");
                long counted = n == null ? 0 : ((Value.IntegerValue) n).value();
                assertEquals(increments.get(key), counted, "key " + key + ": lost or doubled increments");
                total += counted;
                before.put(digest(key), read.meta() + " " + read.bins());
            }
            assertTrue(total > THREADS * OPERATIONS_PER_THREAD / 4, "increments applied: " + total);
            assertEquals(0, deviceFull.get(), "the device was sized to never fill");
        }

        try (DeviceStore store = DeviceStore.open(config)) {
            assertEquals(0, store.coldStartCorruptRecords(), store.coldStartReport());
            Map<Digest, String> after = new TreeMap<>();
            for (int key = 0; key < KEYS; key++) {
                ReadResult read = store.get(digest(key), BinSelection.ALL, NOW_MS);
                assertTrue(read.found(), "key " + key);
                checkWhole(key, read.bins());
                after.put(digest(key), read.meta() + " " + read.bins());
            }
            assertEquals(before, after);
            assertEquals(KEYS, store.stats().records());
        }
        System.out.println("concurrency: " + maintenancePasses + " maintenance passes, " + skippedAsReplayed.get()
                + " writes applied out of index order and skipped");
    }
}
