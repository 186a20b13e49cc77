package io.flashraft.chaos.workload;

import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.FlashRaftException;
import io.flashraft.client.Record;
import io.flashraft.protocol.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A Jepsen-style workload: operations recorded into a history, and the checker that judges it. */
public interface Workload {
    /** Writes what the history assumes before it starts (outside the history). */
    void setUp();

    /** Runs one random operation as a worker; answers how it completed. */
    History.Type runOnce(int worker, Random random);

    /** The reads that end a run, after the faults are healed. */
    void finalReads(int worker);

    /** Judges a history this workload recorded. */
    HistoryChecker.Result check(History history);

    /** How a write that threw ended: {@code :info} when it may have been applied, else {@code :fail}. */
    static History.Type failed(FlashRaftException e) {
        return e.inDoubt() ? History.Type.INFO : History.Type.FAIL;
    }

    /** The integers of a list bin, in order; null when the record or the bin is missing. */
    static List<Object> integers(Record record, String bin) {
        if (record == null || !(record.bins().get(bin) instanceof Value.ListValue values)) {
            return null;
        }
        List<Object> out = new ArrayList<>(values.elements().size());
        values.elements().forEach(element -> out.add(((Value.IntegerValue) element).value()));
        return out;
    }

    /** The workload of this name: register, list-append (both over {@code keys} keys), set or counter. */
    static Workload named(String name, FlashRaftClient client, String namespace, int keys, HistoryRecorder recorder) {
        return switch (name) {
            case "register" -> new RegisterWorkload(client, namespace, keys, recorder);
            case "list-append" -> new ListAppendWorkload(client, namespace, keys, recorder);
            case "set" -> new SetWorkload(client, namespace, recorder);
            case "counter" -> new CounterWorkload(client, namespace, recorder);
            default -> throw new IllegalArgumentException("no workload " + name + " (register, list-append, set, counter)");
        };
    }

    /** The header of a named workload's histories, known before the client exists. */
    static String headerOf(String name) {
        return switch (name) {
            case "register" -> RegisterWorkload.HEADER;
            case "list-append" -> ListAppendWorkload.HEADER;
            case "set" -> SetWorkload.HEADER;
            case "counter" -> CounterWorkload.HEADER;
            default -> throw new IllegalArgumentException("no workload " + name + " (register, list-append, set, counter)");
        };
    }
}
