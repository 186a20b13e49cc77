/**
 * The RAM primary index: compact per-partition tables of primitive ints, no object per
 * record. It knows nothing of devices or locking: its caller holds the partition's lock.
 */
package io.flashraft.device.index;
