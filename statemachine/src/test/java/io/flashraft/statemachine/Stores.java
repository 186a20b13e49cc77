package io.flashraft.statemachine;

import io.flashraft.device.RecordStore;
import io.flashraft.device.RecordStores;
import io.flashraft.device.StoreConfig;
import io.flashraft.protocol.Partitions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

/** Record stores for state machine tests. */
final class Stores {
    private Stores() {
    }

    static RecordStore memory(Path dir) {
        return open(StoreConfig.builder().engine(StoreConfig.Engine.MEMORY).dataDir(dir)
                .backgroundMaintenance(false).build());
    }

    static RecordStore device(Path dir) {
        return open(StoreConfig.builder().engine(StoreConfig.Engine.DEVICE).dataDir(dir.resolve("data"))
                .devices(List.of(dir.resolve("device.dat"))).deviceSizeBytes(16L << 20)
                .writeBlockSizeBytes(64 * 1024).backgroundMaintenance(false).build());
    }

    private static RecordStore open(StoreConfig config) {
        try {
            return RecordStores.open(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The partitions of group {@code group} of {@code groups}. */
    static BitSet partitionsOf(int group, int groups) {
        BitSet partitions = new BitSet(Partitions.COUNT);
        for (int p = group; p < Partitions.COUNT; p += groups) {
            partitions.set(p);
        }
        return partitions;
    }
}
