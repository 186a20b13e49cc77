package io.flashraft.consensus;

import com.codahale.metrics.Histogram;
import io.flashraft.statemachine.LogEntry;
import io.flashraft.statemachine.LogEntryCodec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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
 * commands arrived: one thread at a time proposes (it holds the proposer's turn).
 *
 * <p>Ratis completes an entry's future under its own locks (a leader stepping down fails its
 * pending requests while holding the division's monitor), and proposing takes that monitor. So
 * the batcher never proposes while holding its own lock, and handles a completed entry on
 * {@code completions}, never on the thread that completed it: otherwise a proposal waiting for
 * the division and a step-down waiting for the batcher would wait for each other for ever.
 */
final class ProposalBatcher {
    private final int maxInFlight;
    /** Commands per entry proposed. */
    private final Histogram entrySizes;
    private final int maxBatchBytes;
    /** Where completed entries are answered and the next ones proposed. */
    private final Executor completions;
    /** Proposes one encoded batch and answers with its commands' replies, in order. */
    private final Function<byte[], CompletableFuture<GroupResult>> propose;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private int inFlight;
    /** Whether a thread holds the proposer's turn (in {@link #proposeWaiting}). */
    private boolean proposing;

    private record Pending(byte[] command, CompletableFuture<GroupResult> answer) {
    }

    ProposalBatcher(int maxInFlight, int maxBatchBytes, Histogram entrySizes, Executor completions,
                    Function<byte[], CompletableFuture<GroupResult>> propose) {
        if (maxInFlight < 1 || maxBatchBytes < 1) {
            throw new IllegalArgumentException("maxInFlight " + maxInFlight + " and maxBatchBytes " + maxBatchBytes
                    + " must be positive");
        }
        this.maxInFlight = maxInFlight;
        this.maxBatchBytes = maxBatchBytes;
        this.entrySizes = entrySizes;
        this.completions = completions;
        this.propose = propose;
    }

    /**
     * Proposes one encoded command ({@link LogEntryCodec#encodeCommand}); the answer carries its
     * one reply, or the failure of the entry that carried it.
     */
    CompletableFuture<GroupResult> propose(byte[] command) {
        CompletableFuture<GroupResult> answer = new CompletableFuture<>();
        boolean turn;
        synchronized (this) {
            waiting.add(new Pending(command, answer));
            turn = takeTurn();
        }
        if (turn) {
            proposeWaiting();
        }
        return answer;
    }

    /** Whether an entry may go out now: a command waits and fewer than {@link #maxInFlight} are out; under the lock. */
    private boolean canPropose() {
        return inFlight < maxInFlight && !waiting.isEmpty();
    }

    /** Takes the proposer's turn if it is free and there is something to propose; under the lock. */
    private boolean takeTurn() {
        if (proposing || !canPropose()) {
            return false;
        }
        proposing = true;
        return true;
    }

    /**
     * With the proposer's turn: sends the waiting commands while fewer than {@link #maxInFlight}
     * entries are out, then gives the turn back. Proposes without holding the lock.
     */
    private void proposeWaiting() {
        while (true) {
            List<Pending> batch;
            synchronized (this) {
                if (!canPropose()) {
                    proposing = false;
                    return;
                }
                batch = takeBatch();
                inFlight++;
            }
            List<byte[]> commands = new ArrayList<>(batch.size());
            for (Pending pending : batch) {
                commands.add(pending.command());
            }
            entrySizes.update(batch.size());
            CompletableFuture<GroupResult> outcome;
            try {
                outcome = propose.apply(LogEntryCodec.joinBatch(commands));
            } catch (RuntimeException e) {
                // Nothing was proposed: a definite failure, and the group must not stall.
                outcome = CompletableFuture.completedFuture(GroupResult.failed(GroupResult.Status.UNAVAILABLE,
                        "the entry could not be proposed: " + e));
            }
            outcome.whenCompleteAsync((result, error) -> finished(batch, result, error), completions);
        }
    }

    private void finished(List<Pending> batch, GroupResult result, Throwable error) {
        answer(batch, result, error);
        boolean turn;
        synchronized (this) {
            inFlight--;
            turn = takeTurn();
        }
        if (turn) {
            proposeWaiting();
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
