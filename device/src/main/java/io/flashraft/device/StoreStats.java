package io.flashraft.device;

import java.util.Map;

/**
 * A store's counters and gauges.
 *
 * @param records        live records (expired ones not yet reclaimed included)
 * @param tombstones     tombstones held in the index
 * @param memoryUsedBytes bytes of RAM the engine attributes to records (index, or data in memory)
 * @param memoryLimitBytes the configured memory limit (0 = none)
 * @param diskUsedBytes  bytes of device or disk in use
 * @param diskCapacityBytes bytes of device or disk the store may use (0 = unknown)
 * @param stopWrites     whether a stop-writes mark is passed
 * @param engine         engine-specific counters (defrag, expiry, cold start...), by name
 */
public record StoreStats(long records, long tombstones, long memoryUsedBytes, long memoryLimitBytes,
                         long diskUsedBytes, long diskCapacityBytes, boolean stopWrites,
                         Map<String, Long> engine) {
    /** The larger of the shares of memory and disk in use, in percent; 0 when neither limit is known. */
    public double usedPercent() {
        double memory = memoryLimitBytes > 0 ? 100.0 * memoryUsedBytes / memoryLimitBytes : 0;
        double disk = diskCapacityBytes > 0 ? 100.0 * diskUsedBytes / diskCapacityBytes : 0;
        return Math.max(memory, disk);
    }
}
