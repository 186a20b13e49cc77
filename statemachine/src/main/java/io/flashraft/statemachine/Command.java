package io.flashraft.statemachine;

import io.flashraft.protocol.Request;
import java.util.Objects;

/**
 * One client request as a log entry carries it.
 *
 * @param sessionId the client session it belongs to, or {@link #NO_SESSION} for requests that
 *                  need no exactly-once guarantee (the leader's own eviction deletes)
 * @param sequence  the request's sequence number within its session, from 1
 * @param request   the operation
 */
public record Command(long sessionId, long sequence, Request request) {
    /** The session id of a command that is not deduplicated. */
    public static final long NO_SESSION = 0;

    public Command {
        Objects.requireNonNull(request, "request");
        if (sessionId != NO_SESSION && sequence < 1) {
            throw new IllegalArgumentException("sequence " + sequence + " of session " + sessionId + " must be >= 1");
        }
    }
}
