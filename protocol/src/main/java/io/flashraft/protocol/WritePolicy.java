package io.flashraft.protocol;

/**
 * The conditions and expiry of a write.
 *
 * @param existsAction       how the write treats an existing or missing record
 * @param expectedGeneration 0 for any; otherwise the write applies only if the record exists with
 *                           exactly this generation (compare-and-set), else GENERATION_MISMATCH
 * @param ttlSec             seconds to live from the write's "now"; or {@link #TTL_DEFAULT},
 *                           {@link #TTL_NEVER}, {@link #TTL_UNCHANGED}
 */
public record WritePolicy(RecordExistsAction existsAction, int expectedGeneration, long ttlSec) {
    /** Use the store's default TTL. */
    public static final long TTL_DEFAULT = 0;
    /** Never expire. */
    public static final long TTL_NEVER = -1;
    /** Keep the record's current void time (the default TTL for a new record). */
    public static final long TTL_UNCHANGED = -2;

    /** Upsert, any generation, the default TTL. */
    public static final WritePolicy DEFAULT = new WritePolicy(RecordExistsAction.UPSERT, 0, TTL_DEFAULT);

    public WritePolicy {
        if (existsAction == null) {
            throw new IllegalArgumentException("existsAction is required");
        }
        if (expectedGeneration < 0) {
            throw new IllegalArgumentException("negative expected generation " + expectedGeneration);
        }
        if (ttlSec < TTL_UNCHANGED || ttlSec > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("ttl " + ttlSec + " outside -2..2^32-1");
        }
    }

    /** The default policy with another exists action. */
    public static WritePolicy of(RecordExistsAction action) {
        return new WritePolicy(action, 0, TTL_DEFAULT);
    }

    /** This policy with a generation check. */
    public WritePolicy withExpectedGeneration(int generation) {
        return new WritePolicy(existsAction, generation, ttlSec);
    }

    /** This policy with a TTL. */
    public WritePolicy withTtlSec(long ttl) {
        return new WritePolicy(existsAction, expectedGeneration, ttl);
    }
}
