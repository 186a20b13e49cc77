package io.flashraft.statemachine;

import java.util.List;

/**
 * What one Raft log entry of a partition group carries: one or more commands, and the values the
 * leader chose before replication so that every replica applies them identically.
 *
 * @param nowMs    the leader's clock when it proposed the entry: the "now" of expiry and the base
 *                 of TTLs. Apply never lets it run backwards (a new leader's clock may lag)
 * @param stamp    the leader's hybrid-logical-clock stamp, the floor of the last-update stamps of
 *                 the versions the entry writes
 * @param commands the requests, applied in order
 */
public record LogEntry(long nowMs, long stamp, List<Command> commands) {
    /** The most commands one entry may carry: each takes a distinct store log index under it. */
    public static final int MAX_COMMANDS = 4096;

    public LogEntry {
        commands = List.copyOf(commands);
        if (commands.isEmpty() || commands.size() > MAX_COMMANDS) {
            throw new IllegalArgumentException("an entry carries 1.." + MAX_COMMANDS + " commands, got " + commands.size());
        }
    }
}
