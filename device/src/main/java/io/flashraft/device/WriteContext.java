package io.flashraft.device;

/**
 * What a write carries besides its operation: who ordered it and when.
 *
 * <p>The replicated state machine builds one per log entry from values the leader chose before
 * replication, so every replica that applies the same entry passes the same context and reaches
 * the same state. The store never reads a clock of its own.
 *
 * @param group           the partition group whose log ordered the write
 * @param logIndex        the log index of the entry; strictly increasing within a group. A store
 *                        skips a write to a record whose current version already carries this or
 *                        a later index (replay after a crash is idempotent)
 * @param nowMs           the caller's "now", in milliseconds since the Unix epoch: the base of
 *                        TTLs and the time at which expiry is decided
 * @param lastUpdateStamp the hybrid-logical-clock stamp to record on the version written
 */
public record WriteContext(int group, long logIndex, long nowMs, long lastUpdateStamp) {
    public WriteContext {
        if (group < 0 || group > 0xFFFF) {
            throw new IllegalArgumentException("group " + group + " outside 0..65535");
        }
        if (logIndex < 0) {
            throw new IllegalArgumentException("negative log index " + logIndex);
        }
    }
}
