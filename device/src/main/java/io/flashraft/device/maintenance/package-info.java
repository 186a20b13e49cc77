/**
 * The background loop that runs a store's maintenance pass (expiry reclaim, tombstone drop) on
 * a schedule. It only calls {@link io.flashraft.device.RecordStore#runMaintenance}; what a pass
 * does, and that it never changes a read result, is the engine's business.
 */
package io.flashraft.device.maintenance;
