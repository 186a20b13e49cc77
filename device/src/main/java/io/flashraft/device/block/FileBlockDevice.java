package io.flashraft.device.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link BlockDevice} on a regular file or a raw block device (such as {@code /dev/loop0} or an
 * NVMe namespace), with positional reads and writes and, optionally, O_DIRECT.
 *
 * <p>With direct I/O, the kernel requires buffer addresses, offsets and lengths aligned to the
 * device's logical block size; this class aligns reads itself (reading the covering aligned range
 * into a per-thread aligned buffer) and requires writes to be aligned, which whole write blocks are.
 */
public final class FileBlockDevice implements BlockDevice {
    /** Alignment used for direct I/O: covers 512-byte and 4 KiB logical blocks. */
    public static final int DIRECT_ALIGNMENT = 4096;

    private final Path path;
    private final FileChannel channel;
    /** An O_DIRECT channel for block scans, or the main channel where O_DIRECT is refused. */
    private final FileChannel scanChannel;
    private final long sizeBytes;
    private final boolean direct;
    private final ThreadLocal<ByteBuffer> alignedReadBuffer;

    private FileBlockDevice(Path path, FileChannel channel, FileChannel scanChannel, long sizeBytes, boolean direct) {
        this.path = path;
        this.channel = channel;
        this.scanChannel = scanChannel;
        this.sizeBytes = sizeBytes;
        this.direct = direct;
        this.alignedReadBuffer = ThreadLocal.withInitial(() -> alignedBuffer(256 * 1024));
    }

    /**
     * Opens a device. A regular file is created and sized to {@code sizeBytes} if it does not
     * exist; an existing file or block device is used at {@code sizeBytes}, or at its whole size
     * when {@code sizeBytes} is 0.
     *
     * @throws IOException if it cannot be opened, is smaller than asked, or direct I/O is refused
     */
    public static FileBlockDevice open(Path path, long sizeBytes, boolean directIo) throws IOException {
        boolean blockDevice = isBlockDevice(path);
        if (!blockDevice && !Files.exists(path)) {
            if (sizeBytes <= 0) {
                throw new IOException("device file " + path + " does not exist and no device-size-bytes is set");
            }
            Files.createDirectories(path.toAbsolutePath().getParent());
        }
        List<OpenOption> options = new ArrayList<>(List.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
        if (!blockDevice) {
            options.add(StandardOpenOption.CREATE);
        }
        if (directIo) {
            options.add(com.sun.nio.file.ExtendedOpenOption.DIRECT);
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, options.toArray(new OpenOption[0]));
        } catch (IOException | UnsupportedOperationException e) {
            throw new IOException("cannot open " + path + (directIo ? " with O_DIRECT" : "") + ": " + e.getMessage(), e);
        }
        try {
            long actual = blockDevice ? blockDeviceSize(path) : channel.size();
            long size = sizeBytes > 0 ? sizeBytes : actual;
            if (blockDevice && size > actual) {
                throw new IOException("block device " + path + " has " + actual + " bytes, less than the "
                        + size + " configured");
            }
            if (!blockDevice && actual < size) {
                // One byte at the end sizes the file. O_DIRECT refuses a write that small, so it
                // goes through a buffered channel of its own.
                try (FileChannel sizing = FileChannel.open(path, StandardOpenOption.WRITE)) {
                    sizing.write(ByteBuffer.wrap(new byte[1]), size - 1);
                }
            }
            if (size <= 0) {
                throw new IOException("device " + path + " is empty");
            }
            return new FileBlockDevice(path, channel, directIo ? channel : openScanChannel(path, channel), size, directIo);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static FileChannel openScanChannel(Path path, FileChannel fallback) {
        try {
            return FileChannel.open(path, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            // A file system without O_DIRECT (tmpfs): scans go through the page cache.
            return fallback;
        }
    }

    /** Whether the path names a block device (not a regular file). */
    public static boolean isBlockDevice(Path path) {
        return Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path);
    }

    /** A block device's size from sysfs: the JDK reports 0 for block devices. */
    private static long blockDeviceSize(Path path) throws IOException {
        Path real = path.toRealPath();
        Path sysSize = Path.of("/sys/class/block", real.getFileName().toString(), "size");
        if (!Files.exists(sysSize)) {
            throw new IOException("cannot find the size of block device " + path + " (no " + sysSize + ")");
        }
        return Long.parseLong(Files.readString(sysSize).trim()) * 512;
    }

    /** A direct buffer whose address is aligned for O_DIRECT. */
    public static ByteBuffer alignedBuffer(int capacity) {
        // The slice has exactly this capacity, so clear() can never grow it past what was asked.
        return ByteBuffer.allocateDirect(capacity + DIRECT_ALIGNMENT).alignedSlice(DIRECT_ALIGNMENT)
                .limit(capacity).slice();
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining());
        if (!direct) {
            readFully(offset, dst);
            return;
        }
        long start = offset & -DIRECT_ALIGNMENT;
        long end = (offset + dst.remaining() + DIRECT_ALIGNMENT - 1) & -DIRECT_ALIGNMENT;
        int span = (int) (end - start);
        ByteBuffer aligned = alignedReadBuffer.get();
        if (aligned.capacity() < span) {
            aligned = alignedBuffer(Integer.highestOneBit(span) << 1);
            alignedReadBuffer.set(aligned);
        }
        aligned.clear().limit(span);
        readFully(start, aligned);
        aligned.flip().position((int) (offset - start)).limit((int) (offset - start) + dst.remaining());
        dst.put(aligned);
    }

    private void readFully(long offset, ByteBuffer dst) throws IOException {
        readFully(channel, offset, dst);
    }

    private void readFully(FileChannel from, long offset, ByteBuffer dst) throws IOException {
        long position = offset;
        while (dst.hasRemaining()) {
            int n = from.read(dst, position);
            if (n < 0) {
                throw new IOException("unexpected end of " + path + " at " + position);
            }
            position += n;
        }
    }

    @Override
    public void readBlock(long offset, ByteBuffer dst) throws IOException {
        checkRange(offset, dst.remaining());
        if (scanChannel == channel) {
            read(offset, dst);
        } else {
            readFully(scanChannel, offset, dst);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        checkRange(offset, src.remaining());
        long position = offset;
        while (src.hasRemaining()) {
            position += channel.write(src, position);
        }
    }

    @Override
    public void sync() throws IOException {
        channel.force(false);
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public void close() throws IOException {
        try (FileChannel closedAfter = channel) {
            if (scanChannel != channel) {
                scanChannel.close();
            }
        }
    }

    private void checkRange(long offset, int length) throws IOException {
        if (offset < 0 || offset + length > sizeBytes) {
            throw new IOException("I/O at [" + offset + ", +" + length + ") outside " + path + " of " + sizeBytes
                    + " bytes");
        }
    }
}
