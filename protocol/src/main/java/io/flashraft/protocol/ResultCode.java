package io.flashraft.protocol;

/**
 * The outcome of an operation, as carried in replies and log results.
 *
 * <p>Expected conditions are results, not exceptions. The numeric codes are part of the wire
 * format: never renumber them.
 */
public enum ResultCode {
    OK(0),
    NOT_FOUND(1),
    GENERATION_MISMATCH(2),
    RECORD_EXISTS(3),
    BIN_TYPE_ERROR(4),
    RECORD_TOO_BIG(5),
    DEVICE_FULL(6),
    /** The node asked does not lead the group; the result names the leader when it is known. Definite. */
    NOT_LEADER(7),
    /** The group cannot serve now (no leader known, no quorum, node stopping). Definite: nothing was proposed. */
    UNAVAILABLE(8),
    /** The request's time ran out; a write that was proposed by then is in doubt. */
    TIMEOUT(9),
    /** The node or the connection has too many requests in flight; nothing was done. Definite. */
    OVERLOADED(10),
    /** The connection is not allowed this operation (security arrives with its issue). Definite. */
    UNAUTHORIZED(11),
    BAD_REQUEST(12),
    /**
     * The server cannot tell whether a retried write was applied, or what it answered: its
     * sequence fell out of the session's window of stored replies, or a replica replayed it after
     * a restart and no longer knows the original answer. The client must treat it as in doubt.
     */
    IN_DOUBT(13),
    /**
     * A bin operation that does not apply to the bin's current value: a list index out of range,
     * a pop from an empty or missing list.
     */
    OP_NOT_APPLICABLE(14),
    /**
     * The group does not know the write's session (never opened there, or forgotten: idle too
     * long, or pushed out by newer sessions) and the write did not open it: nothing was applied.
     * A client whose earlier attempts of this write were not in doubt opens the session again
     * with it; otherwise the write stays in doubt.
     */
    SESSION_UNKNOWN(15);

    private final int code;

    ResultCode(int code) {
        this.code = code;
    }

    /** The number that stands for this result on the wire. */
    public int code() {
        return code;
    }

    /** The result with this wire code. */
    public static ResultCode ofCode(int code) {
        for (ResultCode result : values()) {
            if (result.code == code) {
                return result;
            }
        }
        throw new DecodeException("unknown result code " + code);
    }
}
