package io.flashraft.consensus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Histogram;
import com.codahale.metrics.UniformReservoir;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.statemachine.Command;
import io.flashraft.statemachine.LogEntryCodec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ProposalBatcherTest {
    /** The entries proposed, each with the future the test completes. */
    private final List<List<Command>> entries = new ArrayList<>();
    private final List<CompletableFuture<GroupResult>> outcomes = new ArrayList<>();
    private final Function<byte[], CompletableFuture<GroupResult>> recording = batch -> {
        entries.add(LogEntryCodec.decodeBatch(batch, 0, batch.length));
        CompletableFuture<GroupResult> outcome = new CompletableFuture<>();
        outcomes.add(outcome);
        return outcome;
    };

    private static Command command(long sequence, int valueBytes) {
        return new Command(7, sequence, new Request.Put("ns", "s", KeyDigest.of("s", Value.of(sequence)),
                Bins.of("v", Value.of(new byte[valueBytes])), WritePolicy.DEFAULT));
    }

    private static CompletableFuture<GroupResult> propose(ProposalBatcher batcher, long sequence) {
        return batcher.propose(LogEntryCodec.encodeCommand(command(sequence, 10)));
    }

    private static GroupResult replies(List<Command> entry) {
        List<byte[]> replies = new ArrayList<>();
        for (Command command : entry) {
            replies.add(new byte[] {(byte) command.sequence()});
        }
        return GroupResult.ok(replies);
    }

    private static List<Long> sequences(List<Command> entry) {
        return entry.stream().map(Command::sequence).toList();
    }

    @Test
    void anIdleGroupProposesEachCommandAtOnceAndABusyOneCarriesWhatArrivedMeanwhileInOneEntry() {
        ProposalBatcher batcher = new ProposalBatcher(1, 1 << 20, new Histogram(new UniformReservoir()), Runnable::run, ProposalBatcher.Linger.NONE, recording);
        CompletableFuture<GroupResult> first = propose(batcher, 1);
        assertEquals(List.of(List.of(1L)), entries.stream().map(ProposalBatcherTest::sequences).toList(),
                "nothing was out: proposed alone, at once");
        List<CompletableFuture<GroupResult>> waiting = new ArrayList<>();
        for (long s = 2; s <= 6; s++) {
            waiting.add(propose(batcher, s));
        }
        assertEquals(1, entries.size(), "one entry in flight at most: the others wait");
        outcomes.get(0).complete(replies(entries.get(0)));
        assertArrayEquals(new byte[] {1}, first.join().replies().get(0));
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L), sequences(entries.get(1)), "what waited goes as one entry, in order");
        outcomes.get(1).complete(replies(entries.get(1)));
        for (int i = 0; i < waiting.size(); i++) {
            GroupResult result = waiting.get(i).join();
            assertTrue(result.ok());
            assertEquals(1, result.replies().size(), "each command is answered with its own reply");
            assertArrayEquals(new byte[] {(byte) (i + 2)}, result.replies().get(0));
        }
    }

    /** A linger that the test ends by hand. */
    private final List<Runnable> lingering = new ArrayList<>();
    private final ProposalBatcher.Linger byHand = new ProposalBatcher.Linger() {
        @Override
        public boolean lingers() {
            return true;
        }

        @Override
        public void after(Runnable proposal) {
            lingering.add(proposal);
        }
    };

    @Test
    void aBusyGroupsNextEntryLingersUntilItsClientsAreBackOrEnoughWaitOrItsTimeIsUp() {
        ProposalBatcher batcher = new ProposalBatcher(1, 1 << 20, new Histogram(new UniformReservoir()), Runnable::run, byHand, recording);
        propose(batcher, 1);
        assertEquals(1, entries.size(), "an idle group does not linger");
        propose(batcher, 2);
        propose(batcher, 3);
        completeLast();
        assertEquals(1, entries.size(), "two commands wait: the next entry lingers");
        assertEquals(1, lingering.size());
        propose(batcher, 4);
        assertEquals(List.of(2L, 3L, 4L), sequences(entries.get(1)),
                "as many commands more wait as the entry before carried (its client is back): it goes at once");
        lingering.remove(0).run();
        assertEquals(2, entries.size(), "the ended linger's timer changes nothing");

        completeLast();
        assertEquals(1, lingering.size(), "nothing waits: the turn is held while it lingers");
        propose(batcher, 5);
        propose(batcher, 6);
        assertEquals(2, entries.size(), "two of the three clients answered are back: it still lingers");
        lingering.remove(0).run();
        assertEquals(List.of(5L, 6L), sequences(entries.get(2)), "its time is up: what waits goes");

        for (long s = 7; s < 7 + ProposalBatcher.FULL_ENOUGH; s++) {
            propose(batcher, s);
        }
        completeLast();
        assertEquals(4, entries.size(), "enough commands wait: the next entry goes at once");
        assertEquals(List.of(), lingering);
        assertEquals(ProposalBatcher.FULL_ENOUGH, entries.get(3).size());

        propose(batcher, 99);
        completeLast();
        assertEquals(1, lingering.size());
        Runnable first = lingering.remove(0);
        for (long s = 100; s < 99 + ProposalBatcher.FULL_ENOUGH; s++) {
            assertEquals(4, entries.size());
            propose(batcher, s);
        }
        assertEquals(5, entries.size(), "enough commands wait, fewer than waited and came back: the linger ends");
        completeLast();
        assertEquals(1, lingering.size(), "the next linger begins");
        first.run();
        propose(batcher, 200);
        assertEquals(5, entries.size(), "an earlier linger's timer does not end a later one");
        lingering.remove(0).run();
        assertEquals(List.of(200L), sequences(entries.get(5)));
        completeLast();
        lingering.remove(0).run();
        assertEquals(6, entries.size(), "nothing arrived: nothing proposed");
        propose(batcher, 300);
        assertEquals(List.of(300L), sequences(entries.get(6)), "after the linger the group is idle again");
    }

    @Test
    void aGroupWhoseLingersMergeNothingStopsLingeringAndLingersAgainOnceATryMerges() {
        ProposalBatcher batcher = new ProposalBatcher(1, 1 << 20, new Histogram(new UniformReservoir()), Runnable::run, byHand, recording);
        long sequence = 1;
        propose(batcher, sequence++);
        // One client writing one command after another: each linger ends with just its next write.
        int lingered = 0;
        while (true) {
            completeLast();
            if (lingering.isEmpty()) {
                break;
            }
            assertTrue(++lingered < 40, "still lingering after " + lingered + " lingers that merged nothing");
            int before = entries.size();
            propose(batcher, sequence++);
            assertEquals(before + 1, entries.size(), "the client answered is back: the linger ends at once");
            lingering.remove(0).run();
            assertEquals(before + 1, entries.size(), "the ended linger's timer changes nothing");
        }
        assertTrue(lingered >= 8, "a linger that merges nothing now and then must not stop it at once: " + lingered);
        int entriesBefore = entries.size();
        propose(batcher, sequence++);
        assertEquals(entriesBefore + 1, entries.size(), "not lingering: the next write goes at once");

        for (int i = 1; i < ProposalBatcher.PROBE_EVERY - 1; i++) {
            completeLast();
            assertEquals(List.of(), lingering, "entry " + i + " after lingering stopped");
            propose(batcher, sequence++);
        }
        propose(batcher, sequence++);
        completeLast();
        assertEquals(1, lingering.size(), "every " + ProposalBatcher.PROBE_EVERY + "th entry tries lingering again");
        propose(batcher, sequence++);
        assertEquals(2, entries.get(entries.size() - 1).size(), "a second client's write merged");
        lingering.clear();
        completeLast();
        assertEquals(1, lingering.size(), "a linger that merged makes the group linger again");
    }

    @Test
    void theClientsOfAnEntryBackBeforeItsCompletionReturnsEndTheLingerAtOnce() {
        ProposalBatcher batcher = new ProposalBatcher(1, 1 << 20, new Histogram(new UniformReservoir()), Runnable::run, byHand, recording);
        // The client writes again the moment it is answered, on the completing thread.
        propose(batcher, 1).thenRun(() -> propose(batcher, 2));
        completeLast();
        assertEquals(List.of(2L), sequences(entries.get(1)), "its client is back: the linger ends at once");
    }

    @Test
    void aLingerEndedByAWriteIsNotEndedAgainByItsTimerWhileThatWriteIsProposed() throws Exception {
        CountDownLatch proposing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> proposedWhileBlocked = Collections.synchronizedList(new ArrayList<>());
        List<Long> order = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<GroupResult> firstOutcome = new CompletableFuture<>();
        ProposalBatcher batcher = new ProposalBatcher(2, 1 << 20, new Histogram(new UniformReservoir()), Runnable::run, byHand, batch -> {
            List<Command> entry = LogEntryCodec.decodeBatch(batch, 0, batch.length);
            order.addAll(sequences(entry));
            if (entry.get(0).sequence() == 1) {
                return firstOutcome;
            }
            if (entry.get(0).sequence() == 2) {
                proposing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else if (release.getCount() > 0) {
                proposedWhileBlocked.addAll(sequences(entry));
            }
            return new CompletableFuture<>();
        });
        propose(batcher, 1);
        firstOutcome.complete(GroupResult.ok(List.of(new byte[] {1})));
        assertEquals(1, lingering.size(), "the group lingers after its first entry");
        Thread writer = new Thread(() -> propose(batcher, 2));
        writer.start();
        assertTrue(proposing.await(10, TimeUnit.SECONDS), "the write that ends the linger proposes");
        propose(batcher, 3);
        lingering.remove(0).run();
        assertEquals(List.of(), proposedWhileBlocked, "the timer of an ended linger proposed beside the writer");
        release.countDown();
        writer.join();
        assertEquals(List.of(1L, 2L, 3L), order, "in arrival order");
    }

    private void completeLast() {
        outcomes.get(outcomes.size() - 1).complete(replies(entries.get(entries.size() - 1)));
    }

    @Test
    void severalEntriesMayBeInFlight() {
        ProposalBatcher batcher = new ProposalBatcher(2, 1 << 20, new Histogram(new UniformReservoir()), Runnable::run, ProposalBatcher.Linger.NONE, recording);
        propose(batcher, 1);
        propose(batcher, 2);
        propose(batcher, 3);
        propose(batcher, 4);
        assertEquals(List.of(List.of(1L), List.of(2L)), entries.stream().map(ProposalBatcherTest::sequences).toList());
        outcomes.get(1).complete(replies(entries.get(1)));
        assertEquals(List.of(3L, 4L), sequences(entries.get(2)));
    }

    @Test
    void anEntryStaysWithinTheByteLimitButACommandLargerThanItStillGoesAlone() {
        int commandBytes = LogEntryCodec.encodeCommand(command(1, 1_000)).length;
        ProposalBatcher batcher = new ProposalBatcher(1, 3 * commandBytes, new Histogram(new UniformReservoir()), Runnable::run, ProposalBatcher.Linger.NONE, recording);
        batcher.propose(LogEntryCodec.encodeCommand(command(1, 1_000)));
        for (long s = 2; s <= 5; s++) {
            batcher.propose(LogEntryCodec.encodeCommand(command(s, 1_000)));
        }
        CompletableFuture<GroupResult> big = batcher.propose(LogEntryCodec.encodeCommand(command(6, 10_000)));
        outcomes.get(0).complete(replies(entries.get(0)));
        assertEquals(List.of(2L, 3L, 4L), sequences(entries.get(1)));
        outcomes.get(1).complete(replies(entries.get(1)));
        assertEquals(List.of(5L), sequences(entries.get(2)), "the oversized command does not join");
        outcomes.get(2).complete(replies(entries.get(2)));
        assertEquals(List.of(6L), sequences(entries.get(3)));
        outcomes.get(3).complete(replies(entries.get(3)));
        assertTrue(big.join().ok());
    }

    @Test
    void everyCommandOfAFailedEntryGetsItsFailureAndTheGroupGoesOn() {
        ProposalBatcher batcher = new ProposalBatcher(1, 1 << 20, new Histogram(new UniformReservoir()), Runnable::run, ProposalBatcher.Linger.NONE, recording);
        propose(batcher, 1);
        CompletableFuture<GroupResult> a = propose(batcher, 2);
        CompletableFuture<GroupResult> b = propose(batcher, 3);
        outcomes.get(0).complete(GroupResult.notLeader("n2"));
        outcomes.get(1).completeExceptionally(new IllegalStateException("the leader stepped down"));
        assertEquals(GroupResult.Status.IN_DOUBT, a.join().status(), "an entry whose outcome is unknown: in doubt");
        assertEquals(GroupResult.Status.IN_DOUBT, b.join().status());
        CompletableFuture<GroupResult> c = propose(batcher, 4);
        outcomes.get(2).complete(GroupResult.ok(List.of(new byte[] {4}, new byte[] {5})));
        assertEquals(GroupResult.Status.IN_DOUBT, c.join().status(), "a reply count that does not match is not trusted");
        CompletableFuture<GroupResult> d = propose(batcher, 5);
        outcomes.get(3).complete(GroupResult.notLeader("n2"));
        assertEquals(GroupResult.Status.NOT_LEADER, d.join().status());
        assertEquals("n2", d.join().leader());
    }

    @Test
    void entriesAnsweredAtOnceDoNotRecurseAndLoseNothing() {
        List<Long> proposed = new ArrayList<>();
        ProposalBatcher[] self = new ProposalBatcher[1];
        List<CompletableFuture<GroupResult>> answers = new ArrayList<>();
        self[0] = new ProposalBatcher(1, 64, new Histogram(new UniformReservoir()), Runnable::run, ProposalBatcher.Linger.NONE, batch -> {
            List<Command> entry = LogEntryCodec.decodeBatch(batch, 0, batch.length);
            proposed.addAll(sequences(entry));
            if (proposed.size() == 1) {
                // While the first entry is being proposed, many more commands arrive.
                for (long s = 2; s <= 20_000; s++) {
                    answers.add(propose(self[0], s));
                }
            }
            return CompletableFuture.completedFuture(replies(entry));
        });
        CompletableFuture<GroupResult> first = propose(self[0], 1);
        assertTrue(first.join().ok());
        assertEquals(20_000, proposed.size());
        for (int i = 0; i < proposed.size(); i++) {
            assertEquals(i + 1, proposed.get(i), "in arrival order");
        }
        assertFalse(answers.stream().anyMatch(a -> !a.isDone() || !a.join().ok()));
    }

    /**
     * Ratis appends a proposal under its division's monitor and fails pending requests while
     * holding it (a leader stepping down). A proposal blocked on that monitor must not keep the
     * step-down from completing an earlier entry: else each waits for the other for ever.
     */
    @Test
    void aStepDownCompletingAnEntryNeverWaitsForAProposalBlockedOnTheLog() throws Exception {
        Object division = new Object();
        List<CompletableFuture<GroupResult>> proposed = Collections.synchronizedList(new ArrayList<>());
        ExecutorService completions = Executors.newSingleThreadExecutor(DaemonThreads.named("completions"));
        try {
            ProposalBatcher batcher = new ProposalBatcher(2, 1 << 20, new Histogram(new UniformReservoir()),
                    completions, ProposalBatcher.Linger.NONE, batch -> {
                        synchronized (division) {
                            CompletableFuture<GroupResult> outcome = new CompletableFuture<>();
                            proposed.add(outcome);
                            return outcome;
                        }
                    });
            CompletableFuture<GroupResult> first = propose(batcher, 1);
            CountDownLatch held = new CountDownLatch(1);
            Thread[] proposer = new Thread[1];
            Thread stepDown = DaemonThreads.named("step-down").newThread(() -> {
                synchronized (division) {
                    held.countDown();
                    awaitState(proposer, Thread.State.BLOCKED);
                    proposed.get(0).complete(GroupResult.notLeader("n2"));
                }
            });
            stepDown.start();
            held.await();
            CompletableFuture<CompletableFuture<GroupResult>> second = new CompletableFuture<>();
            proposer[0] = DaemonThreads.named("proposer").newThread(() -> second.complete(propose(batcher, 2)));
            proposer[0].start();
            stepDown.join(30_000);
            assertFalse(stepDown.isAlive(), "the step-down waits for the batcher: deadlock");
            proposer[0].join(30_000);
            assertFalse(proposer[0].isAlive(), "the proposal never reached the log");
            assertEquals(GroupResult.Status.NOT_LEADER, first.get(30, TimeUnit.SECONDS).status());
            assertEquals(2, proposed.size());
            assertFalse(second.join().isDone(), "the second entry is still in flight");
        } finally {
            completions.shutdownNow();
        }
    }

    /** The next entry is proposed off the thread that completed the last one, which may hold Ratis' locks. */
    @Test
    void theEntryAfterACompletedOneIsNotProposedOnTheCompletingThread() throws Exception {
        Object division = new Object();
        List<CompletableFuture<GroupResult>> proposed = Collections.synchronizedList(new ArrayList<>());
        List<String> proposedUnderTheLock = Collections.synchronizedList(new ArrayList<>());
        ExecutorService completions = Executors.newSingleThreadExecutor(DaemonThreads.named("completions"));
        try {
            ProposalBatcher batcher = new ProposalBatcher(1, 1 << 20, new Histogram(new UniformReservoir()),
                    completions, ProposalBatcher.Linger.NONE, batch -> {
                        if (Thread.holdsLock(division)) {
                            proposedUnderTheLock.add(Thread.currentThread().getName());
                        }
                        CompletableFuture<GroupResult> outcome = new CompletableFuture<>();
                        proposed.add(outcome);
                        return outcome;
                    });
            propose(batcher, 1);
            CompletableFuture<GroupResult> second = propose(batcher, 2);
            synchronized (division) {
                proposed.get(0).complete(GroupResult.ok(List.of(new byte[] {1})));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (proposed.size() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(2, proposed.size(), "the waiting command was proposed once the first entry completed");
            assertEquals(List.of(), proposedUnderTheLock);
            proposed.get(1).complete(GroupResult.ok(List.of(new byte[] {2})));
            assertTrue(second.get(30, TimeUnit.SECONDS).ok());
        } finally {
            completions.shutdownNow();
        }
    }

    private static void awaitState(Thread[] thread, Thread.State state) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((thread[0] == null || thread[0].getState() != state) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }
}
