package io.flashraft.consensus;

import java.util.List;

/**
 * What a node's attempt to run requests on a group came to.
 *
 * @param status  the outcome class
 * @param replies for OK: the encoded reply of each command (one for a read)
 * @param leader  for NOT_LEADER (and IN_DOUBT after a leader stepped down): the node id of the
 *                group's leader if known, else null
 * @param reason  for the failures: why, for logs and error messages
 */
public record GroupResult(Status status, List<byte[]> replies, String leader, String reason) {
    /** Outcome classes. Only IN_DOUBT leaves a write's fate unknown. */
    public enum Status {
        /** Applied (writes) or answered (reads). */
        OK,
        /** This node does not lead the group, and nothing was proposed: definite. */
        NOT_LEADER,
        /** Refused before proposing: the store passed its stop-writes mark. Definite. */
        DEVICE_FULL,
        /** Refused before proposing, or a read that could not be served: definite. */
        UNAVAILABLE,
        /** Proposed, but the outcome was not learned (leader lost, timeout): the write may apply. */
        IN_DOUBT
    }

    public GroupResult {
        replies = replies == null ? List.of() : List.copyOf(replies);
    }

    static GroupResult ok(List<byte[]> replies) {
        return new GroupResult(Status.OK, replies, null, null);
    }

    static GroupResult notLeader(String leader) {
        return new GroupResult(Status.NOT_LEADER, null, leader, "not the leader");
    }

    static GroupResult failed(Status status, String reason) {
        return new GroupResult(status, null, null, reason);
    }

    public boolean ok() {
        return status == Status.OK;
    }
}
