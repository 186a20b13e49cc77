package io.flashraft.device;

import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.ValueCodec;
import java.util.Arrays;

/**
 * One version of a record exactly as a store holds it, tombstones included: what a snapshot
 * export streams and what ingest takes unchanged.
 *
 * @param digest          the record's address (its partition follows from it)
 * @param set             its set ("" for none)
 * @param generation      the generation of this version
 * @param voidTimeSec     its void time (0 = never expires)
 * @param lastUpdateStamp the stamp of the write that made it
 * @param group           the partition group whose log wrote it
 * @param logIndex        the log index that wrote it
 * @param tombstone       whether it records a delete
 * @param encodedBins     its bins in {@link ValueCodec} encoding (the empty bins for a tombstone)
 */
public record RecordVersion(Digest digest, String set, int generation, long voidTimeSec, long lastUpdateStamp,
                            int group, long logIndex, boolean tombstone, byte[] encodedBins) {
    /** The encoding of no bins: what a tombstone carries. */
    public static final byte[] NO_BINS = ValueCodec.encodeBins(Bins.empty());

    /** The decoded bins. */
    public Bins bins() {
        return ValueCodec.decodeBins(encodedBins);
    }

    /** The metadata of this version. */
    public RecordMeta meta() {
        return new RecordMeta(generation, voidTimeSec, lastUpdateStamp);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordVersion v && digest.equals(v.digest) && set.equals(v.set)
                && generation == v.generation && voidTimeSec == v.voidTimeSec
                && lastUpdateStamp == v.lastUpdateStamp && group == v.group && logIndex == v.logIndex
                && tombstone == v.tombstone && Arrays.equals(encodedBins, v.encodedBins);
    }

    @Override
    public int hashCode() {
        return digest.hashCode() * 31 + Long.hashCode(logIndex);
    }

    @Override
    public String toString() {
        return "RecordVersion[" + digest + " set=" + set + " gen=" + generation + " void=" + voidTimeSec
                + " stamp=" + lastUpdateStamp + " group=" + group + " index=" + logIndex
                + (tombstone ? " tombstone" : "") + " bins=" + encodedBins.length + "B]";
    }
}
