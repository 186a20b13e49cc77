package io.flashraft.consensus;

import com.codahale.metrics.Histogram;
import io.flashraft.statemachine.LogEntry;
import io.flashraft.statemachine.LogEntryCodec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Carries the writes that reach one group's leader together in one log entry. A write waits
 * only while {@link #maxInFlight} entries of the group are being replicated; when one of them
 * is applied, every write that arrived meanwhile goes out as the next entry (up to
 * {@link LogEntry#MAX_COMMANDS} commands and {@link #maxBatchBytes} bytes). An idle group so
 * proposes each write at once, and a busy one proposes a few large entries instead of many small
 * ones: the cost of an entry (its Raft round, its fsyncs, its threads' wake-ups) is shared.
 *
 * <p>Every command is still applied on its own, atomically, in the order of the entry, once
 * (the session table), and answered with its own reply. Entries are proposed in the order the
 * commands arrived.
 */
final class ProposalBatcher {
    private final int maxInFlight;
    /** Commands per entry proposed. */
    private final Histogram entrySizes;
    private final int maxBatchBytes;
    /** Proposes one encoded batch and answers with its commands' replies, in order. */
    private final Function<byte[], CompletableFuture<GroupResult>> propose;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private int inFlight;
    /** Whether a thread is in {@link #drain} (a completion inside it must not recurse). */
    private boolean draining;

    private record Pending(byte[] command, CompletableFuture<GroupResult> answer) {
    }

    ProposalBatcher(int maxInFlight, int maxBatchBytes, Histogram entrySizes,
                    Function<byte[], CompletableFuture<GroupResult>> propose) {
        if (maxInFlight < 1 || maxBatchBytes < 1) {
            throw new IllegalArgumentException("maxInFlight " + maxInFlight + " and maxBatchBytes " + maxBatchBytes
                    + " must be positive");
        }
        this.maxInFlight = maxInFlight;
        this.maxBatchBytes = maxBatchBytes;
        this.entrySizes = entrySizes;
        this.propose = propose;
    }

    /**
     * Proposes one encoded command ({@link LogEntryCodec#encodeCommand}); the answer carries its
     * one reply, or the failure of the entry that carried it.
     */
    CompletableFuture<GroupResult> propose(byte[] command) {
        CompletableFuture<GroupResult> answer = new CompletableFuture<>();
        synchronized (this) {
            waiting.add(new Pending(command, answer));
        }
        drain();
        return answer;
    }

    /**
     * Sends the waiting commands while fewer than {@link #maxInFlight} entries are out. Holds the
     * lock while proposing, so entries reach the log in the order their commands arrived.
     */
    private synchronized void drain() {
        if (draining) {
            return;
        }
        draining = true;
        try {
            while (inFlight < maxInFlight && !waiting.isEmpty()) {
                List<Pending> batch = takeBatch();
                List<byte[]> commands = new ArrayList<>(batch.size());
                for (Pending pending : batch) {
                    commands.add(pending.command());
                }
                inFlight++;
                entrySizes.update(batch.size());
                CompletableFuture<GroupResult> outcome;
                try {
                    outcome = propose.apply(LogEntryCodec.joinBatch(commands));
                } catch (RuntimeException e) {
                    // Nothing was proposed: a definite failure, and the group must not stall.
                    outcome = CompletableFuture.completedFuture(GroupResult.failed(GroupResult.Status.UNAVAILABLE,
                            "the entry could not be proposed: " + e));
                }
                outcome.whenComplete((result, error) -> {
                    answer(batch, result, error);
                    synchronized (this) {
                        inFlight--;
                    }
                    drain();
                });
            }
        } finally {
            draining = false;
        }
    }

    private List<Pending> takeBatch() {
        List<Pending> batch = new ArrayList<>();
        long bytes = 0;
        while (!waiting.isEmpty() && batch.size() < LogEntry.MAX_COMMANDS) {
            int next = waiting.peek().command().length;
            if (!batch.isEmpty() && bytes + next > maxBatchBytes) {
                break;
            }
            bytes += next;
            batch.add(waiting.poll());
        }
        return batch;
    }

    private static void answer(List<Pending> batch, GroupResult result, Throwable error) {
        if (error != null) {
            GroupResult failed = GroupResult.failed(GroupResult.Status.IN_DOUBT, String.valueOf(error));
            batch.forEach(pending -> pending.answer().complete(failed));
        } else if (!result.ok()) {
            batch.forEach(pending -> pending.answer().complete(result));
        } else if (result.replies().size() != batch.size()) {
            GroupResult failed = GroupResult.failed(GroupResult.Status.IN_DOUBT, "an entry of " + batch.size()
                    + " commands was answered with " + result.replies().size() + " replies");
            batch.forEach(pending -> pending.answer().complete(failed));
        } else {
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).answer().complete(GroupResult.ok(List.of(result.replies().get(i))));
            }
        }
    }
}
