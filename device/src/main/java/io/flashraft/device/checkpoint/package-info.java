/**
 * What a store records at a checkpoint besides its records, shared by the memory and RocksDB
 * engines: each group's checkpointed applied index, the truncate markers that keep truncated
 * records from coming back, and the rule for when a tombstone may be dropped.
 *
 * <p>Nothing here reads a clock: every time is the callers' time, as the log entries carry it.
 */
package io.flashraft.device.checkpoint;
