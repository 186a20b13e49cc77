package io.flashraft.chaos.workload;

import io.flashraft.chaos.checker.CounterChecker;
import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.FlashRaftException;
import io.flashraft.client.Key;
import io.flashraft.client.Record;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.util.List;
import java.util.Random;

/**
 * Jepsen's counter: increments ({@code :add 1}, an atomic add on one record) and reads
 * ({@code :read n}). Checked by {@link CounterChecker}.
 */
public final class CounterWorkload implements Workload {
    public static final String HEADER = "counter: increments and reads, starting at 0";
    private static final String BIN = "n";

    private final FlashRaftClient client;
    private final Key key;
    private final HistoryRecorder recorder;

    public CounterWorkload(FlashRaftClient client, String namespace, HistoryRecorder recorder) {
        this.client = client;
        this.key = Key.of(namespace, "counter", "n");
        this.recorder = recorder;
    }

    @Override
    public void setUp() {
        client.put(key, Bins.of(BIN, Value.of(0)), WritePolicy.DEFAULT);
    }

    @Override
    public History.Type runOnce(int worker, Random random) {
        return random.nextBoolean() ? add(worker) : read(worker);
    }

    private History.Type add(int worker) {
        recorder.invoke(worker, "add", 1L);
        History.Type type;
        try {
            client.operate(key, WritePolicy.DEFAULT, List.of(BinOp.add(BIN, Value.of(1))));
            type = History.Type.OK;
        } catch (FlashRaftException e) {
            type = Workload.failed(e);
        }
        recorder.complete(worker, type, "add", 1L);
        return type;
    }

    private History.Type read(int worker) {
        recorder.invoke(worker, "read", null);
        try {
            Record record = client.get(key, BinSelection.ALL);
            recorder.complete(worker, History.Type.OK, "read", ((Value.IntegerValue) record.bins().get(BIN)).value());
            return History.Type.OK;
        } catch (FlashRaftException e) {
            recorder.complete(worker, History.Type.FAIL, "read", null);
            return History.Type.FAIL;
        }
    }

    @Override
    public void finalReads(int worker) {
        read(worker);
    }

    @Override
    public HistoryChecker.Result check(History history) {
        return CounterChecker.check(history);
    }
}
