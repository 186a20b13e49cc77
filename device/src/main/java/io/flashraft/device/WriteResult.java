package io.flashraft.device;

import io.flashraft.protocol.Bins;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.ResultCode;

/**
 * The answer to a write.
 *
 * @param code     OK, or why nothing was written (NOT_FOUND, RECORD_EXISTS, GENERATION_MISMATCH,
 *                 RECORD_TOO_BIG, DEVICE_FULL, or a code chosen by an operate update)
 * @param meta     the metadata of the version written (or, for a read-only operate, of the record
 *                 read); null when nothing was found or written
 * @param bins     the bins an operate asked to read; empty otherwise
 * @param replayed true when the write was skipped because the record already holds a version
 *                 from this or a later log index: the entry was applied before a crash
 */
public record WriteResult(ResultCode code, RecordMeta meta, Bins bins, boolean replayed) {
    static WriteResult ok(RecordMeta meta) {
        return new WriteResult(ResultCode.OK, meta, Bins.empty(), false);
    }

    static WriteResult rejected(ResultCode code) {
        return new WriteResult(code, null, Bins.empty(), false);
    }

    public boolean ok() {
        return code == ResultCode.OK;
    }
}
