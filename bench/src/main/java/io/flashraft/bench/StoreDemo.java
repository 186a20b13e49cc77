package io.flashraft.bench;

import io.flashraft.protocol.BinSelection;
import io.flashraft.device.ReadResult;
import io.flashraft.protocol.RecordExistsAction;
import io.flashraft.device.RecordStore;
import io.flashraft.device.RecordStores;
import io.flashraft.device.StoreConfig;
import io.flashraft.device.WriteContext;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.device.WriteResult;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A walk through the device engine on a real file: writes, a generation-checked update, a delete,
 * a crash-free restart with a cold start, and the same reads again. Until the cluster exists,
 * this is what the README's first command runs.
 */
public final class StoreDemo {
    private StoreDemo() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        Path dir = Path.of(args.string("dir", "run/demo"));
        int records = (int) args.number("records", 200_000);
        StoreConfig config = StoreConfig.builder().dataDir(dir.resolve("data"))
                .devices(List.of(dir.resolve("device.dat"))).deviceSizeBytes(256L << 20).build();
        long logIndex;
        long now = System.currentTimeMillis();
        try (RecordStore store = RecordStores.open(config)) {
            logIndex = store.checkpointedIndexes().getOrDefault(0, 0L);
            System.out.println("opened " + dir + ": " + store.stats().records() + " records on the device");
            long startNs = System.nanoTime();
            for (int i = 0; i < records; i++) {
                store.put(ctx(++logIndex, now), KeyDigest.of("users", i), "users",
                        Bins.of(Map.of("name", Value.of("user-" + i), "visits", Value.of(i))), WritePolicy.DEFAULT);
            }
            System.out.printf("put %,d records in %.2f s%n", records, (System.nanoTime() - startNs) / 1e9);
            Digest alice = KeyDigest.of("users", "alice");
            WriteResult created = store.put(ctx(++logIndex, now), alice, "users",
                    Bins.of("name", Value.of("Alice")), WritePolicy.of(RecordExistsAction.REPLACE));
            show("put users/alice", created.code() + " generation " + created.meta().generation());
            WriteResult stale = store.put(ctx(++logIndex, now), alice, "users", Bins.of("name", Value.of("Mallory")),
                    WritePolicy.DEFAULT.withExpectedGeneration(created.meta().generation() + 5));
            show("compare-and-set with a wrong generation", stale.code().toString());
            WriteResult cas = store.put(ctx(++logIndex, now), alice, "users", Bins.of("city", Value.of("Lisbon")),
                    WritePolicy.DEFAULT.withExpectedGeneration(created.meta().generation()));
            show("compare-and-set with the right generation", cas.code() + " generation " + cas.meta().generation());
            show("delete users/1", store.delete(ctx(++logIndex, now), KeyDigest.of("users", 1), WritePolicy.DEFAULT).code()
                    .toString());
            store.checkpoint(0, logIndex);
            System.out.println("checkpoint at log index " + logIndex + "; closing");
        }
        try (RecordStore store = RecordStores.open(config)) {
            System.out.println("reopened with a cold start: " + store.stats().engine());
            ReadResult alice = store.get(KeyDigest.of("users", "alice"), BinSelection.ALL, now);
            show("get users/alice", alice.code() + " " + alice.bins() + " generation " + alice.meta().generation());
            show("get users/1 (deleted)", store.get(KeyDigest.of("users", 1), BinSelection.ALL, now).code().toString());
            ReadResult last = store.get(KeyDigest.of("users", records - 1), BinSelection.ALL, now);
            show("get users/" + (records - 1), last.code() + " " + last.bins());
            System.out.println("records: " + store.stats().records() + ", index bytes: "
                    + store.stats().memoryUsedBytes() + ", device bytes in use: " + store.stats().diskUsedBytes());
        }
    }

    private static WriteContext ctx(long logIndex, long nowMs) {
        return new WriteContext(0, logIndex, nowMs, logIndex);
    }

    private static void show(String what, String result) {
        System.out.printf("  %-45s -> %s%n", what, result);
    }
}
