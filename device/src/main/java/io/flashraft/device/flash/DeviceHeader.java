package io.flashraft.device.flash;

import io.flashraft.device.block.BlockDevice;
import io.flashraft.device.block.FileBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The header in the first 4 KiB of every device (block 0 is never used for records):
 *
 * <pre>
 *  0  magic "FLSHRAFT" (8 bytes)
 *  8  on-device format version u32
 * 12  write block size u32
 * 16  device index u32 | device count u32
 * 24  store id (2 x u64)
 * 40  crc32c u32 over bytes 0..39
 * </pre>
 *
 * A device whose first 8 bytes are not the magic is blank and gets a new header. A header with a
 * newer or unknown format version, another write block size, or another store's id refuses to
 * open, with a message naming the device.
 */
final class DeviceHeader {
    static final long MAGIC = 0x464C534852414654L;
    static final int FORMAT_VERSION = 1;
    private static final int LENGTH = FileBlockDevice.DIRECT_ALIGNMENT;
    private static final int CRC_OFFSET = 40;

    private DeviceHeader() {
    }

    /**
     * Reads a device's header.
     *
     * @return the store id it names, or null if the device is blank
     * @throws IOException if the header is of another format, block size or layout, or corrupt
     */
    static UUID read(BlockDevice device, int index, int count, int writeBlockSizeBytes) throws IOException {
        ByteBuffer b = FileBlockDevice.alignedBuffer(LENGTH);
        device.read(0, b);
        b.flip();
        if (b.getLong(0) != MAGIC) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(0).limit(CRC_OFFSET));
        if ((int) crc.getValue() != b.getInt(CRC_OFFSET)) {
            throw new IOException("device " + device.name() + " has a corrupt header (checksum mismatch)");
        }
        int version = b.getInt(8);
        if (version != FORMAT_VERSION) {
            throw new IOException("device " + device.name() + " has on-device format version " + version
                    + "; this build reads version " + FORMAT_VERSION + " only and will not touch it");
        }
        int blockSize = b.getInt(12);
        if (blockSize != writeBlockSizeBytes) {
            throw new IOException("device " + device.name() + " was formatted with write blocks of " + blockSize
                    + " bytes, but write-block-size-bytes is " + writeBlockSizeBytes);
        }
        if (b.getInt(16) != index || b.getInt(20) != count) {
            throw new IOException("device " + device.name() + " is device " + b.getInt(16) + " of " + b.getInt(20)
                    + ", but is configured as device " + index + " of " + count);
        }
        return new UUID(b.getLong(24), b.getLong(32));
    }

    /** Writes and syncs a header. */
    static void write(BlockDevice device, int index, int count, int writeBlockSizeBytes, UUID storeId)
            throws IOException {
        ByteBuffer b = FileBlockDevice.alignedBuffer(LENGTH);
        b.putLong(0, MAGIC);
        b.putInt(8, FORMAT_VERSION);
        b.putInt(12, writeBlockSizeBytes);
        b.putInt(16, index);
        b.putInt(20, count);
        b.putLong(24, storeId.getMostSignificantBits());
        b.putLong(32, storeId.getLeastSignificantBits());
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(0).limit(CRC_OFFSET));
        b.putInt(CRC_OFFSET, (int) crc.getValue());
        b.position(0).limit(LENGTH);
        device.write(0, b);
        device.sync();
    }
}
