/**
 * Devices as the store sees them: positional reads and writes and a sync, on a file or a raw
 * block device, optionally with O_DIRECT. Tests substitute devices that tear writes and lose
 * unsynced data.
 */
package io.flashraft.device.block;
