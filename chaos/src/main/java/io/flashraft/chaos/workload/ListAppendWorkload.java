package io.flashraft.chaos.workload;

import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.history.Edn;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.FlashRaftException;
import io.flashraft.client.Key;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Elle's list-append with single-micro-op transactions: appends of unique elements to a key's
 * list ({@code [:append k e]}, one atomic list-append operate on the key's record) and reads of
 * the whole list ({@code [:r k list]}, nil for a key never appended to).
 */
public final class ListAppendWorkload implements Workload {
    public static final String HEADER = "list-append, single-op transactions; empty/missing list reads as nil";
    private static final String SET = "append";
    private static final String BIN = "l";
    private static final Edn.Keyword APPEND = new Edn.Keyword("append");
    private static final Edn.Keyword READ = new Edn.Keyword("r");

    private final FlashRaftClient client;
    private final String namespace;
    private final int keys;
    private final HistoryRecorder recorder;
    private final AtomicLong elements = new AtomicLong();

    public ListAppendWorkload(FlashRaftClient client, String namespace, int keys, HistoryRecorder recorder) {
        this.client = client;
        this.namespace = namespace;
        this.keys = keys;
        this.recorder = recorder;
    }

    @Override
    public void setUp() {
        // Keys start missing: a read of one is nil.
    }

    @Override
    public History.Type runOnce(int worker, Random random) {
        long k = random.nextInt(keys);
        return random.nextBoolean() ? append(worker, k) : read(worker, k);
    }

    private History.Type append(int worker, long k) {
        List<Object> txn = List.of(List.of(APPEND, k, elements.incrementAndGet()));
        recorder.invoke(worker, "txn", txn);
        try {
            client.operate(key(k), WritePolicy.DEFAULT, List.of(BinOp.listAppend(BIN, Value.of((Long) ((List<?>) txn.get(0)).get(2)))));
            return done(worker, History.Type.OK, txn);
        } catch (FlashRaftException e) {
            return done(worker, Workload.failed(e), txn);
        }
    }

    private History.Type read(int worker, long k) {
        recorder.invoke(worker, "txn", List.of(Arrays.asList(READ, k, null)));
        try {
            List<Object> list = Workload.integers(client.get(key(k), BinSelection.ALL), BIN);
            return done(worker, History.Type.OK, List.of(Arrays.asList(READ, k, list)));
        } catch (FlashRaftException e) {
            return done(worker, History.Type.FAIL, List.of(Arrays.asList(READ, k, null)));
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
        return HistoryChecker.check(HistoryChecker.Workload.LIST_APPEND, history);
    }

    private History.Type done(int worker, History.Type type, Object value) {
        recorder.complete(worker, type, "txn", value);
        return type;
    }

    private Key key(long k) {
        return Key.of(namespace, SET, k);
    }
}
