package io.flashraft.protocol;

import java.util.List;
import java.util.Objects;

/**
 * One record operation of DESIGN.md section 3, as a client asks for it and as a log entry
 * carries it. Writes go through a partition group's log; reads are answered by a state machine
 * query after a read index.
 *
 * <p>Every request names its namespace; a single-record request names its record by digest (the
 * key itself never travels). {@link RequestCodec} gives the one binary form.
 */
public sealed interface Request {
    /** The most records one batch get may ask for. */
    int MAX_BATCH = 5_000;
    /** The most bin operations one operate may carry. */
    int MAX_BIN_OPS = 255;
    /** The longest namespace name, in UTF-8 bytes. */
    int MAX_NAMESPACE_BYTES = 31;

    /** The operation's wire code. */
    OpCode op();

    /** The namespace it acts on. */
    String namespace();

    /** Whether the request changes state and so must go through the log. */
    default boolean isWrite() {
        return op().isWrite();
    }

    /** The operation codes on the wire. Never renumber them. */
    enum OpCode {
        PUT(1, true),
        GET(2, false),
        EXISTS(3, false),
        DELETE(4, true),
        TOUCH(5, true),
        OPERATE(6, true),
        BATCH_GET(7, false),
        SCAN(8, false),
        TRUNCATE(9, true),
        /** Internal: a delete the leader proposes to evict a record; never sent by clients. */
        EVICT(10, true);

        private final int code;
        private final boolean write;

        OpCode(int code, boolean write) {
            this.code = code;
            this.write = write;
        }

        public int code() {
            return code;
        }

        public boolean isWrite() {
            return write;
        }

        public static OpCode ofCode(int code) {
            for (OpCode op : values()) {
                if (op.code == code) {
                    return op;
                }
            }
            throw new DecodeException("unknown operation " + code);
        }
    }

    /** A request that addresses one record. */
    sealed interface SingleRecord extends Request {
        Digest digest();
    }

    /** Writes bins under a record-exists policy, generation check and TTL. */
    record Put(String namespace, String set, Digest digest, Bins bins, WritePolicy policy) implements SingleRecord {
        public Put {
            checkNamespace(namespace);
            Objects.requireNonNull(set, "set");
            Objects.requireNonNull(digest, "digest");
            Objects.requireNonNull(bins, "bins");
            Objects.requireNonNull(policy, "policy");
        }

        @Override
        public OpCode op() {
            return OpCode.PUT;
        }
    }

    /** Reads all, named or no bins (header only) of a record. */
    record Get(String namespace, Digest digest, BinSelection selection) implements SingleRecord {
        public Get {
            checkNamespace(namespace);
            Objects.requireNonNull(digest, "digest");
            Objects.requireNonNull(selection, "selection");
        }

        @Override
        public OpCode op() {
            return OpCode.GET;
        }
    }

    /** Whether a record exists: OK or NOT_FOUND, with its metadata. */
    record Exists(String namespace, Digest digest) implements SingleRecord {
        public Exists {
            checkNamespace(namespace);
            Objects.requireNonNull(digest, "digest");
        }

        @Override
        public OpCode op() {
            return OpCode.EXISTS;
        }
    }

    /** Deletes a record, leaving a durable tombstone; the policy's generation check applies. */
    record Delete(String namespace, Digest digest, WritePolicy policy) implements SingleRecord {
        public Delete {
            checkNamespace(namespace);
            Objects.requireNonNull(digest, "digest");
            Objects.requireNonNull(policy, "policy");
        }

        @Override
        public OpCode op() {
            return OpCode.DELETE;
        }
    }

    /** Rewrites a record with a new generation and void time. */
    record Touch(String namespace, Digest digest, WritePolicy policy) implements SingleRecord {
        public Touch {
            checkNamespace(namespace);
            Objects.requireNonNull(digest, "digest");
            Objects.requireNonNull(policy, "policy");
        }

        @Override
        public OpCode op() {
            return OpCode.TOUCH;
        }
    }

    /** Several bin operations on one record, applied in order as one atomic step. */
    record Operate(String namespace, String set, Digest digest, WritePolicy policy, List<BinOp> ops)
            implements SingleRecord {
        public Operate {
            checkNamespace(namespace);
            Objects.requireNonNull(set, "set");
            Objects.requireNonNull(digest, "digest");
            Objects.requireNonNull(policy, "policy");
            ops = List.copyOf(ops);
            if (ops.isEmpty() || ops.size() > MAX_BIN_OPS) {
                throw new IllegalArgumentException("operate needs 1.." + MAX_BIN_OPS + " bin operations, got " + ops.size());
            }
        }

        @Override
        public OpCode op() {
            return OpCode.OPERATE;
        }

        /** Whether any of the operations changes the record. */
        public boolean writes() {
            return ops.stream().anyMatch(op -> op.type().writes());
        }

        @Override
        public boolean isWrite() {
            return writes();
        }
    }

    /** Reads many records of one namespace; the reply holds one answer per digest, in order. */
    record BatchGet(String namespace, List<Digest> digests, BinSelection selection) implements Request {
        public BatchGet {
            checkNamespace(namespace);
            digests = List.copyOf(digests);
            if (digests.isEmpty() || digests.size() > MAX_BATCH) {
                throw new IllegalArgumentException("batch get needs 1.." + MAX_BATCH + " digests, got " + digests.size());
            }
            Objects.requireNonNull(selection, "selection");
        }

        @Override
        public OpCode op() {
            return OpCode.BATCH_GET;
        }
    }

    /**
     * Reads the live records of one partition in digest order, at most {@code maxRecords}, starting
     * after {@code afterDigest} (null for the start): a client pages through a partition, and
     * through a range of partitions, with repeated scans.
     */
    record Scan(String namespace, int partition, Digest afterDigest, int maxRecords, BinSelection selection)
            implements Request {
        /** The most records one scan reply holds. */
        public static final int MAX_RECORDS = 10_000;

        public Scan {
            checkNamespace(namespace);
            if (partition < 0 || partition >= Partitions.COUNT) {
                throw new IllegalArgumentException("partition " + partition + " outside 0.." + (Partitions.COUNT - 1));
            }
            if (maxRecords < 1 || maxRecords > MAX_RECORDS) {
                throw new IllegalArgumentException("scan needs maxRecords in 1.." + MAX_RECORDS + ", got " + maxRecords);
            }
            Objects.requireNonNull(selection, "selection");
        }

        @Override
        public OpCode op() {
            return OpCode.SCAN;
        }
    }

    /** Removes every record of a set written before this request is applied. */
    record Truncate(String namespace, String set) implements Request {
        public Truncate {
            checkNamespace(namespace);
            Objects.requireNonNull(set, "set");
        }

        @Override
        public OpCode op() {
            return OpCode.TRUNCATE;
        }
    }

    /**
     * Internal: deletes a record only if it still has this generation. The leader proposes it to
     * evict, so every replica evicts the same version and a replay evicts nothing more.
     */
    record Evict(String namespace, Digest digest, int generation) implements SingleRecord {
        public Evict {
            checkNamespace(namespace);
            Objects.requireNonNull(digest, "digest");
            if (generation < 1) {
                throw new IllegalArgumentException("evict needs a generation, got " + generation);
            }
        }

        @Override
        public OpCode op() {
            return OpCode.EVICT;
        }
    }

    /** Checks a namespace name: 1..31 UTF-8 bytes. */
    static String checkNamespace(String namespace) {
        Objects.requireNonNull(namespace, "namespace");
        int bytes = namespace.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes < 1 || bytes > MAX_NAMESPACE_BYTES) {
            throw new IllegalArgumentException("namespace name must be 1.." + MAX_NAMESPACE_BYTES + " UTF-8 bytes: " + namespace);
        }
        return namespace;
    }
}
