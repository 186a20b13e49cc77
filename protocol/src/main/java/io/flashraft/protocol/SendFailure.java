package io.flashraft.protocol;

import java.io.IOException;

/**
 * A request that got no answer because its connection failed, and whether it had been sent:
 * one never sent did nothing (definite), a write that was sent may have been applied (in doubt).
 * Shared by the client's connections and the gateway's forwarding.
 */
public final class SendFailure extends IOException {
    private final boolean sent;

    private SendFailure(String message, Throwable cause, boolean sent) {
        super(message, cause);
        this.sent = sent;
    }

    /** The request never reached the peer. */
    public static SendFailure notSent(String message, Throwable cause) {
        return new SendFailure(message, cause, false);
    }

    /** The connection broke with the request sent (or queued to be). */
    public static SendFailure lost(String message) {
        return new SendFailure(message, null, true);
    }

    /** Whether the request may have reached the peer. */
    public boolean sent() {
        return sent;
    }
}
