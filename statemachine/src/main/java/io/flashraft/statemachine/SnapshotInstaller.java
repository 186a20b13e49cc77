package io.flashraft.statemachine;

import io.flashraft.device.RecordVersion;
import java.util.concurrent.CompletableFuture;

/**
 * Fetches a group's state from its leader to rebuild this replica, when Ratis says the leader no
 * longer has the log entries it needs (it fell behind the purged log, or its data was wiped).
 * The node supplies it: the state travels over the peers' gateway port.
 */
@FunctionalInterface
public interface SnapshotInstaller {
    /**
     * Streams the leader's {@link GroupExport} of a group into {@code target}, in order: one
     * {@code begin}, the versions, one {@code finish}.
     *
     * @param leaderNodeId the node that leads the group
     * @param group        the group
     * @return the index installed, once {@code finish} returned
     */
    CompletableFuture<Long> install(String leaderNodeId, int group, Target target);

    /** Where the streamed state goes: the replica's stores and snapshot. */
    interface Target {
        /** Forgets everything this replica holds of the group's partitions. */
        void begin();

        /** Takes one version of a namespace's record unchanged. */
        void accept(String namespace, RecordVersion version);

        /** Records the clock and session table, checkpoints the stores, writes the snapshot. */
        void finish(long term, long index, byte[] state);
    }
}
