/**
 * The RocksDB engine, the baseline the device engine must beat: one key per record (partition,
 * then digest, so a partition is a key range in digest order), the value a version in
 * {@link io.flashraft.device.format.RecordFormat}.
 *
 * <p>RocksDB's write-ahead log is off: the Raft log is the write-ahead log. A checkpoint writes
 * the checkpoint metadata and flushes the memtables, so everything it covers is in SST files.
 * It must never read a clock.
 */
package io.flashraft.device.rocks;
