package io.flashraft.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The frames between clients and a node's gateway port (docs/protocol.md, section 12). Shared by
 * the gateway and the Java client; decoding is bounds-checked and throws {@link DecodeException}.
 *
 * <pre>
 * frame   := length:u32 version:u8 (=1) kind:u8 requestId:u64 body     length counts what follows it
 * REQUEST        0x01 := group:u16 sessionId:i64 sequence:i64 timeoutMs:u32 readMode:u8 flags:u8 request
 *                        flags bit 0: the write opens its session in the group
 * MAP            0x02 := (empty)                                       asks for the cluster map
 * INFO           0x03 := (empty)                                       asks for the node's group states
 * RESULT         0x41 := code:u8 inDoubt:u8 leaderId:str leaderAddress:str message:str reply:bytes
 * MAP_REPLY      0x42 := version:i64 nodeCount:u8 (id:str host:str port:u16 metricsPort:u16)*
 *                        groupCount:u16 (replicaCount:u8 replica:u8* leader:u8 (0xFF none) term:i64)*
 * INFO_REPLY     0x43 := nodeId:str count:u16 (group:u16 role:str leaderId:str term:i64 applied:i64
 *                        committed:i64 fault:str)*
 * ERROR          0xFF := message:str        the framing or version is broken; the node closes after it
 * str := length:varint UTF-8      bytes := length:varint bytes (empty: no reply)
 * </pre>
 */
public final class ClientFrames {
    public static final int VERSION = 1;
    /** version, kind and request id. */
    public static final int HEADER_BYTES = 1 + 1 + 8;
    /** The largest frame a node accepts from a client: a record of up to 1 MiB with its key and policies. */
    public static final int MAX_REQUEST_FRAME_BYTES = 2 << 20;
    /** The largest frame a client accepts from a node: a scan page or batch of large records. */
    public static final int MAX_REPLY_FRAME_BYTES = 64 << 20;
    /** A request's time limit when it names none, and the longest it may name. */
    public static final int DEFAULT_TIMEOUT_MS = 10_000;
    public static final int MAX_TIMEOUT_MS = 120_000;

    public static final int REQUEST = 0x01;
    public static final int MAP = 0x02;
    public static final int INFO = 0x03;
    public static final int RESULT = 0x41;
    public static final int MAP_REPLY = 0x42;
    public static final int INFO_REPLY = 0x43;
    public static final int ERROR = 0xFF;
    private static final int NO_LEADER_BYTE = 0xFF;
    private static final int FLAG_OPENS_SESSION = 1;

    private ClientFrames() {
    }

    /** How a read is served. Only linearizable reads exist now; the field leaves room for replica reads. */
    public enum ReadMode {
        LINEARIZABLE;

        static ReadMode ofCode(int code) {
            if (code != 0) {
                throw new DecodeException("unknown read mode " + code);
            }
            return LINEARIZABLE;
        }
    }

    /** A frame's header, read from the bytes after its length prefix. */
    public record Header(int kind, long requestId) {
    }

    /**
     * Reads the header of a frame whose length prefix is already gone, leaving {@code in} at the body.
     *
     * @throws DecodeException for another protocol version or a frame too short for its header
     */
    public static Header readHeader(ByteReader in) {
        int version = in.readUnsignedByte();
        if (version != VERSION) {
            throw new DecodeException("frame version " + version + ", this node speaks " + VERSION);
        }
        return new Header(in.readUnsignedByte(), in.readLong());
    }

    /**
     * One operation a client asks for.
     *
     * @param group     the partition group it belongs to (every record it names must be in it)
     * @param sessionId the client session, or 0 for none; a retried write keeps session and sequence
     * @param sequence  the request's sequence in its session, from 1 (0 without a session)
     * @param timeoutMs how long the node may take, 0 for {@link #DEFAULT_TIMEOUT_MS}
     * @param opensSession whether the write may open its session in the group: a client sets it
     *                  until the group has answered one of the session's writes, and again after
     *                  the group said SESSION_UNKNOWN
     */
    public record OperationRequest(long requestId, int group, long sessionId, long sequence, int timeoutMs,
                                   ReadMode readMode, boolean opensSession, Request request) {
        public OperationRequest {
            Objects.requireNonNull(readMode, "readMode");
            Objects.requireNonNull(request, "request");
            if (group < 0 || group >= Partitions.COUNT) {
                throw new IllegalArgumentException("group " + group);
            }
            if (timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
                throw new IllegalArgumentException("timeout " + timeoutMs + " ms outside 0.." + MAX_TIMEOUT_MS);
            }
            if (sessionId == 0 ? sequence != 0 : sequence < 1) {
                throw new IllegalArgumentException("session " + sessionId + " with sequence " + sequence);
            }
            if (opensSession && sessionId == 0) {
                throw new IllegalArgumentException("only a session can be opened");
            }
            if (request.op() == Request.OpCode.EVICT) {
                throw new IllegalArgumentException("evict is internal to the nodes");
            }
        }

        /** The time limit that applies: the named one, or the default. */
        public int effectiveTimeoutMs() {
            return timeoutMs == 0 ? DEFAULT_TIMEOUT_MS : timeoutMs;
        }
    }

    /** The whole frame of a request, length prefix included. */
    public static byte[] encode(OperationRequest op) {
        ByteWriter out = new ByteWriter(128);
        out.writeInt(0);
        writeHeader(out, REQUEST, op.requestId());
        out.writeShort(op.group());
        out.writeLong(op.sessionId());
        out.writeLong(op.sequence());
        out.writeInt(op.timeoutMs());
        out.writeByte(op.readMode().ordinal());
        out.writeByte(op.opensSession() ? FLAG_OPENS_SESSION : 0);
        RequestCodec.write(out, op.request());
        return finish(out);
    }

    /** Reads a REQUEST body (after {@link #readHeader}). */
    public static OperationRequest readRequest(Header header, ByteReader in) {
        int group = in.readUnsignedShort();
        long session = in.readLong();
        long sequence = in.readLong();
        int timeoutMs = in.readInt();
        ReadMode mode = ReadMode.ofCode(in.readUnsignedByte());
        int flags = in.readUnsignedByte();
        if ((flags & ~FLAG_OPENS_SESSION) != 0) {
            throw new DecodeException("unknown request flags " + flags);
        }
        Request request = RequestCodec.read(in);
        in.expectEnd("request");
        try {
            return new OperationRequest(header.requestId(), group, session, sequence, timeoutMs, mode,
                    flags == FLAG_OPENS_SESSION, request);
        } catch (IllegalArgumentException e) {
            throw new DecodeException(e.getMessage());
        }
    }

    /** The whole frame of a body-less request (MAP, INFO). */
    public static byte[] encodeEmpty(int kind, long requestId) {
        ByteWriter out = new ByteWriter(4 + HEADER_BYTES);
        out.writeInt(0);
        writeHeader(out, kind, requestId);
        return finish(out);
    }

    /**
     * A node's answer to a REQUEST.
     *
     * @param code          the outcome: the reply's own code when answered, else why not
     * @param inDoubt       whether a write may have been applied though no answer came back
     * @param leaderId      the group's leader as the node knows it ("" when unknown)
     * @param leaderAddress that leader's gateway {@code host:port} ("" when unknown)
     * @param message       for failures, why ("" otherwise)
     * @param reply         the encoded {@link Reply} ({@link ReplyCodec}), empty when not answered
     */
    public record Result(long requestId, ResultCode code, boolean inDoubt, String leaderId, String leaderAddress,
                         String message, byte[] reply) {
        public Result {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(leaderId, "leaderId");
            Objects.requireNonNull(leaderAddress, "leaderAddress");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(reply, "reply");
        }

        /** Whether the operation ran and {@link #reply} holds its answer. */
        public boolean answered() {
            return reply.length > 0;
        }

        /** A result that is only a failure. */
        public static Result failure(long requestId, ResultCode code, boolean inDoubt, String message) {
            return new Result(requestId, code, inDoubt, "", "", message, new byte[0]);
        }
    }

    public static byte[] encode(Result result) {
        ByteWriter out = new ByteWriter(64 + result.reply().length);
        out.writeInt(0);
        writeHeader(out, RESULT, result.requestId());
        out.writeByte(result.code().code());
        out.writeByte(result.inDoubt() ? 1 : 0);
        out.writeString(result.leaderId());
        out.writeString(result.leaderAddress());
        out.writeString(result.message());
        out.writeLengthPrefixed(result.reply());
        return finish(out);
    }

    public static Result readResult(Header header, ByteReader in) {
        ResultCode code = ResultCode.ofCode(in.readUnsignedByte());
        boolean inDoubt = readFlag(in, "in-doubt flag");
        Result result = new Result(header.requestId(), code, inDoubt, in.readString(), in.readString(), in.readString(),
                in.readLengthPrefixed());
        in.expectEnd("result");
        return result;
    }

    public static byte[] encode(long requestId, ClusterMap map) {
        ByteWriter out = new ByteWriter(64 + 32 * map.nodes().size() + 16 * map.groups().size());
        out.writeInt(0);
        writeHeader(out, MAP_REPLY, requestId);
        out.writeLong(map.version());
        out.writeByte(map.nodes().size());
        for (ClusterMap.Node node : map.nodes()) {
            out.writeString(node.id());
            out.writeString(node.host());
            out.writeShort(node.port());
            out.writeShort(node.metricsPort());
        }
        out.writeShort(map.groups().size());
        for (ClusterMap.Route route : map.groups()) {
            out.writeByte(route.replicas().size());
            route.replicas().forEach(out::writeByte);
            out.writeByte(route.leader() == ClusterMap.Route.NO_LEADER ? NO_LEADER_BYTE : route.leader());
            out.writeLong(route.term());
        }
        return finish(out);
    }

    public static ClusterMap readMap(ByteReader in) {
        long version = in.readLong();
        int nodeCount = in.readUnsignedByte();
        List<ClusterMap.Node> nodes = new ArrayList<>(nodeCount);
        for (int i = 0; i < nodeCount; i++) {
            String id = in.readString();
            String host = in.readString();
            int port = in.readUnsignedShort();
            int metricsPort = in.readUnsignedShort();
            nodes.add(checked(() -> new ClusterMap.Node(id, host, port, metricsPort)));
        }
        int groupCount = in.readUnsignedShort();
        List<ClusterMap.Route> routes = new ArrayList<>(Math.min(groupCount, ClusterMap.MAX_GROUPS));
        for (int g = 0; g < groupCount; g++) {
            int replicaCount = in.readUnsignedByte();
            List<Integer> replicas = new ArrayList<>(replicaCount);
            for (int r = 0; r < replicaCount; r++) {
                replicas.add(in.readUnsignedByte());
            }
            int leader = in.readUnsignedByte();
            long term = in.readLong();
            int group = g;
            routes.add(new ClusterMap.Route(group, replicas, leader == NO_LEADER_BYTE ? ClusterMap.Route.NO_LEADER : leader, term));
        }
        in.expectEnd("cluster map");
        return checked(() -> new ClusterMap(version, nodes, routes));
    }

    /**
     * What one node says of the groups it hosts.
     *
     * @param nodeId the node
     * @param groups one entry per hosted group, in group order
     */
    public record NodeInfo(String nodeId, List<GroupInfo> groups) {
        public NodeInfo {
            groups = List.copyOf(groups);
        }
    }

    /**
     * One hosted group as a node sees it.
     *
     * @param role     LEADER, FOLLOWER, CANDIDATE, or STARTING
     * @param leaderId its leader's id, "" when none is known
     * @param fault    why the group stopped applying here, "" when it applies
     */
    public record GroupInfo(int group, String role, String leaderId, long term, long appliedIndex, long committedIndex,
                            String fault) {
    }

    public static byte[] encode(long requestId, NodeInfo info) {
        ByteWriter out = new ByteWriter(64 + 64 * info.groups().size());
        out.writeInt(0);
        writeHeader(out, INFO_REPLY, requestId);
        out.writeString(info.nodeId());
        out.writeShort(info.groups().size());
        for (GroupInfo group : info.groups()) {
            out.writeShort(group.group());
            out.writeString(group.role());
            out.writeString(group.leaderId());
            out.writeLong(group.term());
            out.writeLong(group.appliedIndex());
            out.writeLong(group.committedIndex());
            out.writeString(group.fault());
        }
        return finish(out);
    }

    public static NodeInfo readInfo(ByteReader in) {
        String nodeId = in.readString();
        int count = in.readUnsignedShort();
        List<GroupInfo> groups = new ArrayList<>(Math.min(count, ClusterMap.MAX_GROUPS));
        for (int i = 0; i < count; i++) {
            groups.add(new GroupInfo(in.readUnsignedShort(), in.readString(), in.readString(), in.readLong(),
                    in.readLong(), in.readLong(), in.readString()));
        }
        in.expectEnd("node info");
        return new NodeInfo(nodeId, groups);
    }

    private static void writeHeader(ByteWriter out, int kind, long requestId) {
        out.writeByte(VERSION);
        out.writeByte(kind);
        out.writeLong(requestId);
    }

    /** Fills in the length prefix and returns the frame. */
    private static byte[] finish(ByteWriter out) {
        byte[] frame = out.toByteArray();
        int length = frame.length - 4;
        frame[0] = (byte) (length >>> 24);
        frame[1] = (byte) (length >>> 16);
        frame[2] = (byte) (length >>> 8);
        frame[3] = (byte) length;
        return frame;
    }

    private static boolean readFlag(ByteReader in, String what) {
        int flag = in.readUnsignedByte();
        if (flag > 1) {
            throw new DecodeException(what + " " + flag);
        }
        return flag == 1;
    }

    private static <T> T checked(java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new DecodeException(e.getMessage());
        }
    }
}
