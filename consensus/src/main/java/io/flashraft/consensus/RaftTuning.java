package io.flashraft.consensus;

/**
 * The Ratis settings a node chooses (documented in docs/configuration.md).
 *
 * @param electionTimeoutMinMs  the shortest election timeout: seconds on 2 shared cores, where
 *                              GC and CPU contention stretch heartbeats well past Ratis' 150 ms
 * @param electionTimeoutMaxMs  the longest election timeout
 * @param snapshotEveryEntries  a group snapshots (checkpoints its store) after this many
 *                              entries, and purges its log behind the snapshot
 * @param faultRetryMs          how often a group that cannot apply an entry tries it again
 * @param logSegmentBytes       the size at which a group's log segment is closed; the log is
 *                              purged a whole closed segment at a time
 * @param leaderBalanceIntervalMs how often a leader checks whether its group's preferred leader
 *                              is back and hands leadership to it
 * @param logDiskReserveBytes   a leader refuses new writes (DEVICE_FULL, before proposing) while
 *                              the disk of its Raft log has less free space than this, so the
 *                              log never meets a full disk in normal operation
 * @param proposalLingerUs      how long at most a busy group's next log entry waits, once the
 *                              entry before it is applied, for more writes to join it (0: not at
 *                              all); see {@link ProposalBatcher}
 */
public record RaftTuning(long electionTimeoutMinMs, long electionTimeoutMaxMs, long snapshotEveryEntries,
                         long faultRetryMs, long logSegmentBytes, long leaderBalanceIntervalMs,
                         long logDiskReserveBytes, long proposalLingerUs) {
    /**
     * 3-6 s elections, a snapshot every 100,000 entries, retry a fault every second,
     * 32 MiB segments, leader balance every 10 s, 256 MiB kept free on the log disk, a busy
     * group's next entry lingers up to 5 ms.
     */
    public static final RaftTuning DEFAULT = new RaftTuning(3_000, 6_000, 100_000, 1_000, 32L << 20, 10_000,
            256L << 20, 5_000);

    public RaftTuning {
        if (electionTimeoutMinMs < 100 || electionTimeoutMaxMs <= electionTimeoutMinMs) {
            throw new IllegalArgumentException("election timeouts need 100 <= min < max, got "
                    + electionTimeoutMinMs + ".." + electionTimeoutMaxMs);
        }
        if (snapshotEveryEntries < 1 || faultRetryMs < 1 || leaderBalanceIntervalMs < 1) {
            throw new IllegalArgumentException("snapshot interval, fault retry and leader balance interval must be positive");
        }
        if (logDiskReserveBytes < 0 || proposalLingerUs < 0) {
            throw new IllegalArgumentException("negative log disk reserve " + logDiskReserveBytes
                    + " or proposal linger " + proposalLingerUs);
        }
        if (logSegmentBytes < 16 << 10) {
            throw new IllegalArgumentException("log segments need at least 16 KiB, got " + logSegmentBytes);
        }
    }
}
