package io.flashraft.device;

/**
 * What an engine's index knows of a record's current version without reading its bins.
 *
 * @param set         the record's set ("" for none)
 * @param generation  its generation
 * @param voidTimeSec its void time (0 = never)
 * @param logIndex    the log index that wrote it
 * @param tombstone   whether it records a delete
 */
public record VersionInfo(String set, int generation, long voidTimeSec, long logIndex, boolean tombstone) {
    /** Whether this is a record a read would return at {@code nowMs}. */
    public boolean liveAt(long nowMs) {
        return !tombstone && !io.flashraft.protocol.RecordMeta.isExpired(voidTimeSec, nowMs);
    }
}
