package io.flashraft.chaos.workload;

import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.checker.SetChecker;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.FlashRaftException;
import io.flashraft.client.Key;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Jepsen's set: unique adds ({@code :add e}, a list-append to one record), then final reads of
 * the whole set ({@code :read [elements]}) once the faults are over. Checked by {@link SetChecker}.
 */
public final class SetWorkload implements Workload {
    public static final String HEADER = "set: unique adds, final reads";
    private static final String BIN = "s";

    private final FlashRaftClient client;
    private final Key key;
    private final HistoryRecorder recorder;
    private final AtomicLong elements = new AtomicLong();

    public SetWorkload(FlashRaftClient client, String namespace, HistoryRecorder recorder) {
        this.client = client;
        this.key = Key.of(namespace, "set", "elements");
        this.recorder = recorder;
    }

    @Override
    public void setUp() {
        // The set starts empty (missing).
    }

    @Override
    public History.Type runOnce(int worker, Random random) {
        long element = elements.incrementAndGet();
        recorder.invoke(worker, "add", element);
        History.Type type;
        try {
            client.operate(key, WritePolicy.DEFAULT, List.of(BinOp.listAppend(BIN, Value.of(element))));
            type = History.Type.OK;
        } catch (FlashRaftException e) {
            type = Workload.failed(e);
        }
        recorder.complete(worker, type, "add", element);
        return type;
    }

    @Override
    public void finalReads(int worker) {
        recorder.invoke(worker, "read", null);
        try {
            List<Object> read = Workload.integers(client.get(key, BinSelection.ALL), BIN);
            recorder.complete(worker, History.Type.OK, "read", read == null ? List.of() : read);
        } catch (FlashRaftException e) {
            recorder.complete(worker, History.Type.FAIL, "read", null);
        }
    }

    @Override
    public HistoryChecker.Result check(History history) {
        return SetChecker.check(history);
    }
}
