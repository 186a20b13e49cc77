package io.flashraft.ycsb;

import io.flashraft.client.ClientPolicy;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.FlashRaftException;
import io.flashraft.client.Key;
import io.flashraft.client.Record;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.Vector;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;

/**
 * YCSB's database interface over FlashRaft: a YCSB table is a set of one namespace, a record
 * one FlashRaft record of that set whose bins are YCSB's fields (bytes values). Writes are
 * durable as every FlashRaft write is (fsynced on a majority); reads are linearizable.
 *
 * <p>Properties: {@code flashraft.seeds} (gateway addresses, comma-separated; default
 * 127.0.0.1:7201) and {@code flashraft.namespace} (default test). YCSB makes one DB per client
 * thread; they share one client (its connections to every node).
 *
 * <p>YCSB's scan reads keys in key order from a start key; FlashRaft keeps records in digest
 * order and scans whole partitions, so scan is NOT_IMPLEMENTED (YCSB workload E).
 */
public final class FlashRaftDB extends DB {
    private static FlashRaftClient shared;
    private static int users;

    private FlashRaftClient client;
    private String namespace;

    @Override
    public void init() throws DBException {
        String seeds = getProperties().getProperty("flashraft.seeds", "127.0.0.1:7201");
        namespace = getProperties().getProperty("flashraft.namespace", "test");
        synchronized (FlashRaftDB.class) {
            if (shared == null) {
                try {
                    shared = FlashRaftClient.connect(ClientPolicy.DEFAULT, seeds.split(","));
                } catch (FlashRaftException e) {
                    throw new DBException("cannot reach FlashRaft at " + seeds + ": " + e.getMessage(), e);
                }
            }
            users++;
            client = shared;
        }
    }

    @Override
    public void cleanup() {
        synchronized (FlashRaftDB.class) {
            if (client != null && --users == 0) {
                shared.close();
                shared = null;
            }
            client = null;
        }
    }

    private Key key(String table, String key) {
        return Key.of(namespace, table, key);
    }

    @Override
    public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        try {
            Record record = client.get(key(table, key), fields == null ? BinSelection.ALL : BinSelection.of(fields));
            if (record == null) {
                return Status.NOT_FOUND;
            }
            for (Map.Entry<String, Value> bin : record.bins().asMap().entrySet()) {
                result.put(bin.getKey(), new ByteArrayByteIterator(((Value.BytesValue) bin.getValue()).value()));
            }
            return Status.OK;
        } catch (FlashRaftException e) {
            return status(e);
        }
    }

    @Override
    public Status scan(String table, String startKey, int recordCount, Set<String> fields,
                       Vector<HashMap<String, ByteIterator>> result) {
        return Status.NOT_IMPLEMENTED;
    }

    @Override
    public Status update(String table, String key, Map<String, ByteIterator> values) {
        return write(table, key, values);
    }

    @Override
    public Status insert(String table, String key, Map<String, ByteIterator> values) {
        return write(table, key, values);
    }

    /** Writes the fields into the record, keeping its other bins (YCSB's update and insert alike). */
    private Status write(String table, String key, Map<String, ByteIterator> values) {
        Map<String, Value> bins = new LinkedHashMap<>();
        for (Map.Entry<String, ByteIterator> field : values.entrySet()) {
            bins.put(field.getKey(), Value.of(field.getValue().toArray()));
        }
        try {
            client.put(key(table, key), Bins.of(bins), WritePolicy.DEFAULT);
            return Status.OK;
        } catch (FlashRaftException e) {
            return status(e);
        }
    }

    @Override
    public Status delete(String table, String key) {
        try {
            return client.delete(key(table, key), WritePolicy.DEFAULT) ? Status.OK : Status.NOT_FOUND;
        } catch (FlashRaftException e) {
            return status(e);
        }
    }

    private static Status status(FlashRaftException e) {
        if (e.code() == ResultCode.BAD_REQUEST || e.code() == ResultCode.RECORD_TOO_BIG || e.code() == ResultCode.BIN_TYPE_ERROR) {
            return new Status("BAD_REQUEST", e.getMessage());
        }
        if (e.code() == ResultCode.UNAVAILABLE || e.code() == ResultCode.TIMEOUT) {
            return new Status("SERVICE_UNAVAILABLE", e.getMessage());
        }
        return new Status("ERROR", e.code() + (e.inDoubt() ? " (in doubt)" : "") + ": " + e.getMessage());
    }
}
