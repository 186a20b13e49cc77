package io.flashraft.chaos.history;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Records a history as workers run operations, the way Jepsen does: every invocation and
 * completion gets the next index and a monotonic time; a worker whose operation ended
 * {@code :info} (its outcome unknown) continues under a new process id, its old id plus the
 * number of workers, so that a process never has two operations open.
 */
public final class HistoryRecorder {
    private final String header;
    private final int workers;
    private final LongSupplier nanoTime;
    private final List<History.Op> ops = new ArrayList<>();
    private final long[] processes;

    /**
     * @param header   the header line of the history (without {@code ;;})
     * @param workers  how many workers run operations; worker w starts as process w
     * @param nanoTime the monotonic clock the times come from
     */
    public HistoryRecorder(String header, int workers, LongSupplier nanoTime) {
        this.header = header;
        this.workers = workers;
        this.nanoTime = nanoTime;
        this.processes = new long[workers];
        for (int w = 0; w < workers; w++) {
            processes[w] = w;
        }
    }

    /** Records worker {@code worker}'s invocation of {@code f} with {@code value}. */
    public synchronized void invoke(int worker, String f, Object value) {
        add(History.Type.INVOKE, worker, f, value);
    }

    /** Records the completion of worker {@code worker}'s open operation; after INFO the worker gets a new process. */
    public synchronized void complete(int worker, History.Type type, String f, Object value) {
        if (type == History.Type.INVOKE) {
            throw new IllegalArgumentException("a completion is ok, fail or info");
        }
        add(type, worker, f, value);
        if (type == History.Type.INFO) {
            processes[worker] += workers;
        }
    }

    private void add(History.Type type, int worker, String f, Object value) {
        long last = ops.isEmpty() ? Long.MIN_VALUE : ops.get(ops.size() - 1).timeNs();
        ops.add(new History.Op(ops.size(), Math.max(nanoTime.getAsLong(), last + 1), type, processes[worker], f, value));
    }

    /** The history so far. */
    public synchronized History history() {
        return new History(header, ops);
    }
}
