package io.flashraft.statemachine;

import io.flashraft.device.RecordStore;
import io.flashraft.device.RecordStores;
import io.flashraft.device.StoreConfig;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.Partitions;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.ValueCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.BitSet;
import java.util.List;

/** Record stores for state machine tests, and the digest of a full scan to compare replicas by. */
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

    /**
     * SHA-256 over every live record of the partitions as of {@code nowMs}: digest, set,
     * generation, void time, stamp and bins, in partition and digest order.
     */
    static String scanDigest(RecordStore store, BitSet partitions, long nowMs) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteWriter out = new ByteWriter(256);
        for (int p = partitions.nextSetBit(0); p >= 0; p = partitions.nextSetBit(p + 1)) {
            store.scan(p, nowMs, BinSelection.ALL, record -> {
                out.reset();
                out.writeBytes(record.digest().toBytes(), 0, 20);
                byte[] set = record.set().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.writeVarint(set.length);
                out.writeBytes(set, 0, set.length);
                RecordMeta meta = record.meta();
                out.writeInt(meta.generation());
                out.writeLong(meta.voidTimeSec());
                out.writeLong(meta.lastUpdateStamp());
                ValueCodec.writeBins(out, record.bins());
                sha.update(out.array(), 0, out.size());
            });
        }
        return io.flashraft.protocol.Hex.encode(sha.digest());
    }
}
