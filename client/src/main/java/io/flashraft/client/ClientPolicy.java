package io.flashraft.client;

/**
 * How a client connects, waits and retries.
 *
 * @param connectTimeoutMs   how long opening a connection may take
 * @param attemptTimeoutMs   the time limit of one attempt, sent to the node with the request
 * @param totalTimeoutMs     the time an operation may take with all its retries; it stays well
 *                           inside the nodes' session idle time (10 minutes by default), so a
 *                           retried write is still recognised and applied once
 * @param retryBackoffMs     the first pause before retrying a group that has no leader or is
 *                           overloaded; it doubles up to {@code 16 * retryBackoffMs}
 * @param connectionsPerNode connections kept to each node (requests are pipelined on each)
 * @param maxInFlight        operations the client has outstanding at once; more fail at once
 *                           with OVERLOADED instead of queueing without bound
 */
public record ClientPolicy(int connectTimeoutMs, int attemptTimeoutMs, int totalTimeoutMs, int retryBackoffMs,
                           int connectionsPerNode, int maxInFlight) {
    /** The longest total time allowed: half the nodes' default session idle time. */
    public static final int MAX_TOTAL_TIMEOUT_MS = 300_000;
    public static final ClientPolicy DEFAULT = new ClientPolicy(2_000, 5_000, 30_000, 20, 2, 256);

    public ClientPolicy {
        if (connectTimeoutMs < 1 || attemptTimeoutMs < 1 || attemptTimeoutMs > 120_000 || retryBackoffMs < 1) {
            throw new IllegalArgumentException("timeouts must be positive (an attempt at most 120000 ms)");
        }
        if (totalTimeoutMs < attemptTimeoutMs || totalTimeoutMs > MAX_TOTAL_TIMEOUT_MS) {
            throw new IllegalArgumentException("totalTimeoutMs must be in attemptTimeoutMs.." + MAX_TOTAL_TIMEOUT_MS
                    + ", got " + totalTimeoutMs);
        }
        if (connectionsPerNode < 1 || connectionsPerNode > 64 || maxInFlight < 1 || maxInFlight > 256) {
            throw new IllegalArgumentException("connectionsPerNode must be 1..64 and maxInFlight 1..256 (the nodes keep"
                    + " the replies of a session's last 256 writes)");
        }
    }

    public ClientPolicy withTimeouts(int attemptMs, int totalMs) {
        return new ClientPolicy(connectTimeoutMs, attemptMs, totalMs, retryBackoffMs, connectionsPerNode, maxInFlight);
    }
}
