package io.flashraft.consensus;

import io.flashraft.device.StoreConfig;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What every node must agree on about a namespace: its name, consistency mode, and the store
 * settings that decide applied results (the default TTL sets void times; the record size limit
 * decides RECORD_TOO_BIG). Devices, limits and tuning are each node's own.
 *
 * @param name               1..31 UTF-8 bytes
 * @param consistency        the consistency mode
 * @param defaultTtlSec      the TTL of writes that ask for the default (0 = never expire)
 * @param maxRecordSizeBytes the largest record a write may make
 */
public record NamespaceConfig(String name, Consistency consistency, long defaultTtlSec, int maxRecordSizeBytes) {
    /** Consistency modes. The available mode comes with its own issue. */
    public enum Consistency {
        /** Linearizable reads and writes; a minority refuses rather than answer stale. */
        STRONG
    }

    public NamespaceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(consistency, "consistency");
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < 1 || bytes > 31) {
            throw new IllegalArgumentException("namespace name must be 1..31 UTF-8 bytes: " + name);
        }
        if (defaultTtlSec < 0 || maxRecordSizeBytes < 1) {
            throw new IllegalArgumentException("namespace " + name + ": negative default TTL or record size");
        }
    }

    /** The shared settings of a namespace whose store this node configures so. */
    public static NamespaceConfig of(String name, StoreConfig store) {
        return new NamespaceConfig(name, Consistency.STRONG, store.defaultTtlSec(), store.maxRecordSizeBytes());
    }

    /** Whether a node's store of this namespace applies writes as every other node's does. */
    void check(StoreConfig store) {
        if (store.defaultTtlSec() != defaultTtlSec || store.maxRecordSizeBytes() != maxRecordSizeBytes) {
            throw new IllegalArgumentException("namespace " + name + ": this node's store has default TTL "
                    + store.defaultTtlSec() + " s and max record size " + store.maxRecordSizeBytes()
                    + " bytes, the cluster " + defaultTtlSec + " s and " + maxRecordSizeBytes + " bytes");
        }
    }
}
