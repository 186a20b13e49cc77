/**
 * The device engine, after Aerospike's SSD storage: record versions appended to write blocks
 * on files or raw block devices ({@link io.flashraft.device.flash.WriteBlocks}), a RAM primary
 * index, the defragmenter, expiry reclaim, tomb raids, checkpoints ({@code store.meta}) and cold
 * start. {@link io.flashraft.device.flash.DeviceStore} is its only public class.
 *
 * <p>It must never update a record in place, never reuse a block before a checkpoint has made
 * its replacement durable, and never drop a tombstone while an older version could come back.
 */
package io.flashraft.device.flash;
