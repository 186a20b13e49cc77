package io.flashraft.bench;

import io.flashraft.device.RecordStore;
import io.flashraft.device.RecordStores;
import io.flashraft.device.StoreConfig;
import io.flashraft.device.WriteContext;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Value;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * RAM per record of the device engine, measured as heap growth: open a store, measure the heap
 * after a full GC, load N records, measure again, divide. Digests are computed on the fly so that
 * nothing but the store holds memory per record.
 *
 * <pre>
 * java -Xmx4g -cp bench/target/flashraft-bench.jar io.flashraft.bench.IndexMemoryBench \
 *   --dir /var/tmp/flashraft-index --records 10000000
 * </pre>
 */
public final class IndexMemoryBench {
    private IndexMemoryBench() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        Path dir = Path.of(args.string("dir", "/var/tmp/flashraft-index"));
        int records = (int) args.number("records", 10_000_000);
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve("data").resolve("store.meta"));
        Files.deleteIfExists(dir.resolve("device.dat"));
        StoreConfig config = StoreConfig.builder().dataDir(dir.resolve("data"))
                .devices(List.of(dir.resolve("device.dat"))).deviceSizeBytes(records * 160L + (256L << 20))
                .stopWritesDiskPercent(100).build();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (RecordStore store = RecordStores.open(config)) {
            long before = usedHeapAfterGc(memory);
            long startNs = System.nanoTime();
            for (int i = 0; i < records; i++) {
                store.put(new WriteContext(0, i + 1, 0, i), KeyDigest.of("bench", i), "bench",
                        Bins.of("v", Value.of(i)), WritePolicy.DEFAULT);
                if ((i + 1) % 1_000_000 == 0) {
                    System.out.printf(Locale.ROOT, "\rloaded %,d of %,d records (%.0f/s)   ", i + 1, records,
                            (i + 1) / ((System.nanoTime() - startNs) / 1e9));
                    System.out.flush();
                }
            }
            long after = usedHeapAfterGc(memory);
            System.out.printf(Locale.ROOT, "%n%,d records: heap grew %,d bytes = %.1f bytes per record; "
                            + "the index counts %.1f bytes per record%n", records, after - before,
                    (after - before) / (double) records, store.stats().memoryUsedBytes() / (double) records);
        }
    }

    private static long usedHeapAfterGc(MemoryMXBean memory) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
