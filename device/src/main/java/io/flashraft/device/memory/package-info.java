/**
 * The memory engine: every record version in RAM, made durable only by checkpoint images.
 *
 * <p>It owns the image file in the data directory and the rule that a restart shows exactly the
 * last image: nothing a checkpoint covered is lost, nothing after it appears (the Raft log
 * replays the rest). It must never read a clock: expiry and tombstone retention follow the
 * callers' time.
 */
package io.flashraft.device.memory;
