package io.flashraft.chaos.workload;

import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.FlashRaftException;
import io.flashraft.client.Key;
import io.flashraft.client.Record;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.RecordExistsAction;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;

/**
 * Jepsen's register workload over several independent keys: reads, writes and compare-and-sets,
 * recorded as {@code :value [key v]} ops (jepsen.independent). Each key is one record with one
 * bin. Written values are unique, so a stale or lost value cannot hide behind an equal one.
 *
 * <p>A compare-and-set reads the record and, when it holds the expected value, writes the new one
 * on condition that the record's generation has not moved: it takes effect at that write, or
 * fails at the read (another value) or at the write (the generation moved: another write came
 * between, with another value). A failure whose write may have been applied is {@code :info}.
 */
public final class RegisterWorkload implements Workload {
    /** The header of the histories this workload records. */
    public static final String HEADER = "model cas-register init 0 (per key; jepsen.independent: :value is [key v])";
    private static final String SET = "register";
    private static final String BIN = "v";

    private final FlashRaftClient client;
    private final String namespace;
    private final int keys;
    private final HistoryRecorder recorder;
    private final AtomicLong values = new AtomicLong();
    /** The value each key was last written to, as a cas's likely expected value. */
    private final AtomicLongArray lastWritten;

    public RegisterWorkload(FlashRaftClient client, String namespace, int keys, HistoryRecorder recorder) {
        this.client = client;
        this.namespace = namespace;
        this.keys = keys;
        this.recorder = recorder;
        this.lastWritten = new AtomicLongArray(keys);
    }

    /** Sets every key to 0, outside the history (its initial value). */
    @Override
    public void setUp() {
        for (int k = 0; k < keys; k++) {
            client.put(key(k), Bins.of(BIN, Value.of(0)), WritePolicy.DEFAULT);
        }
    }

    /**
     * Runs one random operation as worker {@code worker}.
     *
     * @return the completion's type
     */
    @Override
    public History.Type runOnce(int worker, Random random) {
        long k = random.nextInt(keys);
        return switch (random.nextInt(3)) {
            case 0 -> read(worker, k);
            case 1 -> write(worker, k);
            default -> cas(worker, k, random.nextInt(4) == 0 ? values.get() : lastWritten.get((int) k),
                    values.incrementAndGet());
        };
    }

    /** Reads key k as worker {@code worker}. */
    public History.Type read(int worker, long k) {
        return read(worker, k, key -> {
            Record record = client.get(key, BinSelection.ALL);
            return record == null ? null : record.bins();
        });
    }

    /**
     * Reads key k as worker {@code worker} through {@code source}, which gives the record's bins
     * (null when there is none) or throws when the read failed.
     */
    public History.Type read(int worker, long k, Function<Key, Bins> source) {
        recorder.invoke(worker, "read", Arrays.asList(k, null));
        try {
            Bins bins = source.apply(key(k));
            Object value = bins == null ? null : ((Value.IntegerValue) bins.get(BIN)).value();
            return done(worker, History.Type.OK, "read", Arrays.asList(k, value));
        } catch (FlashRaftException e) {
            return done(worker, History.Type.FAIL, "read", Arrays.asList(k, null));
        }
    }

    /** Writes a value no one wrote before to key k, as worker {@code worker}. */
    public History.Type write(int worker, long k) {
        long value = values.incrementAndGet();
        List<Object> op = List.of(k, value);
        recorder.invoke(worker, "write", op);
        try {
            client.put(key(k), Bins.of(BIN, Value.of(value)), WritePolicy.DEFAULT);
            lastWritten.set((int) k, value);
            return done(worker, History.Type.OK, "write", op);
        } catch (FlashRaftException e) {
            return done(worker, Workload.failed(e), "write", op);
        }
    }

    private History.Type cas(int worker, long k, long expected, long value) {
        List<Object> op = List.of(k, List.of(expected, value));
        recorder.invoke(worker, "cas", op);
        Record record;
        try {
            record = client.get(key(k), BinSelection.ALL);
        } catch (FlashRaftException e) {
            return done(worker, History.Type.FAIL, "cas", op);
        }
        if (record == null || !Value.of(expected).equals(record.bins().get(BIN))) {
            return done(worker, History.Type.FAIL, "cas", op);
        }
        try {
            client.put(key(k), Bins.of(BIN, Value.of(value)),
                    new WritePolicy(RecordExistsAction.UPDATE_ONLY, record.meta().generation(), WritePolicy.TTL_UNCHANGED));
            lastWritten.set((int) k, value);
            return done(worker, History.Type.OK, "cas", op);
        } catch (FlashRaftException e) {
            // GENERATION_MISMATCH and every other definite refusal: the swap did not happen.
            return done(worker, Workload.failed(e), "cas", op);
        }
    }

    @Override
    public void finalReads(int worker) {
        for (int k = 0; k < keys; k++) {
            read(worker, k);
        }
    }

    @Override
    public HistoryChecker.Result check(History history) {
        return HistoryChecker.check(HistoryChecker.Workload.REGISTER_INDEPENDENT, history);
    }

    private History.Type done(int worker, History.Type type, String f, Object value) {
        recorder.complete(worker, type, f, value);
        return type;
    }

    private Key key(long k) {
        return Key.of(namespace, SET, k);
    }
}
