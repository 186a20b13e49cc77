package io.flashraft.device.flash;

import io.flashraft.device.format.RecordFormat;

/**
 * A record version's place on the devices, packed in one {@code long} for the index:
 * block id (24 bits) | offset in the block / 16 (20 bits) | padded size / 16 (20 bits).
 * Write blocks of up to 8 MiB and up to 2^24 of them fit.
 */
final class Location {
    static final int MAX_BLOCKS = 1 << 24;

    private Location() {
    }

    static long pack(int block, int offset, int paddedSize) {
        return ((long) block << 40) | ((long) (offset / RecordFormat.ALIGNMENT) << 20)
                | (paddedSize / RecordFormat.ALIGNMENT);
    }

    static int block(long location) {
        return (int) (location >>> 40);
    }

    static int offset(long location) {
        return (int) ((location >>> 20) & 0xFFFFF) * RecordFormat.ALIGNMENT;
    }

    static int paddedSize(long location) {
        return (int) (location & 0xFFFFF) * RecordFormat.ALIGNMENT;
    }
}
