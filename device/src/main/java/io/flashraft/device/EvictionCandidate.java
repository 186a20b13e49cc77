package io.flashraft.device;

import io.flashraft.protocol.Digest;

/**
 * A record the leader may evict: it proposes a delete of it with this generation, so that a
 * record rewritten in the meantime is spared and a replayed delete changes nothing.
 *
 * @param digest      the record
 * @param generation  its generation when chosen
 * @param voidTimeSec when it expires
 */
public record EvictionCandidate(Digest digest, int generation, long voidTimeSec) {
}
