package io.flashraft.statemachine;

import io.flashraft.protocol.Request;
import java.util.Objects;

/**
 * One client request as a log entry carries it.
 *
 * @param sessionId the client session it belongs to, or {@link #NO_SESSION} for requests that
 *                  need no exactly-once guarantee (the leader's own eviction deletes)
 * @param sequence  the request's sequence number within its session, from 1
 * @param opensSession whether the command may open its session when the group does not know it;
 *                  a command that may not is refused (SESSION_UNKNOWN) instead, so that a retry
 *                  whose session the group forgot is never applied a second time
 * @param request   the operation
 */
public record Command(long sessionId, long sequence, boolean opensSession, Request request) {
    /** The session id of a command that is not deduplicated. */
    public static final long NO_SESSION = 0;

    public Command {
        Objects.requireNonNull(request, "request");
        if (sessionId != NO_SESSION && sequence < 1) {
            throw new IllegalArgumentException("sequence " + sequence + " of session " + sessionId + " must be >= 1");
        }
    }

    /** A command that opens its session if the group does not know it. */
    public Command(long sessionId, long sequence, Request request) {
        this(sessionId, sequence, true, request);
    }
}
