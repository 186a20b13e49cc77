package io.flashraft.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * The one binary form of a {@link Reply}, used on the wire and in the replicated session table.
 *
 * <pre>
 * reply  := kind:u8 body
 * SINGLE (1) := single
 * single := code:u8 hasMeta:u8 [meta] bins          bins as in ValueCodec
 * meta   := generation:u32 voidTimeSec:i64 lastUpdateStamp:i64
 * BATCH  (2) := count:varint single*
 * SCAN   (3) := more:u8 count:varint (digest set:name meta bins)*
 * COUNT  (4) := count:i64
 * </pre>
 */
public final class ReplyCodec {
    private static final int SINGLE = 1;
    private static final int BATCH = 2;
    private static final int SCAN = 3;
    private static final int COUNT = 4;
    private static final int MIN_SINGLE_BYTES = 4;

    private ReplyCodec() {
    }

    /** The encoding of one reply. */
    public static byte[] encode(Reply reply) {
        ByteWriter out = new ByteWriter(32);
        write(out, reply);
        return out.toByteArray();
    }

    /** Appends the encoding of one reply. */
    public static void write(ByteWriter out, Reply reply) {
        if (reply instanceof Reply.Single r) {
            out.writeByte(SINGLE);
            writeSingle(out, r);
        } else if (reply instanceof Reply.Batch r) {
            out.writeByte(BATCH);
            out.writeVarint(r.replies().size());
            for (Reply.Single single : r.replies()) {
                writeSingle(out, single);
            }
        } else if (reply instanceof Reply.Scan r) {
            out.writeByte(SCAN);
            out.writeByte(r.more() ? 1 : 0);
            out.writeVarint(r.records().size());
            for (StoredRecord record : r.records()) {
                RequestCodec.writeRecordAddress(out, record.digest(), record.set());
                writeMeta(out, record.meta());
                ValueCodec.writeBins(out, record.bins());
            }
        } else if (reply instanceof Reply.Count r) {
            out.writeByte(COUNT);
            out.writeLong(r.count());
        } else {
            throw new IllegalArgumentException("unknown reply " + reply);
        }
    }

    /**
     * Decodes a reply that fills the whole array.
     *
     * @throws DecodeException if the bytes are not exactly one valid reply
     */
    public static Reply decode(byte[] bytes) {
        ByteReader in = new ByteReader(bytes, 0, bytes.length);
        Reply reply = read(in);
        in.expectEnd("reply");
        return reply;
    }

    /**
     * The outcome of an encoded reply without decoding it: a single reply's own code, OK for the
     * others (their parts carry their own codes).
     */
    public static ResultCode codeOf(byte[] encoded) {
        if (encoded.length < 1) {
            throw new DecodeException("empty reply");
        }
        if ((encoded[0] & 0xFF) != SINGLE) {
            return ResultCode.OK;
        }
        if (encoded.length < 2) {
            throw new DecodeException("single reply without a code");
        }
        return ResultCode.ofCode(encoded[1] & 0xFF);
    }

    /** Reads one reply. */
    public static Reply read(ByteReader in) {
        int kind = in.readUnsignedByte();
        switch (kind) {
            case SINGLE:
                return readSingle(in);
            case BATCH: {
                int count = in.readCount(MIN_SINGLE_BYTES, "batch of replies");
                List<Reply.Single> replies = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    replies.add(readSingle(in));
                }
                return new Reply.Batch(replies);
            }
            case SCAN: {
                boolean more = readFlag(in, "scan's more flag");
                int count = in.readCount(Digest.LENGTH + 1 + 20 + 2, "scan of records");
                List<StoredRecord> records = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    Digest digest = RequestCodec.readDigest(in);
                    String set = RequestCodec.readName(in, RequestCodec.MAX_SET_BYTES, "set name");
                    RecordMeta meta = readMeta(in);
                    records.add(new StoredRecord(digest, set, meta, ValueCodec.readBins(in)));
                }
                return new Reply.Scan(records, more);
            }
            case COUNT:
                return new Reply.Count(in.readLong());
            default:
                throw new DecodeException("unknown reply kind " + kind);
        }
    }

    private static void writeSingle(ByteWriter out, Reply.Single reply) {
        out.writeByte(reply.code().code());
        out.writeByte(reply.meta() == null ? 0 : 1);
        if (reply.meta() != null) {
            writeMeta(out, reply.meta());
        }
        ValueCodec.writeBins(out, reply.bins());
    }

    private static Reply.Single readSingle(ByteReader in) {
        ResultCode code = ResultCode.ofCode(in.readUnsignedByte());
        RecordMeta meta = readFlag(in, "meta flag") ? readMeta(in) : null;
        return new Reply.Single(code, meta, ValueCodec.readBins(in));
    }

    private static void writeMeta(ByteWriter out, RecordMeta meta) {
        out.writeInt(meta.generation());
        out.writeLong(meta.voidTimeSec());
        out.writeLong(meta.lastUpdateStamp());
    }

    private static RecordMeta readMeta(ByteReader in) {
        return new RecordMeta(in.readInt(), in.readLong(), in.readLong());
    }

    private static boolean readFlag(ByteReader in, String what) {
        int flag = in.readUnsignedByte();
        if (flag > 1) {
            throw new DecodeException(what + " must be 0 or 1, got " + flag);
        }
        return flag == 1;
    }
}
