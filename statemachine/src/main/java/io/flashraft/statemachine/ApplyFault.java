package io.flashraft.statemachine;

/**
 * A committed entry could not be applied on this replica because of the replica itself: its
 * device is full or failing. The entry must not be skipped: the group stops applying, reports the
 * fault, and applies the same entry again once the cause is fixed.
 */
public final class ApplyFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ApplyFault(String message, Throwable cause) {
        super(message, cause);
    }
}
