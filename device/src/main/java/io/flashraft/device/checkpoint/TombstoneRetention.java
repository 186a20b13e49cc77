package io.flashraft.device.checkpoint;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Decides when a tombstone may be dropped: once a checkpoint of its group has covered it (so
 * no replay can reach the delete again) and the tombstone retention has passed since that
 * checkpoint, in the callers' time. Until then it keeps hiding older versions that a stale
 * snapshot or a lagging replica could still offer. Thread-safe.
 *
 * <p>It remembers a bounded history of checkpoints per group, in RAM only: after a restart
 * tombstones wait for a new checkpoint, which is late but never early.
 */
public final class TombstoneRetention {
    /** Bounds the history per group; past it the newest entry is replaced, which only delays. */
    static final int MAX_CHECKPOINTS_PER_GROUP = 64;

    private record Checkpoint(long appliedIndex, long atMs) {
    }

    private final long retentionMs;
    private final Map<Integer, ArrayDeque<Checkpoint>> checkpointsByGroup = new HashMap<>();

    /** @param retentionMs the least time, in the callers' time, a covered tombstone is kept */
    public TombstoneRetention(long retentionMs) {
        if (retentionMs < 0) {
            throw new IllegalArgumentException("negative tombstone retention " + retentionMs + " ms");
        }
        this.retentionMs = retentionMs;
    }

    /**
     * Notes a checkpoint of a group.
     *
     * @param atMs the callers' time when it was taken, or Long.MIN_VALUE when no write has told the
     *             store the time yet: such a checkpoint cannot start a retention period
     */
    public synchronized void checkpointed(int group, long appliedIndex, long atMs) {
        if (atMs == Long.MIN_VALUE) {
            return;
        }
        ArrayDeque<Checkpoint> history = checkpointsByGroup.computeIfAbsent(group, g -> new ArrayDeque<>());
        if (!history.isEmpty() && history.peekLast().appliedIndex() >= appliedIndex) {
            // The earlier checkpoint already covers as much and started its retention sooner.
            return;
        }
        if (history.size() == MAX_CHECKPOINTS_PER_GROUP) {
            history.pollLast();
        }
        history.addLast(new Checkpoint(appliedIndex, atMs));
    }

    /**
     * Per group, the highest log index at or below which tombstones may be dropped at
     * {@code nowMs}; groups with none are absent.
     */
    public synchronized Map<Integer, Long> droppableIndexes(long nowMs) {
        Map<Integer, Long> droppable = new HashMap<>();
        checkpointsByGroup.forEach((group, history) -> {
            // Only the newest checkpoint past its retention matters; older ones can go.
            Checkpoint newestRetained = null;
            while (!history.isEmpty() && retentionPassed(history.peekFirst(), nowMs)) {
                newestRetained = history.pollFirst();
            }
            if (newestRetained != null) {
                history.addFirst(newestRetained);
                droppable.put(group, newestRetained.appliedIndex());
            }
        });
        return droppable;
    }

    private boolean retentionPassed(Checkpoint checkpoint, long nowMs) {
        return nowMs >= checkpoint.atMs() && nowMs - checkpoint.atMs() >= retentionMs;
    }
}
