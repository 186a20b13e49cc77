package io.flashraft.protocol;

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
