package io.flashraft.chaos.checker;

import io.flashraft.chaos.history.History;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An invocation paired with its completion: what a checker orders.
 *
 * @param id         a dense number, 0 upward, in invocation order
 * @param process    the process that ran it
 * @param f          the function ({@code read}, {@code write}, {@code cas}, {@code txn}...)
 * @param input      the invocation's value
 * @param output     the completion's value ({@code :ok}); for an {@code :info} op, the invocation's
 * @param indeterminate whether it completed {@code :info}: it may have taken effect at any time
 *                   after its invocation, or never
 * @param invokedAt  the position of its invocation in the history
 * @param completedAt the position of its completion; {@code Integer.MAX_VALUE} when indeterminate
 */
public record Operation(int id, long process, String f, Object input, Object output, boolean indeterminate,
                        int invokedAt, int completedAt) {

    /**
     * Pairs the invocations and completions of a history; {@code :fail} operations took no effect
     * and are left out, as are invocations that never completed (treated as indeterminate).
     *
     * @throws IllegalArgumentException if a completion has no invocation, or a process invokes
     *                                  twice without completing
     */
    public static List<Operation> pair(List<History.Op> ops) {
        Map<Long, Integer> open = new HashMap<>();
        List<Operation> pairs = new ArrayList<>();
        List<History.Op> invocations = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            History.Op op = ops.get(i);
            if (op.type() == History.Type.INVOKE) {
                if (open.put(op.process(), invocations.size()) != null) {
                    throw new IllegalArgumentException("process " + op.process() + " invokes again before completing, at " + i);
                }
                invocations.add(op);
                positions.add(i);
                pairs.add(null);
                continue;
            }
            Integer slot = open.remove(op.process());
            if (slot == null) {
                throw new IllegalArgumentException("a completion without an invocation, at " + i + ": " + op.toEdn());
            }
            History.Op invoke = invocations.get(slot);
            int invokedAt = positions.get(slot);
            pairs.set(slot, switch (op.type()) {
                case OK -> new Operation(slot, op.process(), invoke.f(), invoke.value(), op.value(), false, invokedAt, i);
                case INFO -> new Operation(slot, op.process(), invoke.f(), invoke.value(), invoke.value(), true, invokedAt,
                        Integer.MAX_VALUE);
                default -> null;
            });
        }
        for (Integer slot : open.values()) {
            History.Op invoke = invocations.get(slot);
            pairs.set(slot, new Operation(slot, invoke.process(), invoke.f(), invoke.value(), invoke.value(), true,
                    positions.get(slot), Integer.MAX_VALUE));
        }
        List<Operation> done = new ArrayList<>();
        for (Operation operation : pairs) {
            if (operation != null) {
                done.add(new Operation(done.size(), operation.process(), operation.f(), operation.input(), operation.output(),
                        operation.indeterminate(), operation.invokedAt(), operation.completedAt()));
            }
        }
        return done;
    }
}
