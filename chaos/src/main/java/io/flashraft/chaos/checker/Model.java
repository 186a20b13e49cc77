package io.flashraft.chaos.checker;

/**
 * A sequential specification: the state an object starts in and what each operation does to it.
 *
 * @param <S> the object's state; equal states must be {@code equals} and hash alike (the checker
 *            remembers the configurations it has explored)
 */
public interface Model<S> {
    /** The state before any operation. */
    S initial();

    /**
     * The state after {@code operation} when it may run in {@code state} and return what it
     * returned; null when it may not (a read that returned another value, a cas that could not
     * have swapped).
     */
    S step(S state, Operation operation);
}
