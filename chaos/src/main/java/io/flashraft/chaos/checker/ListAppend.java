package io.flashraft.chaos.checker;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One key of Elle's list-append: {@code append e} adds e at the end, a read returns the whole
 * list ({@code nil} for a key never appended to). With single-operation transactions on one key,
 * strict serializability per key is linearizability of this object.
 *
 * <p>An operation's input and output are the micro-op as the history has it: {@code [:append k e]}
 * or {@code [:r k list]}.
 */
public final class ListAppend implements Model<List<Object>> {
    public static final ListAppend INSTANCE = new ListAppend();

    private ListAppend() {
    }

    @Override
    public List<Object> initial() {
        return List.of();
    }

    @Override
    public List<Object> step(List<Object> state, Operation operation) {
        List<?> micro = (List<?>) operation.output();
        String kind = String.valueOf(micro.get(0));
        if (kind.equals(":append")) {
            List<Object> next = new ArrayList<>(state.size() + 1);
            next.addAll(state);
            next.add(micro.get(2));
            return List.copyOf(next);
        }
        if (!kind.equals(":r")) {
            throw new IllegalArgumentException("unknown micro-op " + micro);
        }
        if (operation.indeterminate()) {
            return state;
        }
        Object read = micro.get(2);
        List<?> seen = read == null ? List.of() : (List<?>) read;
        return Objects.equals(state, seen) ? state : null;
    }
}
