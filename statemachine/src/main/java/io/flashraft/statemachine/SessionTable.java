package io.flashraft.statemachine;

import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.DecodeException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The replicated record of what each client session has had applied, so that a retried write is
 * answered from here instead of being applied again (Raft dissertation, section 6.3).
 *
 * <p>Per session it keeps the replies of its most recent {@code windowSize} sequences. A retry of
 * a sequence in that window gets the stored reply; a retry of a sequence older than the window,
 * whose reply is gone, gets IN_DOUBT (in doubt). Sessions expire when log time (the
 * entries' "now", never a local clock) passes their last use by {@code idleMs}; past
 * {@code maxSessions} the least recently used session goes first. Only the apply thread of its
 * group touches a table, and it is part of the group's snapshot, so every replica holds the same
 * table at the same index.
 */
final class SessionTable {
    /** What a table says about a command before it is applied. */
    sealed interface Lookup {
    }

    /** Not seen before: apply it. */
    record Apply() implements Lookup {
    }

    /** Applied before: answer with this encoded reply. */
    record Applied(byte[] reply) implements Lookup {
    }

    /** Older than the window of stored replies: its outcome is unknown. */
    record Expired() implements Lookup {
    }

    /** Of a session the table does not know, and the command may not open it: refuse it. */
    record Unknown() implements Lookup {
    }

    private static final Lookup APPLY = new Apply();
    private static final Lookup EXPIRED = new Expired();
    private static final Lookup UNKNOWN = new Unknown();

    private final int windowSize;
    private final long idleMs;
    private final int maxSessions;
    /** In order of last use, least recent first: log time only grows, so expiry looks at the head. */
    private final LinkedHashMap<Long, Session> sessions = new LinkedHashMap<>();

    SessionTable(int windowSize, long idleMs, int maxSessions) {
        if (windowSize < 1 || idleMs < 1 || maxSessions < 1) {
            throw new IllegalArgumentException("session window, idle time and session count must be positive");
        }
        this.windowSize = windowSize;
        this.idleMs = idleMs;
        this.maxSessions = maxSessions;
    }

    private static final class Session {
        long lastUsedMs;
        /** The highest sequence whose reply was dropped from the window; 0 when none. */
        long forgottenThrough;
        final TreeMap<Long, byte[]> replies = new TreeMap<>();
    }

    /** What to do with a command of this session and sequence. */
    Lookup lookup(long sessionId, long sequence, boolean opensSession) {
        if (sessionId == Command.NO_SESSION) {
            return APPLY;
        }
        Session session = sessions.get(sessionId);
        if (session == null) {
            return opensSession ? APPLY : UNKNOWN;
        }
        byte[] reply = session.replies.get(sequence);
        if (reply != null) {
            return new Applied(reply);
        }
        return sequence <= session.forgottenThrough ? EXPIRED : APPLY;
    }

    /** Records the reply of an applied command at log time {@code nowMs}. */
    void record(long sessionId, long sequence, byte[] reply, long nowMs) {
        if (sessionId == Command.NO_SESSION) {
            return;
        }
        Session session = sessions.remove(sessionId);
        if (session == null) {
            session = new Session();
        }
        sessions.put(sessionId, session);
        session.lastUsedMs = Math.max(session.lastUsedMs, nowMs);
        session.replies.put(sequence, reply);
        while (session.replies.size() > windowSize) {
            session.forgottenThrough = Math.max(session.forgottenThrough, session.replies.pollFirstEntry().getKey());
        }
        while (sessions.size() > maxSessions) {
            removeEldest();
        }
    }

    /** Drops the sessions idle for longer than the idle time at log time {@code nowMs}. */
    void expire(long nowMs) {
        Iterator<Session> it = sessions.values().iterator();
        while (it.hasNext()) {
            if (it.next().lastUsedMs + idleMs >= nowMs) {
                return;
            }
            it.remove();
        }
    }

    private void removeEldest() {
        Iterator<Long> it = sessions.keySet().iterator();
        it.next();
        it.remove();
    }

    int size() {
        return sessions.size();
    }

    /**
     * Appends the table, least recently used session first, so that reading it back restores the
     * same order.
     */
    void write(ByteWriter out) {
        out.writeInt(sessions.size());
        for (Map.Entry<Long, Session> entry : sessions.entrySet()) {
            Session session = entry.getValue();
            out.writeLong(entry.getKey());
            out.writeLong(session.lastUsedMs);
            out.writeLong(session.forgottenThrough);
            out.writeInt(session.replies.size());
            for (Map.Entry<Long, byte[]> reply : session.replies.entrySet()) {
                out.writeLong(reply.getKey());
                out.writeInt(reply.getValue().length);
                out.writeBytes(reply.getValue(), 0, reply.getValue().length);
            }
        }
    }

    /** Replaces the table's contents with what {@link #write} wrote. */
    void read(ByteReader in) {
        sessions.clear();
        int count = in.readInt();
        if (count < 0 || count > in.remaining() / 28) {
            throw new DecodeException("session count " + count + " does not fit the " + in.remaining() + " bytes left");
        }
        for (int i = 0; i < count; i++) {
            long id = in.readLong();
            Session session = new Session();
            session.lastUsedMs = in.readLong();
            session.forgottenThrough = in.readLong();
            int replies = in.readInt();
            if (replies < 0 || replies > in.remaining() / 12) {
                throw new DecodeException("reply count " + replies + " of session " + id + " does not fit");
            }
            for (int r = 0; r < replies; r++) {
                long sequence = in.readLong();
                int length = in.readInt();
                session.replies.put(sequence, in.readBytes(length));
            }
            sessions.put(id, session);
        }
    }
}
