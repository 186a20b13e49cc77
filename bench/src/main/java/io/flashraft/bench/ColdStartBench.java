package io.flashraft.bench;

import io.flashraft.device.RecordStore;
import io.flashraft.device.RecordStores;
import io.flashraft.device.StoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Times a cold start of the device store that {@link StoreBench} left, in a JVM of its own as a
 * restarted server would be: opening the store reads every write block of the device and
 * rebuilds the index. Run it after dropping the page cache; compare with dd on the same file.
 *
 * <pre>
 * sync; echo 3 > /proc/sys/vm/drop_caches
 * java -Xms8g -Xmx8g -XX:+AlwaysPreTouch -XX:+UseTransparentHugePages \
 *   -cp bench/target/flashraft-bench.jar io.flashraft.bench.ColdStartBench --dir /var/tmp/flashraft-bench
 * </pre>
 */
public final class ColdStartBench {
    private ColdStartBench() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        Path engineDir = Path.of(args.string("dir", "/var/tmp/flashraft-bench")).resolve("device");
        Path device = engineDir.resolve("device.dat");
        StoreConfig config = StoreConfig.builder().dataDir(engineDir.resolve("data")).devices(List.of(device))
                .stopWritesDiskPercent(100).build();
        long deviceBytes = Files.size(device);
        long startNs = System.nanoTime();
        try (RecordStore store = RecordStores.open(config)) {
            double seconds = (System.nanoTime() - startNs) / 1e9;
            System.out.printf(Locale.ROOT, "cold start: %.1f s for %,d MB of device = %.0f MB/s; %,d records%n",
                    seconds, deviceBytes / 1_000_000, deviceBytes / 1e6 / seconds, store.stats().records());
        }
    }
}
