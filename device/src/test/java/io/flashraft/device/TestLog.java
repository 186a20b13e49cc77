package io.flashraft.device;

/**
 * Stands in for a group's Raft log in tests: hands out strictly increasing log indexes and a
 * "now" the test sets, as the leader would put them in each entry.
 */
public final class TestLog {
    /** A fixed start, so void times in failures are the same on every run. */
    public static final long START_MS = 1_700_000_000_000L;

    private final int group;
    private long lastIndex;
    private long nowMs = START_MS;

    public TestLog(int group) {
        this.group = group;
    }

    /** The context of the next entry: the next index, the current now; the stamp is the index. */
    public WriteContext next() {
        lastIndex++;
        return new WriteContext(group, lastIndex, nowMs, lastIndex);
    }

    /** The index of the last entry handed out. */
    public long lastIndex() {
        return lastIndex;
    }

    /** Continues after {@code index}, as a log whose earlier entries went elsewhere. */
    public void skipTo(long index) {
        if (index < lastIndex) {
            throw new IllegalArgumentException("log index " + index + " is behind " + lastIndex);
        }
        lastIndex = index;
    }

    public long nowMs() {
        return nowMs;
    }

    public void advanceMs(long ms) {
        nowMs += ms;
    }
}
