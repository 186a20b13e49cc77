package io.flashraft.device.flash;

import io.flashraft.protocol.Partitions;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * What a device store keeps beside its devices, in {@code store.meta} under the data directory,
 * replaced atomically (temp file, fsync, rename, fsync of the directory) at every checkpoint:
 *
 * <pre>
 * magic u32 | version u32 | store id (2 x u64) | next block sequence u64
 * groups:    count u32, (group u32, checkpointed applied index u64)*
 * drops:     count u32, (partition u16, drop sequence u64)*       versions in blocks of an older
 *                                                                  sequence are not loaded
 * truncates: count u32, (set (u8 length + UTF-8), group u16, log index u64, partitions 512 bytes)*
 * freed:     count u32, (block u32, freed sequence u64)*          records of that use or older
 *                                                                  are leftovers
 * sizes:     4096 x u32: index entries of each partition when written, so that cold start
 *            sizes each partition's table once instead of growing it (a hint, never trusted
 *            for correctness)
 * crc32c u32 over everything before it
 * </pre>
 */
final class StoreMetadata {
    static final String FILE_NAME = "store.meta";
    private static final int MAGIC = 0x464D4554;
    static final int VERSION = 1;

    /** A truncate of a set in some partitions: versions below the log index are gone. */
    record TruncateMarker(String set, int group, long logIndex, BitSet partitions) {
        boolean hides(String recordSet, int partition, int recordGroup, long recordLogIndex) {
            return set.equals(recordSet) && partitions.get(partition) && group == recordGroup
                    && recordLogIndex < logIndex;
        }
    }

    final UUID storeId;
    long nextSequence;
    final Map<Integer, Long> groupIndexes = new TreeMap<>();
    final long[] dropSequence = new long[Partitions.COUNT];
    final List<TruncateMarker> truncates = new ArrayList<>();
    final Map<Integer, Long> freed = new TreeMap<>();
    final int[] partitionEntries = new int[Partitions.COUNT];

    StoreMetadata(UUID storeId) {
        this.storeId = storeId;
    }

    /** The metadata in a data directory, or null if there is none. */
    static StoreMetadata load(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 8) {
            throw new IOException(file + " is truncated (" + bytes.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) {
            throw new IOException(file + " is corrupt: checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes, 0, bytes.length - 4));
        if (in.readInt() != MAGIC) {
            throw new IOException(file + " is not a FlashRaft store metadata file");
        }
        int version = in.readInt();
        if (version != VERSION) {
            throw new IOException(file + " has metadata format version " + version + "; this build reads version "
                    + VERSION);
        }
        StoreMetadata meta = new StoreMetadata(new UUID(in.readLong(), in.readLong()));
        meta.nextSequence = in.readLong();
        for (int i = in.readInt(); i > 0; i--) {
            meta.groupIndexes.put(in.readInt(), in.readLong());
        }
        for (int i = in.readInt(); i > 0; i--) {
            meta.dropSequence[in.readUnsignedShort() % Partitions.COUNT] = in.readLong();
        }
        for (int i = in.readInt(); i > 0; i--) {
            byte[] set = new byte[in.readUnsignedByte()];
            in.readFully(set);
            int group = in.readUnsignedShort();
            long logIndex = in.readLong();
            byte[] partitions = new byte[Partitions.COUNT / 8];
            in.readFully(partitions);
            meta.truncates.add(new TruncateMarker(new String(set, StandardCharsets.UTF_8), group, logIndex,
                    BitSet.valueOf(partitions)));
        }
        for (int i = in.readInt(); i > 0; i--) {
            meta.freed.put(in.readInt(), in.readLong());
        }
        for (int p = 0; p < Partitions.COUNT; p++) {
            meta.partitionEntries[p] = in.readInt();
        }
        return meta;
    }

    /** Writes the metadata durably and atomically. */
    void store(Path dataDir) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(storeId.getMostSignificantBits());
        out.writeLong(storeId.getLeastSignificantBits());
        out.writeLong(nextSequence);
        out.writeInt(groupIndexes.size());
        for (Map.Entry<Integer, Long> e : groupIndexes.entrySet()) {
            out.writeInt(e.getKey());
            out.writeLong(e.getValue());
        }
        int drops = 0;
        for (long seq : dropSequence) {
            drops += seq != 0 ? 1 : 0;
        }
        out.writeInt(drops);
        for (int p = 0; p < dropSequence.length; p++) {
            if (dropSequence[p] != 0) {
                out.writeShort(p);
                out.writeLong(dropSequence[p]);
            }
        }
        out.writeInt(truncates.size());
        for (TruncateMarker t : truncates) {
            byte[] set = t.set().getBytes(StandardCharsets.UTF_8);
            out.writeByte(set.length);
            out.write(set);
            out.writeShort(t.group());
            out.writeLong(t.logIndex());
            out.write(java.util.Arrays.copyOf(t.partitions().toByteArray(), Partitions.COUNT / 8));
        }
        out.writeInt(freed.size());
        for (Map.Entry<Integer, Long> e : freed.entrySet()) {
            out.writeInt(e.getKey());
            out.writeLong(e.getValue());
        }
        for (int entries : partitionEntries) {
            out.writeInt(entries);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        writeAtomically(dataDir, FILE_NAME, bytes.toByteArray());
    }

    /** Replaces a file so that a crash leaves either the old or the new contents, durably. */
    static void writeAtomically(Path dir, String name, byte[] contents) throws IOException {
        Files.createDirectories(dir);
        Path temp = dir.resolve(name + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(contents);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        }
    }
}
