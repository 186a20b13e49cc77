package io.flashraft.device.index;

import io.flashraft.protocol.Digest;
import io.flashraft.protocol.Partitions;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;

/**
 * The RAM primary index: one entry per record, digest to (location, generation, void time, log
 * index, set, flags), kept in compact primitive tables per partition: no Java object per record.
 *
 * <p>Each partition has a table of entries in fixed-size chunks of {@code int}s (chunks, so that
 * growth never copies a large array), a free list of removed entries, and an open-addressing hash
 * of {@code int} slots (linear probing, backward-shift deletion) keyed by digest bits 32..63,
 * which are uniformly random. An entry is 12 ints:
 *
 * <pre>
 *  0..4  digest (20 bytes, big-endian ints)
 *  5..6  location (block, offset, size: see the device store)
 *  7     generation
 *  8     void time (s, unsigned); for a tombstone: when a checkpoint made it durable (s), 0 = not yet
 *  9..10 log index
 *  11    set id (high 16 bits) | flags (low 8 bits)
 * </pre>
 *
 * Entries are named by an {@code int} handle valid until the entry is removed. Not thread-safe
 * per partition: the caller holds the partition's lock. Counters are safe to read at any time.
 */
public final class PrimaryIndex {
    /** Flag: the entry is a tombstone. */
    public static final int FLAG_TOMBSTONE = 1;

    private static final int INTS_PER_ENTRY = 12;
    private static final int CHUNK_ENTRIES = 64;
    private static final int CHUNK_INTS = CHUNK_ENTRIES * INTS_PER_ENTRY;
    private static final int ARRAY_HEADER_BYTES = 16;
    private static final int MIN_SLOTS = 8;

    private final Table[] tables = new Table[Partitions.COUNT];
    /** Partitions' tables change on many threads at once (each under its partition's lock): a counter per thread, not one contended word. */
    private final LongAdder entries = new LongAdder();
    private final AtomicLong memoryBytes = new AtomicLong();

    public PrimaryIndex() {
        for (int p = 0; p < tables.length; p++) {
            tables[p] = new Table();
        }
    }

    /** Entries in the whole index, tombstones included. */
    public long size() {
        return entries.sum();
    }

    /** Entries in one partition. */
    public int size(int partition) {
        return tables[partition].count;
    }

    /** Bytes of heap the tables hold (chunks, slot arrays and their headers). */
    public long memoryBytes() {
        return memoryBytes.get();
    }

    /** The handle of a digest's entry, or -1. */
    public int find(Digest digest) {
        Table t = tables[digest.partition()];
        if (t.count == 0) {
            return -1;
        }
        int d0 = intOf(digest, 0);
        int d1 = intOf(digest, 1);
        int d2 = intOf(digest, 2);
        int d3 = intOf(digest, 3);
        int d4 = intOf(digest, 4);
        for (int slot = d1 & t.mask; ; slot = (slot + 1) & t.mask) {
            int ref = t.slots[slot];
            if (ref == 0) {
                return -1;
            }
            int entry = ref - 1;
            int[] c = t.chunks[entry / CHUNK_ENTRIES];
            int base = (entry % CHUNK_ENTRIES) * INTS_PER_ENTRY;
            if (c[base + 1] == d1 && c[base] == d0 && c[base + 2] == d2 && c[base + 3] == d3 && c[base + 4] == d4) {
                return entry;
            }
        }
    }

    /**
     * Sizes an empty partition's table for {@code entries} entries, so that filling it takes no
     * rehash (cold start knows roughly how many to expect). A larger table only grows as usual.
     */
    public void reserve(int partition, int entries) {
        Table t = tables[partition];
        if (entries <= 0 || t.count > 0) {
            return;
        }
        long wanted = Math.max(MIN_SLOTS, Long.highestOneBit(entries * 4L / 3 + 1) << 1);
        if (wanted > t.slots.length && wanted <= 1 << 30) {
            resize(t, (int) wanted);
        }
    }

    /** Adds an entry for a digest that has none; its fields start at zero. Returns its handle. */
    public int insert(Digest digest) {
        int partition = digest.partition();
        Table t = tables[partition];
        if ((t.count + 1) * 4L > t.slots.length * 3L) {
            resize(t, Math.max(MIN_SLOTS, t.slots.length * 2));
        }
        int entry = allocate(t);
        int[] c = t.chunks[entry / CHUNK_ENTRIES];
        int base = (entry % CHUNK_ENTRIES) * INTS_PER_ENTRY;
        for (int i = 0; i < 5; i++) {
            c[base + i] = intOf(digest, i);
        }
        place(t, entry, c[base + 1]);
        t.count++;
        entries.increment();
        return entry;
    }

    /**
     * The handle of a digest's entry, adding one (fields at zero, so its location is 0, which no
     * real location is) if there is none: one probe where {@link #find} then {@link #insert}
     * would take two.
     */
    public int findOrInsert(Digest digest) {
        return findOrInsert(digest.partition(), intOf(digest, 0), intOf(digest, 1), intOf(digest, 2), intOf(digest, 3),
                intOf(digest, 4));
    }

    /**
     * The same, for a digest given as its five big-endian ints (cold start reads them straight
     * from the device, without a {@code Digest} per record).
     */
    public int findOrInsert(int partition, int d0, int d1, int d2, int d3, int d4) {
        Table t = tables[partition];
        if ((t.count + 1) * 4L > t.slots.length * 3L) {
            resize(t, Math.max(MIN_SLOTS, t.slots.length * 2));
        }
        int slot = d1 & t.mask;
        for (int ref; (ref = t.slots[slot]) != 0; slot = (slot + 1) & t.mask) {
            int entry = ref - 1;
            int[] c = t.chunks[entry / CHUNK_ENTRIES];
            int base = (entry % CHUNK_ENTRIES) * INTS_PER_ENTRY;
            if (c[base + 1] == d1 && c[base] == d0 && c[base + 2] == d2 && c[base + 3] == d3 && c[base + 4] == d4) {
                return entry;
            }
        }
        int entry = allocate(t);
        int[] c = t.chunks[entry / CHUNK_ENTRIES];
        int base = (entry % CHUNK_ENTRIES) * INTS_PER_ENTRY;
        c[base] = d0;
        c[base + 1] = d1;
        c[base + 2] = d2;
        c[base + 3] = d3;
        c[base + 4] = d4;
        t.slots[slot] = entry + 1;
        t.count++;
        entries.increment();
        return entry;
    }

    /**
     * Reads the slot a digest with this second int hashes to, and the entry it names, and returns
     * a value made from both: calling this for several digests before indexing them lets their
     * cache misses overlap (a caller keeps the value so that the reads are not optimized away).
     */
    public int touch(int partition, int d1) {
        Table t = tables[partition];
        if (t.mask < 0) {
            return 0;
        }
        int ref = t.slots[d1 & t.mask];
        if (ref == 0) {
            return 0;
        }
        return hashOf(t, ref - 1);
    }

    /** Removes an entry; its handle becomes invalid. */
    public void remove(int partition, int entry) {
        Table t = tables[partition];
        int[] c = t.chunks[entry / CHUNK_ENTRIES];
        int base = (entry % CHUNK_ENTRIES) * INTS_PER_ENTRY;
        int slot = c[base + 1] & t.mask;
        while (t.slots[slot] != entry + 1) {
            if (t.slots[slot] == 0) {
                throw new IllegalStateException("index entry " + entry + " of partition " + partition + " not in its table");
            }
            slot = (slot + 1) & t.mask;
        }
        // Backward-shift deletion: pull later members of the probe run into the hole.
        int hole = slot;
        for (int next = (hole + 1) & t.mask; t.slots[next] != 0; next = (next + 1) & t.mask) {
            int ref = t.slots[next];
            int home = hashOf(t, ref - 1) & t.mask;
            if (((next - home) & t.mask) >= ((next - hole) & t.mask)) {
                t.slots[hole] = ref;
                hole = next;
            }
        }
        t.slots[hole] = 0;
        Arrays.fill(c, base, base + INTS_PER_ENTRY, 0);
        c[base] = t.freeHead;
        t.freeHead = entry;
        t.count--;
        entries.decrement();
    }

    /**
     * Calls {@code action} with the handle of every entry of a partition, in the order the
     * entries sit in memory (sequential, so a pass over millions of entries is cheap). An entry
     * whose location is still 0 (just inserted, not yet set) or that was removed is skipped.
     */
    public void forEach(int partition, IntConsumer action) {
        Table t = tables[partition];
        for (int entry = 0; entry < t.highWater; entry++) {
            int[] c = t.chunks[entry / CHUNK_ENTRIES];
            int base = (entry % CHUNK_ENTRIES) * INTS_PER_ENTRY;
            if (c[base + 5] != 0 || c[base + 6] != 0) {
                action.accept(entry);
            }
        }
    }

    /** The digest of an entry. */
    public Digest digest(int partition, int entry) {
        int[] c = chunk(partition, entry);
        int base = base(entry);
        byte[] bytes = new byte[Digest.LENGTH];
        for (int i = 0; i < 5; i++) {
            int v = c[base + i];
            bytes[4 * i] = (byte) (v >>> 24);
            bytes[4 * i + 1] = (byte) (v >>> 16);
            bytes[4 * i + 2] = (byte) (v >>> 8);
            bytes[4 * i + 3] = (byte) v;
        }
        return Digest.of(bytes);
    }

    public long location(int partition, int entry) {
        int[] c = chunk(partition, entry);
        int base = base(entry);
        return ((long) c[base + 5] << 32) | (c[base + 6] & 0xFFFF_FFFFL);
    }

    public int generation(int partition, int entry) {
        return chunk(partition, entry)[base(entry) + 7];
    }

    public long voidTimeSec(int partition, int entry) {
        return chunk(partition, entry)[base(entry) + 8] & 0xFFFF_FFFFL;
    }

    public long logIndex(int partition, int entry) {
        int[] c = chunk(partition, entry);
        int base = base(entry);
        return ((long) c[base + 9] << 32) | (c[base + 10] & 0xFFFF_FFFFL);
    }

    public int setId(int partition, int entry) {
        return chunk(partition, entry)[base(entry) + 11] >>> 16;
    }

    public int flags(int partition, int entry) {
        return chunk(partition, entry)[base(entry) + 11] & 0xFF;
    }

    /** Sets every field but the digest. */
    public void set(int partition, int entry, long location, int generation, long voidTimeSec, long logIndex,
                    int setId, int flags) {
        int[] c = chunk(partition, entry);
        int base = base(entry);
        c[base + 5] = (int) (location >>> 32);
        c[base + 6] = (int) location;
        c[base + 7] = generation;
        c[base + 8] = (int) voidTimeSec;
        c[base + 9] = (int) (logIndex >>> 32);
        c[base + 10] = (int) logIndex;
        c[base + 11] = (setId << 16) | (flags & 0xFF);
    }

    public void setLocation(int partition, int entry, long location) {
        int[] c = chunk(partition, entry);
        int base = base(entry);
        c[base + 5] = (int) (location >>> 32);
        c[base + 6] = (int) location;
    }

    public void setVoidTimeSec(int partition, int entry, long voidTimeSec) {
        chunk(partition, entry)[base(entry) + 8] = (int) voidTimeSec;
    }

    /** Drops every entry of a partition and frees its tables. */
    public void clear(int partition) {
        Table t = tables[partition];
        entries.add(-t.count);
        memoryBytes.addAndGet(-t.bytes());
        tables[partition] = new Table();
    }

    private int[] chunk(int partition, int entry) {
        return tables[partition].chunks[entry / CHUNK_ENTRIES];
    }

    private static int base(int entry) {
        return (entry % CHUNK_ENTRIES) * INTS_PER_ENTRY;
    }

    private int allocate(Table t) {
        if (t.freeHead >= 0) {
            int entry = t.freeHead;
            t.freeHead = t.chunks[entry / CHUNK_ENTRIES][base(entry)];
            return entry;
        }
        int entry = t.highWater++;
        int chunkIndex = entry / CHUNK_ENTRIES;
        if (chunkIndex == t.chunks.length) {
            long before = t.bytes();
            t.chunks = Arrays.copyOf(t.chunks, chunkIndex + 1);
            t.chunks[chunkIndex] = new int[CHUNK_INTS];
            memoryBytes.addAndGet(t.bytes() - before);
        }
        return entry;
    }

    private void resize(Table t, int capacity) {
        long before = t.bytes();
        int[] old = t.slots;
        t.slots = new int[capacity];
        t.mask = capacity - 1;
        for (int ref : old) {
            if (ref != 0) {
                place(t, ref - 1, hashOf(t, ref - 1));
            }
        }
        memoryBytes.addAndGet(t.bytes() - before);
    }

    private static void place(Table t, int entry, int hash) {
        int slot = hash & t.mask;
        while (t.slots[slot] != 0) {
            slot = (slot + 1) & t.mask;
        }
        t.slots[slot] = entry + 1;
    }

    private static int hashOf(Table t, int entry) {
        return t.chunks[entry / CHUNK_ENTRIES][base(entry) + 1];
    }

    private static int intOf(Digest d, int i) {
        int o = 4 * i;
        return (d.byteAt(o) & 0xFF) << 24 | (d.byteAt(o + 1) & 0xFF) << 16 | (d.byteAt(o + 2) & 0xFF) << 8
                | (d.byteAt(o + 3) & 0xFF);
    }

    private static final class Table {
        private static final int[] NO_SLOTS = new int[0];
        int[][] chunks = new int[0][];
        int highWater;
        int freeHead = -1;
        int count;
        int[] slots = NO_SLOTS;
        int mask = -1;

        long bytes() {
            long bytes = ARRAY_HEADER_BYTES + 8L * chunks.length + (long) chunks.length * (ARRAY_HEADER_BYTES + 4L * CHUNK_INTS);
            return bytes + ARRAY_HEADER_BYTES + 4L * slots.length;
        }
    }
}
