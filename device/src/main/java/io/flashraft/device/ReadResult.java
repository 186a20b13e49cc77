package io.flashraft.device;

import io.flashraft.protocol.Bins;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.ResultCode;

/**
 * The answer to a read.
 *
 * @param code OK or NOT_FOUND (a missing, deleted or expired record)
 * @param meta the record's metadata when found, else null
 * @param bins the selected bins when found (empty for a header-only read), else null
 */
public record ReadResult(ResultCode code, RecordMeta meta, Bins bins) {
    static final ReadResult NOT_FOUND = new ReadResult(ResultCode.NOT_FOUND, null, null);

    public boolean found() {
        return code == ResultCode.OK;
    }
}
