package io.flashraft.statemachine;

import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.RequestCodec;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of log entries and of the command batches a node submits to a group.
 *
 * <pre>
 * batch  := count:varint (1..4096) command*                 what a node submits to the leader
 * command:= sessionId:i64 sequence:i64 opensSession:u8 request   request as in RequestCodec
 * entry  := version:u8 (=1) nowMs:i64 stamp:i64 batch       what the log holds
 * </pre>
 *
 * The leader turns a submitted batch into an entry by prefixing the {@value #HEADER_BYTES}-byte
 * header, without copying the batch.
 */
public final class LogEntryCodec {
    /** The version byte that opens an entry. */
    public static final int VERSION = 1;
    /** The bytes before the batch in an entry. */
    public static final int HEADER_BYTES = 17;
    private static final int MIN_COMMAND_BYTES = 16 + 3;

    private LogEntryCodec() {
    }

    /** The encoding of a batch of commands. */
    public static byte[] encodeBatch(List<Command> commands) {
        List<byte[]> encoded = new ArrayList<>(commands.size());
        for (Command command : commands) {
            encoded.add(encodeCommand(command));
        }
        return joinBatch(encoded);
    }

    /** The encoding of one command, as a batch carries it. */
    public static byte[] encodeCommand(Command command) {
        ByteWriter out = new ByteWriter(64);
        out.writeLong(command.sessionId());
        out.writeLong(command.sequence());
        out.writeByte(command.opensSession() ? 1 : 0);
        RequestCodec.write(out, command.request());
        return out.toByteArray();
    }

    /** The batch of commands each encoded by {@link #encodeCommand}. */
    public static byte[] joinBatch(List<byte[]> commands) {
        if (commands.isEmpty() || commands.size() > LogEntry.MAX_COMMANDS) {
            throw new IllegalArgumentException("a batch carries 1.." + LogEntry.MAX_COMMANDS + " commands, got " + commands.size());
        }
        int size = 5;
        for (byte[] command : commands) {
            size += command.length;
        }
        ByteWriter out = new ByteWriter(size);
        out.writeVarint(commands.size());
        for (byte[] command : commands) {
            out.writeBytes(command, 0, command.length);
        }
        return out.toByteArray();
    }

    /** The header an entry puts before its batch. */
    public static byte[] encodeHeader(long nowMs, long stamp) {
        ByteWriter out = new ByteWriter(HEADER_BYTES);
        out.writeByte(VERSION);
        out.writeLong(nowMs);
        out.writeLong(stamp);
        return out.toByteArray();
    }

    /** The encoding of a whole entry. */
    public static byte[] encode(LogEntry entry) {
        byte[] header = encodeHeader(entry.nowMs(), entry.stamp());
        byte[] batch = encodeBatch(entry.commands());
        byte[] out = new byte[header.length + batch.length];
        System.arraycopy(header, 0, out, 0, header.length);
        System.arraycopy(batch, 0, out, header.length, batch.length);
        return out;
    }

    /**
     * Decodes a batch that fills the range.
     *
     * @throws DecodeException if it is not exactly one valid batch
     */
    public static List<Command> decodeBatch(byte[] bytes, int offset, int length) {
        ByteReader in = new ByteReader(bytes, offset, length);
        int count = in.readCount(MIN_COMMAND_BYTES, "batch of commands");
        if (count < 1 || count > LogEntry.MAX_COMMANDS) {
            throw new DecodeException("a batch carries 1.." + LogEntry.MAX_COMMANDS + " commands, got " + count);
        }
        List<Command> commands = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long sessionId = in.readLong();
            long sequence = in.readLong();
            int opens = in.readUnsignedByte();
            if (opens > 1) {
                throw new DecodeException("command " + i + ": opens-session flag " + opens);
            }
            try {
                commands.add(new Command(sessionId, sequence, opens == 1, RequestCodec.read(in)));
            } catch (IllegalArgumentException e) {
                throw new DecodeException("command " + i + ": " + e.getMessage());
            }
        }
        in.expectEnd("batch");
        return commands;
    }

    /** The encoding of the replies to an entry's commands: count:varint (length:varint reply)*. */
    public static byte[] encodeReplies(List<byte[]> replies) {
        int size = 5;
        for (byte[] reply : replies) {
            size += 5 + reply.length;
        }
        ByteWriter out = new ByteWriter(size);
        out.writeVarint(replies.size());
        for (byte[] reply : replies) {
            out.writeVarint(reply.length);
            out.writeBytes(reply, 0, reply.length);
        }
        return out.toByteArray();
    }

    /** Decodes what {@link #encodeReplies} wrote. */
    public static List<byte[]> decodeReplies(byte[] bytes) {
        ByteReader in = new ByteReader(bytes, 0, bytes.length);
        int count = in.readCount(1, "replies");
        List<byte[]> replies = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            replies.add(in.readBytes(in.readVarint()));
        }
        in.expectEnd("replies");
        return replies;
    }

    /**
     * Decodes an entry that fills the array.
     *
     * @throws DecodeException if it is not exactly one valid entry
     */
    public static LogEntry decode(byte[] bytes) {
        ByteReader in = new ByteReader(bytes, 0, bytes.length);
        int version = in.readUnsignedByte();
        if (version != VERSION) {
            throw new DecodeException("log entry version " + version + ", expected " + VERSION);
        }
        long nowMs = in.readLong();
        long stamp = in.readLong();
        return new LogEntry(nowMs, stamp, decodeBatch(bytes, HEADER_BYTES, bytes.length - HEADER_BYTES));
    }
}
