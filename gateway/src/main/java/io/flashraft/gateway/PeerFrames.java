package io.flashraft.gateway;

import io.flashraft.device.RecordVersion;
import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.RequestCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Frames of the operations between nodes on the gateway port (docs/protocol.md, section 11).
 *
 * <pre>
 * frame   := length:u32 version:u8 (=1) kind:u8 requestId:u64 body      length counts what follows it
 * HELLO           0x81 := clusterHash:str nodeId:str        first frame of every peer connection
 * HELLO_OK        0x82 := (empty)
 * SNAPSHOT_FETCH  0x83 := group:u16
 * SNAPSHOT_BEGIN  0x84 := term:i64 index:i64 stateBytes:i64   then SNAPSHOT_STATE frames until
 *                         stateBytes arrived (the group clock and session table), then any number of
 * SNAPSHOT_VERSIONS 0x85 := namespace:str count:varint version*
 * SNAPSHOT_END    0x86 := versions:i64
 * SNAPSHOT_STATE  0x89 := chunk (at most 1 MiB of the state)
 * LEADERS         0x87 := (empty)                           asks for the leaders of the groups the peer hosts
 * LEADERS_REPLY   0x88 := count:varint (group:u16 term:i64 leader:str)*
 * FORWARD         0x8A := the body of a client REQUEST (section 12), answered with a client RESULT frame
 * ERROR           0xFF := message:str                       the sender closes the connection after it
 * str     := length:varint UTF-8          bytes := length:varint bytes
 * version := digest set:name generation:u32 voidTimeSec:i64 lastUpdateStamp:i64 group:u16
 *            logIndex:i64 tombstone:u8 bins:bytes
 * </pre>
 */
final class PeerFrames {
    static final int VERSION = 1;
    static final int HEADER_BYTES = 1 + 1 + 8;
    /** The largest frame a peer accepts. */
    static final int MAX_FRAME_BYTES = 16 << 20;
    /** Versions are sent in frames of about this many bytes. */
    static final int VERSIONS_FRAME_BYTES = 256 << 10;

    static final int HELLO = 0x81;
    static final int HELLO_OK = 0x82;
    static final int SNAPSHOT_FETCH = 0x83;
    static final int SNAPSHOT_BEGIN = 0x84;
    static final int SNAPSHOT_VERSIONS = 0x85;
    static final int SNAPSHOT_END = 0x86;
    static final int LEADERS = 0x87;
    static final int LEADERS_REPLY = 0x88;
    static final int SNAPSHOT_STATE = 0x89;
    /** A client request another node forwards; the body is the client's REQUEST body, the answer a RESULT frame. */
    static final int FORWARD = 0x8A;
    /** The state of a group travels in chunks of at most this many bytes. */
    static final int STATE_CHUNK_BYTES = 1 << 20;
    /** The largest group state a replica accepts. */
    static final long MAX_STATE_BYTES = 1L << 30;
    static final int ERROR = io.flashraft.protocol.ClientFrames.ERROR;

    private PeerFrames() {
    }

    /** A frame with its length prefix, ready to write. */
    static ByteBuf frame(int kind, long requestId, ByteWriter body) {
        ByteBuf buf = Unpooled.buffer(4 + HEADER_BYTES + body.size());
        buf.writeInt(HEADER_BYTES + body.size());
        buf.writeByte(VERSION);
        buf.writeByte(kind);
        buf.writeLong(requestId);
        buf.writeBytes(body.array(), 0, body.size());
        return buf;
    }

    /** A frame without a body. */
    static ByteBuf frame(int kind, long requestId) {
        return frame(kind, requestId, new ByteWriter(0));
    }

    static ByteBuf error(long requestId, String message) {
        ByteWriter body = new ByteWriter(64);
        body.writeString(message);
        return frame(ERROR, requestId, body);
    }

    /** One received frame, length prefix already removed. */
    record Received(int kind, long requestId, ByteReader body) {
        static Received of(ByteBuf frame) {
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            ByteReader in = new ByteReader(bytes, 0, bytes.length);
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new DecodeException("peer frame version " + version + ", expected " + VERSION);
            }
            return new Received(in.readUnsignedByte(), in.readLong(), in);
        }
    }

    static void writeVersion(ByteWriter out, RecordVersion v) {
        RequestCodec.writeRecordAddress(out, v.digest(), v.set());
        out.writeInt(v.generation());
        out.writeLong(v.voidTimeSec());
        out.writeLong(v.lastUpdateStamp());
        out.writeShort(v.group());
        out.writeLong(v.logIndex());
        out.writeByte(v.tombstone() ? 1 : 0);
        out.writeLengthPrefixed(v.encodedBins());
    }

    static RecordVersion readVersion(ByteReader in) {
        Digest digest = Digest.of(in.readBytes(Digest.LENGTH));
        int setLength = in.readUnsignedByte();
        String set = in.readUtf8(setLength);
        int generation = in.readInt();
        long voidTimeSec = in.readLong();
        long stamp = in.readLong();
        int group = in.readUnsignedShort();
        long logIndex = in.readLong();
        int tombstone = in.readUnsignedByte();
        if (tombstone > 1) {
            throw new DecodeException("tombstone flag " + tombstone);
        }
        return new RecordVersion(digest, set, generation, voidTimeSec, stamp, group, logIndex, tombstone == 1, in.readLengthPrefixed());
    }
}
