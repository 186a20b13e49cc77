package io.flashraft.loadgen.flashraft;

import io.flashraft.client.ClientPolicy;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.Key;
import io.flashraft.client.Record;
import io.flashraft.loadgen.Driver;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.util.List;

/**
 * The load generator's FlashRaft: one partition-aware client shared by every thread; a key
 * {@code k} is the record of integer user key {@code k} in one set, its value one bytes bin.
 * Reads are the default linearizable reads.
 */
public final class FlashRaftDriver implements Driver {
    private static final String BIN = "v";

    private final FlashRaftClient client;
    private final String namespace;
    private final String set;

    private FlashRaftDriver(FlashRaftClient client, String namespace, String set) {
        this.client = client;
        this.namespace = namespace;
        this.set = set;
    }

    /** Connects through any of the seed nodes ({@code host:port} of a gateway). */
    public static FlashRaftDriver connect(List<String> seeds, String namespace, String set) {
        return new FlashRaftDriver(FlashRaftClient.connect(ClientPolicy.DEFAULT, seeds.toArray(String[]::new)), namespace, set);
    }

    @Override
    public byte[] read(long key) {
        Record record = client.get(key(key), BinSelection.ALL);
        return record == null ? null : ((Value.BytesValue) record.bins().get(BIN)).value();
    }

    @Override
    public void update(long key, byte[] value) {
        client.put(key(key), Bins.of(BIN, Value.of(value)), WritePolicy.DEFAULT);
    }

    @Override
    public String durability() {
        return "fsync on a majority before ok (Ratis log)";
    }

    private Key key(long key) {
        return Key.of(namespace, set, key);
    }

    @Override
    public void close() {
        client.close();
    }
}
