package io.flashraft.device;

import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.RecordMeta;

/**
 * A live record as a scan or an operate update sees it.
 *
 * @param digest the record's address
 * @param set    the set it belongs to ("" for none)
 * @param meta   generation, void time, last-update stamp
 * @param bins   its bins (as selected, for scans)
 */
public record StoredRecord(Digest digest, String set, RecordMeta meta, Bins bins) {
}
