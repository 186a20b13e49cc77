package io.flashraft.client;

import io.flashraft.protocol.ResultCode;

/**
 * An operation that did not succeed, with its result code and whether its outcome is known.
 *
 * <p>{@link #inDoubt()} is true when a write may or may not have been applied: it was submitted
 * to the log (or its retries were) and no answer came back in time. A definite failure
 * ({@code inDoubt() == false}) did not change anything. Consistency checkers record in-doubt
 * writes as Jepsen {@code :info} and definite failures as {@code :fail}.
 */
public class FlashRaftException extends RuntimeException {
    private final ResultCode code;
    private final boolean inDoubt;

    public FlashRaftException(ResultCode code, boolean inDoubt, String message) {
        super(code + (inDoubt ? " (in doubt)" : "") + (message == null || message.isEmpty() ? "" : ": " + message));
        this.code = code;
        this.inDoubt = inDoubt;
    }

    /** Why the operation failed. */
    public ResultCode code() {
        return code;
    }

    /** Whether the write may have been applied all the same. */
    public boolean inDoubt() {
        return inDoubt;
    }
}
