package io.flashraft.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one binary form of a {@link Request}, used on the wire and inside log entries.
 *
 * <pre>
 * request   := op:u8 namespace:name body
 * name      := length:u8 UTF-8                     namespace 1..31 bytes, set 0..63 bytes
 * digest    := 20 bytes
 * policy    := existsAction:u8 expectedGeneration:u32 ttlSec:i64
 * selection := 0 (all) | 1 (header only) | 2 count:u8 (name)*      names as bin names
 * PUT       := set:name digest policy bins          (bins as in ValueCodec)
 * GET       := digest selection                     EXISTS := digest
 * DELETE    := digest policy                        TOUCH  := digest policy
 * OPERATE   := set:name digest policy count:u8 binop*
 * binop     := type:u8 bin:name [value] [value]     operands as BinOp.Type says
 * BATCH_GET := selection count:varint digest*       1..5000 digests
 * SCAN      := partition:u16 hasAfter:u8 [digest] maxRecords:u32 selection
 * TRUNCATE  := set:name                             EVICT := digest generation:u32
 * </pre>
 *
 * Decoding checks every length and value range and fails with {@link DecodeException}; it never
 * trusts the input to be canonical or well-formed.
 */
public final class RequestCodec {
    /** The longest set name, in UTF-8 bytes. */
    public static final int MAX_SET_BYTES = 63;

    private RequestCodec() {
    }

    /** The encoding of one request. */
    public static byte[] encode(Request request) {
        ByteWriter out = new ByteWriter(64);
        write(out, request);
        return out.toByteArray();
    }

    /** Appends the encoding of one request. */
    public static void write(ByteWriter out, Request request) {
        out.writeByte(request.op().code());
        writeName(out, request.namespace());
        if (request instanceof Request.Put r) {
            writeName(out, r.set());
            writeDigest(out, r.digest());
            writePolicy(out, r.policy());
            ValueCodec.writeBins(out, r.bins());
        } else if (request instanceof Request.Get r) {
            writeDigest(out, r.digest());
            writeSelection(out, r.selection());
        } else if (request instanceof Request.Exists r) {
            writeDigest(out, r.digest());
        } else if (request instanceof Request.Delete r) {
            writeDigest(out, r.digest());
            writePolicy(out, r.policy());
        } else if (request instanceof Request.Touch r) {
            writeDigest(out, r.digest());
            writePolicy(out, r.policy());
        } else if (request instanceof Request.Operate r) {
            writeName(out, r.set());
            writeDigest(out, r.digest());
            writePolicy(out, r.policy());
            out.writeByte(r.ops().size());
            for (BinOp op : r.ops()) {
                out.writeByte(op.type().code());
                writeName(out, op.bin());
                if (op.value() != null) {
                    ValueCodec.writeValue(out, op.value());
                }
                if (op.mapValue() != null) {
                    ValueCodec.writeValue(out, op.mapValue());
                }
            }
        } else if (request instanceof Request.BatchGet r) {
            writeSelection(out, r.selection());
            out.writeVarint(r.digests().size());
            for (Digest digest : r.digests()) {
                writeDigest(out, digest);
            }
        } else if (request instanceof Request.Scan r) {
            out.writeShort(r.partition());
            out.writeByte(r.afterDigest() == null ? 0 : 1);
            if (r.afterDigest() != null) {
                writeDigest(out, r.afterDigest());
            }
            out.writeInt(r.maxRecords());
            writeSelection(out, r.selection());
        } else if (request instanceof Request.Truncate r) {
            writeName(out, r.set());
        } else if (request instanceof Request.Evict r) {
            writeDigest(out, r.digest());
            out.writeInt(r.generation());
        } else {
            throw new IllegalArgumentException("unknown request " + request);
        }
    }

    /**
     * Decodes a request that fills the whole array.
     *
     * @throws DecodeException if the bytes are not exactly one valid request
     */
    public static Request decode(byte[] bytes) {
        ByteReader in = new ByteReader(bytes, 0, bytes.length);
        Request request = read(in);
        in.expectEnd("request");
        return request;
    }

    /** Reads one request. */
    public static Request read(ByteReader in) {
        Request.OpCode op = Request.OpCode.ofCode(in.readUnsignedByte());
        String namespace = readName(in, Request.MAX_NAMESPACE_BYTES, "namespace");
        try {
            return switch (op) {
                case PUT -> {
                    String set = readSet(in);
                    Digest digest = readDigest(in);
                    WritePolicy policy = readPolicy(in);
                    yield new Request.Put(namespace, set, digest, ValueCodec.readBins(in), policy);
                }
                case GET -> new Request.Get(namespace, readDigest(in), readSelection(in));
                case EXISTS -> new Request.Exists(namespace, readDigest(in));
                case DELETE -> new Request.Delete(namespace, readDigest(in), readPolicy(in));
                case TOUCH -> new Request.Touch(namespace, readDigest(in), readPolicy(in));
                case OPERATE -> {
                    String set = readSet(in);
                    Digest digest = readDigest(in);
                    WritePolicy policy = readPolicy(in);
                    int count = in.readUnsignedByte();
                    List<BinOp> ops = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        BinOp.Type type = BinOp.Type.ofCode(in.readUnsignedByte());
                        String bin = readName(in, Bins.MAX_NAME_BYTES, "bin name");
                        Value value = type.hasValue() ? ValueCodec.readValue(in) : null;
                        Value mapValue = type.hasMapValue() ? ValueCodec.readValue(in) : null;
                        ops.add(new BinOp(type, bin, value, mapValue));
                    }
                    yield new Request.Operate(namespace, set, digest, policy, ops);
                }
                case BATCH_GET -> {
                    BinSelection selection = readSelection(in);
                    int count = in.readCount(Digest.LENGTH, "batch of digests");
                    if (count > Request.MAX_BATCH) {
                        throw new DecodeException("batch of " + count + " digests exceeds " + Request.MAX_BATCH);
                    }
                    List<Digest> digests = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        digests.add(readDigest(in));
                    }
                    yield new Request.BatchGet(namespace, digests, selection);
                }
                case SCAN -> {
                    int partition = in.readUnsignedShort();
                    int hasAfter = in.readUnsignedByte();
                    if (hasAfter > 1) {
                        throw new DecodeException("scan's after-digest flag must be 0 or 1, got " + hasAfter);
                    }
                    Digest after = hasAfter == 1 ? readDigest(in) : null;
                    int maxRecords = in.readInt();
                    yield new Request.Scan(namespace, partition, after, maxRecords, readSelection(in));
                }
                case TRUNCATE -> new Request.Truncate(namespace, readSet(in));
                case EVICT -> new Request.Evict(namespace, readDigest(in), in.readInt());
            };
        } catch (IllegalArgumentException e) {
            throw new DecodeException(op + ": " + e.getMessage());
        }
    }

    static void writeName(ByteWriter out, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        out.writeByte(bytes.length);
        out.writeBytes(bytes, 0, bytes.length);
    }

    static String readName(ByteReader in, int maxBytes, String what) {
        int length = in.readUnsignedByte();
        if (length > maxBytes) {
            throw new DecodeException(what + " of " + length + " bytes exceeds " + maxBytes);
        }
        return in.readUtf8(length);
    }

    private static String readSet(ByteReader in) {
        return readName(in, MAX_SET_BYTES, "set name");
    }

    /** Appends a record's digest and set name, as requests and scan replies carry them. */
    public static void writeRecordAddress(ByteWriter out, Digest digest, String set) {
        writeDigest(out, digest);
        writeName(out, set);
    }

    static void writeDigest(ByteWriter out, Digest digest) {
        out.writeBytes(digest.toBytes(), 0, Digest.LENGTH);
    }

    static Digest readDigest(ByteReader in) {
        return Digest.of(in.readBytes(Digest.LENGTH));
    }

    private static void writePolicy(ByteWriter out, WritePolicy policy) {
        out.writeByte(policy.existsAction().ordinal());
        out.writeInt(policy.expectedGeneration());
        out.writeLong(policy.ttlSec());
    }

    private static WritePolicy readPolicy(ByteReader in) {
        int action = in.readUnsignedByte();
        RecordExistsAction[] actions = RecordExistsAction.values();
        if (action >= actions.length) {
            throw new DecodeException("unknown record-exists action " + action);
        }
        return new WritePolicy(actions[action], in.readInt(), in.readLong());
    }

    private static void writeSelection(ByteWriter out, BinSelection selection) {
        if (selection.headerOnly()) {
            out.writeByte(1);
        } else if (selection.names() == null) {
            out.writeByte(0);
        } else {
            out.writeByte(2);
            Set<String> sorted = new TreeSet<>(Bins.NAME_ORDER);
            sorted.addAll(selection.names());
            out.writeByte(sorted.size());
            for (String name : sorted) {
                writeName(out, name);
            }
        }
    }

    private static BinSelection readSelection(ByteReader in) {
        int mode = in.readUnsignedByte();
        switch (mode) {
            case 0:
                return BinSelection.ALL;
            case 1:
                return BinSelection.HEADER;
            case 2:
                int count = in.readUnsignedByte();
                List<String> names = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    names.add(readName(in, Bins.MAX_NAME_BYTES, "bin name"));
                }
                return BinSelection.of(names);
            default:
                throw new DecodeException("unknown bin selection " + mode);
        }
    }
}
