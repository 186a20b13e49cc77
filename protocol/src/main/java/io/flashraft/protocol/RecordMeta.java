package io.flashraft.protocol;

/**
 * A record's metadata.
 *
 * @param generation      incremented by every write of the record, starting at 1
 * @param voidTimeSec     when the record expires, in seconds since the Unix epoch; 0 = never
 * @param lastUpdateStamp the hybrid-logical-clock stamp of the write that made this version
 */
public record RecordMeta(int generation, long voidTimeSec, long lastUpdateStamp) {
    /** Void time that means "never expires". */
    public static final long NEVER_EXPIRES = 0;

    /** Whether a record with this void time is expired at {@code nowMs}. */
    public static boolean isExpired(long voidTimeSec, long nowMs) {
        return voidTimeSec != NEVER_EXPIRES && Math.floorDiv(nowMs, 1000) >= voidTimeSec;
    }

    /** Whether this record is expired at {@code nowMs}. */
    public boolean expiredAt(long nowMs) {
        return isExpired(voidTimeSec, nowMs);
    }
}
