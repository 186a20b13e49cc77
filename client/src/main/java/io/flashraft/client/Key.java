package io.flashraft.client;

import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Value;
import java.util.Objects;

/**
 * A record's address: namespace, set and user key. Only the digest of set and key travels
 * (docs/protocol.md, section 6); the set name travels with writes so the record keeps it.
 */
public record Key(String namespace, String set, Value userKey) {
    public Key {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(set, "set");
        Objects.requireNonNull(userKey, "userKey");
    }

    public static Key of(String namespace, String set, String userKey) {
        return new Key(namespace, set, Value.of(userKey));
    }

    public static Key of(String namespace, String set, long userKey) {
        return new Key(namespace, set, Value.of(userKey));
    }

    public static Key of(String namespace, String set, byte[] userKey) {
        return new Key(namespace, set, Value.of(userKey));
    }

    /** The digest every client computes the same way. */
    public Digest digest() {
        return KeyDigest.of(set, userKey);
    }
}
