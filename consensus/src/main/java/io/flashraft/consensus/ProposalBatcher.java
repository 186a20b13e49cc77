package io.flashraft.consensus;

import com.codahale.metrics.Histogram;
import io.flashraft.statemachine.LogEntry;
import io.flashraft.statemachine.LogEntryCodec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Carries the writes that reach one group's leader together in one log entry. A write waits
 * only while {@link #maxInFlight} entries of the group are being replicated; when one of them
 * is applied, every write that arrived meanwhile goes out as the next entry (up to
 * {@link LogEntry#MAX_COMMANDS} commands and {@link #maxBatchBytes} bytes). An idle group so
 * proposes each write at once, and a busy one proposes a few large entries instead of many small
 * ones: the cost of an entry (its Raft round, its fsyncs, its threads' wake-ups) is shared.
 * A busy group's next entry may also {@link Linger} a moment, when fewer than
 * {@value #FULL_ENOUGH} commands wait for it, so that the writes its clients send on seeing
 * their answers join it: on two cores the entry's cost, not the wait, limits throughput. The
 * linger ends as soon as as many commands more wait as the entry before it carried (its clients
 * are back) or {@value #FULL_ENOUGH} wait, so clients that write one command after another lose
 * no time to it; its whole length is waited only for writes that do not follow answers (an open
 * loop of independent clients), whose entries it merges. It
 * lingers only while lingering pays: when hardly any recent linger ended with two commands or
 * more that had not been waiting at its start (one client writing one command after another:
 * its next write is the only one to come, and lingering only delays it), the group stops
 * lingering, and tries again every {@value #PROBE_EVERY}th entry.
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
    /** Commands waiting that make the next entry go at once, without lingering. */
    static final int FULL_ENOUGH = 16;
    /** While lingering does not pay, every this many completed entries one lingers anyway, to see whether it pays again. */
    static final int PROBE_EVERY = 16;
    /** {@link #lingerScore} when every recent linger paid; each ended linger moves it 1/8 of the way to this or to 0. */
    private static final int SCORE_ALL = 256;
    /** The score from which lingering pays: about one linger in eight merged commands. */
    private static final int SCORE_PAYS = SCORE_ALL / 8;

    private final int maxInFlight;
    /** Commands per entry proposed. */
    private final Histogram entrySizes;
    private final int maxBatchBytes;
    /** Where completed entries are answered and the next ones proposed. */
    private final Executor completions;
    private final Linger linger;
    /** Proposes one encoded batch and answers with its commands' replies, in order. */
    private final Function<byte[], CompletableFuture<GroupResult>> propose;
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private int inFlight;
    /** Whether a thread holds the proposer's turn (in {@link #proposeWaiting}). */
    private boolean proposing;
    /** How often recent lingers merged commands, 0 (never) to {@link #SCORE_ALL} (each time). */
    private int lingerScore = SCORE_ALL;
    /** Entries completed without lingering since the last linger. */
    private int notLingered;
    /** Lingers begun: a linger's timer that finds another one under way leaves it be. */
    private long lingers;
    /** While lingering, the commands waiting that end the linger at once; 0 when not lingering. */
    private int lingerUntil;
    /** While lingering, the commands that waited at its start. */
    private int lingerFrom;

    private record Pending(byte[] command, CompletableFuture<GroupResult> answer) {
    }

    /**
     * How a busy group's next entry waits for more commands: the one before it was applied, and
     * fewer than {@value #FULL_ENOUGH} commands wait. Meanwhile arriving commands join them.
     */
    interface Linger {
        /** The next entry goes as soon as the one before it completed. */
        Linger NONE = new Linger() {
            @Override
            public boolean lingers() {
                return false;
            }

            @Override
            public void after(Runnable proposal) {
                proposal.run();
            }
        };

        boolean lingers();

        /** Runs the lingering proposal once the wait is over. */
        void after(Runnable proposal);

        /** Waits {@code micros} on {@code timer} (0: {@link #NONE}). */
        static Linger of(long micros, ScheduledExecutorService timer) {
            if (micros == 0) {
                return NONE;
            }
            return new Linger() {
                @Override
                public boolean lingers() {
                    return true;
                }

                @Override
                public void after(Runnable proposal) {
                    timer.schedule(proposal, micros, TimeUnit.MICROSECONDS);
                }
            };
        }
    }

    ProposalBatcher(int maxInFlight, int maxBatchBytes, Histogram entrySizes, Executor completions, Linger linger,
                    Function<byte[], CompletableFuture<GroupResult>> propose) {
        if (maxInFlight < 1 || maxBatchBytes < 1) {
            throw new IllegalArgumentException("maxInFlight " + maxInFlight + " and maxBatchBytes " + maxBatchBytes
                    + " must be positive");
        }
        this.maxInFlight = maxInFlight;
        this.maxBatchBytes = maxBatchBytes;
        this.entrySizes = entrySizes;
        this.completions = completions;
        this.linger = linger;
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
            if (lingerUntil == 0) {
                turn = takeTurn();
            } else {
                // The linger's turn passes to this thread once the clients it waits for are back.
                turn = waiting.size() >= lingerUntil;
                if (turn) {
                    endLinger();
                }
            }
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
        boolean turn;
        long lingering = -1;
        synchronized (this) {
            inFlight--;
            if (linger.lingers() && !proposing && inFlight < maxInFlight && waiting.size() < FULL_ENOUGH
                    && lingerPays()) {
                // Holds the turn while lingering: arriving commands wait for this entry, until the
                // clients just answered have sent again (as many commands more as this entry had).
                proposing = true;
                lingerFrom = waiting.size();
                lingerUntil = Math.min(FULL_ENOUGH, lingerFrom + batch.size());
                lingering = ++lingers;
                turn = false;
            } else {
                turn = takeTurn();
            }
        }
        // Answered only now: a client's next write that arrived before the linger began would
        // count as waiting already, and the linger would not end when that client is back.
        answer(batch, result, error);
        if (lingering >= 0) {
            long which = lingering;
            linger.after(() -> lingerTimedOut(which));
        } else if (turn) {
            proposeWaiting();
        }
    }

    /** The linger {@code which} is over unless it ended already: proposes what waits. */
    private void lingerTimedOut(long which) {
        synchronized (this) {
            if (lingerUntil == 0 || which != lingers) {
                return;
            }
            endLinger();
        }
        proposeWaiting();
    }

    /** Whether the next entry should linger: lingering paid of late, or it is time to try again; under the lock. */
    private boolean lingerPays() {
        if (lingerScore >= SCORE_PAYS || ++notLingered >= PROBE_EVERY) {
            notLingered = 0;
            return true;
        }
        return false;
    }

    /**
     * Ends the linger under way, whose turn the caller then takes; under the lock. It paid if
     * two commands or more wait that did not all wait at its start (without it, the first of
     * them would have gone at once, the others in an entry of their own).
     */
    private void endLinger() {
        int waitNow = waiting.size();
        boolean paid = waitNow >= 2 && waitNow > lingerFrom;
        lingerScore += ((paid ? SCORE_ALL : 0) - lingerScore) / 8;
        lingerUntil = 0;
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
