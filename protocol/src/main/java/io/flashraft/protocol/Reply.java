package io.flashraft.protocol;

import java.util.List;
import java.util.Objects;

/**
 * The answer to a {@link Request}. Expected conditions (NOT_FOUND, GENERATION_MISMATCH,
 * RECORD_EXISTS, BIN_TYPE_ERROR, RECORD_TOO_BIG, DEVICE_FULL...) are codes inside a reply: a
 * replica that rejects a write still applied the log entry successfully, and every replica
 * rejects it the same way. {@link ReplyCodec} gives the one binary form.
 */
public sealed interface Reply {
    /** The outcome. A batch or scan reply is OK as a whole; its parts carry their own codes. */
    ResultCode code();

    /**
     * The answer about one record (put, get, exists, delete, touch, operate, evict), or a bare code.
     *
     * @param meta the record's metadata after the operation; null when none was found or written
     * @param bins the bins read (all, named, or what an operate's read steps returned); empty when none
     */
    record Single(ResultCode code, RecordMeta meta, Bins bins) implements Reply {
        public Single {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(bins, "bins");
        }

        /** A reply that is only a code. */
        public static Single of(ResultCode code) {
            return new Single(code, null, Bins.empty());
        }
    }

    /** One answer per digest of a batch get, in the order asked. */
    record Batch(List<Single> replies) implements Reply {
        public Batch {
            replies = List.copyOf(replies);
        }

        @Override
        public ResultCode code() {
            return ResultCode.OK;
        }
    }

    /**
     * One page of a partition scan.
     *
     * @param records the live records, in digest order
     * @param more    whether the partition holds records after the last one returned
     */
    record Scan(List<StoredRecord> records, boolean more) implements Reply {
        public Scan {
            records = List.copyOf(records);
        }

        @Override
        public ResultCode code() {
            return ResultCode.OK;
        }
    }

    /** How many records a truncate removed from the partitions of one group. */
    record Count(long count) implements Reply {
        @Override
        public ResultCode code() {
            return ResultCode.OK;
        }
    }
}
