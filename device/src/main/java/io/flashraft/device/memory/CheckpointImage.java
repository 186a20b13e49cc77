package io.flashraft.device.memory;

import io.flashraft.device.RecordVersion;
import io.flashraft.device.StoreConfig;
import io.flashraft.device.checkpoint.CheckpointMetadata;
import io.flashraft.device.format.RecordFormat;
import io.flashraft.protocol.DecodeException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The memory engine's checkpoint image: one file holding every version and the checkpoint
 * metadata, replaced atomically.
 *
 * <pre>
 *  0  magic (u32) = 0xF1A5_1A6E
 *  4  format version (u8) = {@value #FORMAT_VERSION} | reserved (3 bytes, zero)
 *  8  metadata length (u32) | metadata ({@link CheckpointMetadata} encoding)
 *  .. version count (u64)
 *  .. per version: length (u32) | the version in {@link RecordFormat}, padded
 *  .. crc32c (u32) of every byte before it
 * </pre>
 * Big-endian. Each version also carries its own RecordFormat checksum. A new image is written
 * to a temporary file, fsynced, renamed over the old one and the directory fsynced, so the
 * file is always either the old image or the new one.
 */
final class CheckpointImage {
    static final int MAGIC = 0xF1A5_1A6E;
    static final int FORMAT_VERSION = 1;
    private static final int HEADER_BYTES = 8;
    private static final int MAX_VERSION_BYTES = StoreConfig.MAX_WRITE_BLOCK_BYTES + RecordFormat.ALIGNMENT;
    private static final int BUFFER_BYTES = 1 << 16;

    /** What an image holds. */
    record Contents(CheckpointMetadata metadata, List<RecordVersion> versions) {
    }

    private final Path file;
    private final Path temporaryFile;

    CheckpointImage(Path file) {
        this.file = file;
        this.temporaryFile = file.resolveSibling(file.getFileName() + ".tmp");
    }

    Path file() {
        return file;
    }

    /** The image's size in bytes, 0 if there is none. */
    long sizeBytes() {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat checkpoint image " + file, e);
        }
    }

    /**
     * Reads the image, or returns null if there is none yet. A temporary file left by a crash
     * during a write was never the image, so it is deleted.
     *
     * @throws CorruptImageException if the image is torn or corrupt
     */
    Contents load() {
        try {
            Files.deleteIfExists(temporaryFile);
            if (!Files.exists(file)) {
                return null;
            }
            long fileBytes = Files.size(file);
            try (InputStream raw = Files.newInputStream(file)) {
                return read(raw, fileBytes);
            }
        } catch (EOFException e) {
            throw new CorruptImageException(file, "it ends early (torn write?)", e);
        } catch (DecodeException e) {
            throw new CorruptImageException(file, e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint image " + file, e);
        }
    }

    /**
     * Replaces the image durably.
     *
     * @return the bytes written
     */
    long write(CheckpointMetadata metadata, List<RecordVersion> versions) {
        try {
            try (FileChannel channel = FileChannel.open(temporaryFile, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                CheckedOutputStream checked = new CheckedOutputStream(
                        new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES), new CRC32C());
                DataOutputStream out = new DataOutputStream(checked);
                out.writeInt(MAGIC);
                out.writeInt(FORMAT_VERSION << 24);
                byte[] encodedMetadata = metadata.toBytes();
                out.writeInt(encodedMetadata.length);
                out.write(encodedMetadata);
                out.writeLong(versions.size());
                for (RecordVersion version : versions) {
                    byte[] encoded = RecordFormat.toBytes(version);
                    out.writeInt(encoded.length);
                    out.write(encoded);
                }
                out.writeInt((int) checked.getChecksum().getValue());
                out.flush();
                channel.force(true);
            }
            Files.move(temporaryFile, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                directory.force(true);
            }
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint image " + file, e);
        }
    }

    private Contents read(InputStream raw, long fileBytes) throws IOException {
        CheckedInputStream checked = new CheckedInputStream(new BufferedInputStream(raw, BUFFER_BYTES), new CRC32C());
        DataInputStream in = new DataInputStream(checked);
        if (in.readInt() != MAGIC) {
            throw new DecodeException("bad magic");
        }
        int version = in.readInt() >>> 24;
        if (version != FORMAT_VERSION) {
            throw new DecodeException("format version " + version + ", expected " + FORMAT_VERSION);
        }
        int metadataBytes = in.readInt();
        if (metadataBytes < 0 || metadataBytes > fileBytes - HEADER_BYTES) {
            throw new DecodeException("metadata length " + metadataBytes + " does not fit in " + fileBytes + " bytes");
        }
        byte[] encodedMetadata = new byte[metadataBytes];
        in.readFully(encodedMetadata);
        CheckpointMetadata metadata = CheckpointMetadata.fromBytes(encodedMetadata);
        long count = in.readLong();
        if (count < 0 || count > fileBytes / (Integer.BYTES + RecordFormat.HEADER_LENGTH)) {
            throw new DecodeException("version count " + count + " does not fit in " + fileBytes + " bytes");
        }
        List<RecordVersion> versions = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            int length = in.readInt();
            if (length < RecordFormat.HEADER_LENGTH || length > MAX_VERSION_BYTES) {
                throw new DecodeException("version " + i + " has length " + length);
            }
            byte[] encoded = new byte[length];
            in.readFully(encoded);
            versions.add(RecordFormat.fromBytes(encoded));
        }
        int computed = (int) checked.getChecksum().getValue();
        int stored = in.readInt();
        if (stored != computed) {
            throw new DecodeException(String.format("crc32c %08x, but the image holds %08x", computed, stored));
        }
        if (in.read() != -1) {
            throw new DecodeException("bytes after the checksum");
        }
        return new Contents(metadata, versions);
    }
}
