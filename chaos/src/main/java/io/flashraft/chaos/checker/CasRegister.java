package io.flashraft.chaos.checker;

import java.util.List;
import java.util.Objects;

/**
 * Knossos' cas-register: {@code read} returns the value, {@code write v} sets it, {@code cas
 * [old new]} sets it to new if it is old. A completed read of {@code nil} reads nil literally.
 * The state is the value itself (a {@code Long} or null), wrapped so that null can be a state.
 */
public record CasRegister(Object initialValue) implements Model<CasRegister.Value> {
    /** The register's value. */
    public record Value(Object value) {
    }

    @Override
    public Value initial() {
        return new Value(initialValue);
    }

    @Override
    public Value step(Value state, Operation operation) {
        return switch (operation.f()) {
            case "read" -> operation.indeterminate() || Objects.equals(state.value(), operation.output()) ? state : null;
            case "write" -> new Value(operation.input());
            case "cas" -> {
                List<?> oldNew = (List<?>) operation.input();
                yield Objects.equals(state.value(), oldNew.get(0)) ? new Value(oldNew.get(1)) : null;
            }
            default -> throw new IllegalArgumentException("a register has no operation " + operation.f());
        };
    }
}
