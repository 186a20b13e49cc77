package io.flashraft.statemachine;

/**
 * Settings of the replicated session table (documented in docs/configuration.md). They must be
 * the same on every node: they decide applied results.
 *
 * @param windowSize  replies kept per session: the most requests a client may have in flight
 *                    and still retry
 * @param idleMs      log time after its last use at which a session is forgotten; a client's
 *                    retries must stay inside it
 * @param maxSessions the most sessions a group keeps; past it the least recently used goes
 */
public record SessionConfig(int windowSize, long idleMs, int maxSessions) {
    /** 256 replies per session, 10 minutes idle, 100,000 sessions per group. */
    public static final SessionConfig DEFAULT = new SessionConfig(256, 600_000, 100_000);

    public SessionConfig {
        if (windowSize < 1 || idleMs < 1 || maxSessions < 1) {
            throw new IllegalArgumentException("session window, idle time and session count must be positive");
        }
    }
}
