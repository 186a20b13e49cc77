package io.flashraft.chaos.checker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides whether a history of one object is linearizable against a model: the Wing-Gong search
 * with Lowe's memoization, as Knossos' WGL and Porcupine do it.
 *
 * <p>Invocations and completions are laid out in history order in a doubly linked list. The
 * search walks it, linearizing a pending operation whenever the model allows it next (and the
 * configuration of operations linearized so far and the state they led to has not been seen),
 * and backtracks when it meets a completion whose operation has not been linearized yet. An
 * indeterminate ({@code :info}) operation's completion sits after every other event: it may take
 * effect at any time after its invocation, and once every determinate operation is linearized
 * the rest may never have happened.
 */
public final class Linearizability {
    /** What a check found. */
    public enum Verdict {
        VALID, INVALID,
        /** The search ran out of its budget before deciding; counts as a failure. */
        UNKNOWN
    }

    /**
     * The verdict and how much was explored.
     *
     * @param configurations distinct (linearized set, state) pairs explored
     */
    public record Result(Verdict verdict, long configurations) {
    }

    private Linearizability() {
    }

    private static final class Entry {
        final Operation operation;
        final boolean call;
        final int position;
        Entry match;
        Entry prev;
        Entry next;

        Entry(Operation operation, boolean call, int position) {
            this.operation = operation;
            this.call = call;
            this.position = position;
        }
    }

    private record Configuration(BitSet linearized, Object state) {
    }

    private record Frame(Entry call, Object state) {
    }

    /**
     * Checks one object's operations.
     *
     * @param maxConfigurations the search's budget: past it the verdict is UNKNOWN
     */
    public static <S> Result check(List<Operation> operations, Model<S> model, long maxConfigurations) {
        Entry head = build(operations);
        BitSet linearized = new BitSet(operations.size());
        Set<Configuration> seen = new HashSet<>();
        Deque<Frame> stack = new ArrayDeque<>();
        S state = model.initial();
        Entry entry = head.next;
        while (head.next != null) {
            if (entry.call) {
                @SuppressWarnings("unchecked")
                S next = model.step(state, entry.operation);
                if (next != null) {
                    BitSet candidate = (BitSet) linearized.clone();
                    candidate.set(entry.operation.id());
                    if (seen.add(new Configuration(candidate, next))) {
                        if (seen.size() > maxConfigurations) {
                            return new Result(Verdict.UNKNOWN, seen.size());
                        }
                        stack.push(new Frame(entry, state));
                        state = next;
                        linearized.set(entry.operation.id());
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                if (entry.operation.indeterminate()) {
                    // Every determinate operation is linearized; the indeterminate rest may never have happened.
                    return new Result(Verdict.VALID, seen.size());
                }
                if (stack.isEmpty()) {
                    return new Result(Verdict.INVALID, seen.size());
                }
                Frame frame = stack.pop();
                @SuppressWarnings("unchecked")
                S previous = (S) frame.state();
                state = previous;
                linearized.clear(frame.call().operation.id());
                unlift(frame.call());
                entry = frame.call().next;
            }
        }
        return new Result(Verdict.VALID, seen.size());
    }

    /** The event list: a sentinel head, then calls and completions in history order. */
    private static Entry build(List<Operation> operations) {
        List<Entry> events = new ArrayList<>(2 * operations.size());
        for (Operation operation : operations) {
            Entry call = new Entry(operation, true, operation.invokedAt());
            Entry completion = new Entry(operation, false, operation.completedAt());
            call.match = completion;
            events.add(call);
            events.add(completion);
        }
        // Calls before completions at the same position cannot happen; ties only among the
        // indeterminate completions at the end, which keep invocation order.
        events.sort(Comparator.comparingInt((Entry e) -> e.position).thenComparingInt(e -> e.operation.id()));
        Entry head = new Entry(null, false, -1);
        Entry last = head;
        for (Entry event : events) {
            last.next = event;
            event.prev = last;
            last = event;
        }
        return head;
    }

    /** Takes a call and its completion out of the list. */
    private static void lift(Entry call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Entry completion = call.match;
        completion.prev.next = completion.next;
        if (completion.next != null) {
            completion.next.prev = completion.prev;
        }
    }

    /** Puts them back, in the reverse order of {@link #lift}. */
    private static void unlift(Entry call) {
        Entry completion = call.match;
        completion.prev.next = completion;
        if (completion.next != null) {
            completion.next.prev = completion;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }
}
