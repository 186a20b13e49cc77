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
    BAD_REQUEST(12),
    /**
     * A retried request whose session sequence has fallen out of the server's window of recent
     * replies, or whose session expired: whether it was applied is unknown (in doubt).
     */
    SESSION_EXPIRED(13);

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
