package io.flashraft.client;

import io.flashraft.protocol.Bins;
import io.flashraft.protocol.RecordMeta;
import java.util.Objects;

/**
 * A record as read: its metadata and the bins asked for (for an operate, what its read steps
 * returned).
 */
public record Record(RecordMeta meta, Bins bins) {
    public Record {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(bins, "bins");
    }
}
