package io.flashraft.device.flash;

import io.flashraft.device.RecordVersion;
import io.flashraft.device.block.FaultyBlockDevice;
import io.flashraft.device.format.RecordFormat;
import io.flashraft.protocol.Digest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Finds the valid record versions on a single-device test disk, where corruption tests aim. */
final class DiskRecords {
    /** One valid version: its store block, offset in the block, length, and place on the disk. */
    record Found(int block, int offset, int length, long diskOffset, RecordVersion version) {
        Digest digest() {
            return version.digest();
        }
    }

    private DiskRecords() {
    }

    /** Every valid record on the disk, in block then offset order (block 0 is the device header). */
    static List<Found> scan(FaultyBlockDevice disk, int writeBlockSizeBytes) {
        List<Found> found = new ArrayList<>();
        int blocks = (int) (disk.sizeBytes() / writeBlockSizeBytes) - 1;
        for (int block = 0; block < blocks; block++) {
            long blockOffset = (long) (block + 1) * writeBlockSizeBytes;
            ByteBuffer bytes = ByteBuffer.wrap(disk.copy(blockOffset, writeBlockSizeBytes));
            for (int pos = 0; pos + RecordFormat.HEADER_LENGTH <= writeBlockSizeBytes; ) {
                int length = RecordFormat.validLength(bytes, pos, writeBlockSizeBytes);
                if (length < 0) {
                    pos += RecordFormat.ALIGNMENT;
                    continue;
                }
                found.add(new Found(block, pos, length, blockOffset + pos, RecordFormat.decode(bytes, pos, length)));
                pos += RecordFormat.paddedLength(length);
            }
        }
        return found;
    }
}
