package io.flashraft.device;

import io.flashraft.protocol.StoredRecord;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.RecordExistsAction;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.Partitions;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.ValueCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The rules every engine shares: record-exists policies, generation checks, TTL to void time,
 * tombstones, idempotent replay, record size limits and per-partition locking. An engine supplies
 * only how versions are found, read, written and forgotten.
 *
 * <p>Locking: one read-write lock per partition. Writes hold the partition's write lock for the
 * whole read-modify-write, so each single-record operation is atomic and isolated; reads hold the
 * read lock while they read the device, so a version cannot move under them.
 */
public abstract class AbstractRecordStore implements RecordStore {
    /** The longest set name, in UTF-8 bytes. */
    public static final int MAX_SET_NAME_BYTES = 63;

    protected final StoreConfig config;
    private final ReentrantReadWriteLock[] partitionLocks = new ReentrantReadWriteLock[Partitions.COUNT];
    /** The latest "now" any write carried: background reclaim never runs ahead of it. */
    private final AtomicLong nowWatermarkMs = new AtomicLong(Long.MIN_VALUE);
    /**
     * No live version expires before this (seconds): expiry reclaim scans only once callers' time
     * passes it. 0 until the first scan, which learns what an open found on the device.
     */
    private final AtomicLong earliestVoidTimeSec = new AtomicLong();
    /** Per group, the latest write: expiry is reclaimed by the time of the record's own group. */
    private final java.util.concurrent.ConcurrentHashMap<Integer, GroupClock> groupClocks =
            new java.util.concurrent.ConcurrentHashMap<>();

    protected AbstractRecordStore(StoreConfig config) {
        this.config = config;
        for (int p = 0; p < partitionLocks.length; p++) {
            partitionLocks[p] = new ReentrantReadWriteLock();
        }
    }

    // ---- what an engine supplies -------------------------------------------------------------

    /** The current version of a digest, tombstones included, or null. Partition lock held. */
    protected abstract VersionInfo find(Digest digest);

    /** The full current version of a digest that {@link #find} returned. Partition lock held. */
    protected abstract RecordVersion read(Digest digest);

    /**
     * Makes a version current. Partition write lock held.
     *
     * @param previous what {@link #find} returned, or null
     * @throws StoreFullException if it cannot be held; then nothing changed
     */
    protected abstract void write(RecordVersion version, VersionInfo previous);

    /** Forgets a digest without leaving a tombstone. Partition write lock held. */
    protected abstract void forget(Digest digest, VersionInfo previous);

    /** The digests held in a partition, tombstones included, in digest order. Partition lock held. */
    protected abstract List<Digest> digests(int partition);

    /**
     * Records that a truncate happened, so that a restart does not bring the records back. No
     * partition lock is held: the engine makes it thread-safe.
     */
    protected abstract void recordTruncate(WriteContext ctx, String set, BitSet partitions);

    /** Removes every trace of the partitions, durably. All their write locks are held. */
    protected abstract void dropAll(BitSet partitions);

    // ---- operations ----------------------------------------------------------------------------

    @Override
    public WriteResult put(WriteContext ctx, Digest digest, String set, Bins bins, WritePolicy policy) {
        checkSet(set);
        if (bins.isEmpty()) {
            return WriteResult.rejected(ResultCode.BAD_REQUEST);
        }
        return operate(ctx, digest, set, policy, current -> {
            Bins merged = current == null || policy.existsAction() == RecordExistsAction.REPLACE
                    ? bins : current.bins().merge(bins);
            return Update.write(merged, Bins.empty());
        });
    }

    @Override
    public ReadResult get(Digest digest, BinSelection selection, long nowMs) {
        ReentrantReadWriteLock.ReadLock lock = lock(digest).readLock();
        lock.lock();
        try {
            VersionInfo info = find(digest);
            if (info == null || !info.liveAt(nowMs)) {
                return ReadResult.NOT_FOUND;
            }
            RecordVersion v = read(digest);
            return new ReadResult(ResultCode.OK, v.meta(), selection.apply(v.bins()));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public WriteResult delete(WriteContext ctx, Digest digest, WritePolicy policy) {
        return writeLocked(ctx, digest, () -> {
            VersionInfo info = find(digest);
            WriteResult replayed = replayed(ctx, info);
            if (replayed != null) {
                return replayed;
            }
            if (info == null || !info.liveAt(ctx.nowMs())) {
                return WriteResult.rejected(ResultCode.NOT_FOUND);
            }
            if (policy.expectedGeneration() != 0 && policy.expectedGeneration() != info.generation()) {
                return WriteResult.rejected(ResultCode.GENERATION_MISMATCH);
            }
            RecordVersion tombstone = tombstone(digest, info, ctx.group(), ctx.logIndex(), ctx.lastUpdateStamp());
            return storeOrFull(tombstone, info, new RecordMeta(tombstone.generation(), 0, ctx.lastUpdateStamp()));
        });
    }

    @Override
    public WriteResult touch(WriteContext ctx, Digest digest, WritePolicy policy) {
        return operate(ctx, digest, null, policy.existsAction() == RecordExistsAction.UPDATE_ONLY
                ? policy : new WritePolicy(RecordExistsAction.UPDATE_ONLY, policy.expectedGeneration(), policy.ttlSec()),
                current -> Update.write(current.bins(), Bins.empty()));
    }

    @Override
    public WriteResult operate(WriteContext ctx, Digest digest, String set, WritePolicy policy, RecordUpdate update) {
        if (set != null) {
            checkSet(set);
        }
        return writeLocked(ctx, digest, () -> {
            VersionInfo info = find(digest);
            WriteResult replayed = replayed(ctx, info);
            if (replayed != null) {
                return replayed;
            }
            boolean exists = info != null && info.liveAt(ctx.nowMs());
            if (policy.expectedGeneration() != 0 && (!exists || policy.expectedGeneration() != info.generation())) {
                return WriteResult.rejected(ResultCode.GENERATION_MISMATCH);
            }
            if (exists && policy.existsAction() == RecordExistsAction.CREATE_ONLY) {
                return WriteResult.rejected(ResultCode.RECORD_EXISTS);
            }
            if (!exists && policy.existsAction() == RecordExistsAction.UPDATE_ONLY) {
                return WriteResult.rejected(ResultCode.NOT_FOUND);
            }
            StoredRecord current = null;
            if (exists) {
                RecordVersion v = read(digest);
                current = new StoredRecord(digest, v.set(), v.meta(), v.bins());
            }
            Update decided = update.apply(current);
            if (decided.rejection() != null) {
                return WriteResult.rejected(decided.rejection());
            }
            if (decided.newBins() == null) {
                return new WriteResult(ResultCode.OK, current == null ? null : current.meta(), decided.result(), false);
            }
            if (decided.newBins().isEmpty()) {
                if (!exists) {
                    return new WriteResult(ResultCode.OK, null, decided.result(), false);
                }
                RecordVersion tombstone = tombstone(digest, info, ctx.group(), ctx.logIndex(), ctx.lastUpdateStamp());
                WriteResult stored = storeOrFull(tombstone, info, null);
                return stored.ok() ? new WriteResult(ResultCode.OK, null, decided.result(), false) : stored;
            }
            String recordSet = current != null ? current.set() : set == null ? "" : set;
            int generation = current == null ? 1 : nextGeneration(current.meta().generation());
            long voidTime = voidTime(ctx.nowMs(), policy.ttlSec(), current == null ? -1 : current.meta().voidTimeSec());
            byte[] encoded = ValueCodec.encodeBins(decided.newBins());
            RecordVersion version = new RecordVersion(digest, recordSet, generation, voidTime, ctx.lastUpdateStamp(),
                    ctx.group(), ctx.logIndex(), false, encoded);
            if (recordSizeBytes(version) > config.maxRecordSizeBytes()) {
                return WriteResult.rejected(ResultCode.RECORD_TOO_BIG);
            }
            WriteResult stored = storeOrFull(version, info, version.meta());
            return stored.ok() ? new WriteResult(ResultCode.OK, version.meta(), decided.result(), false) : stored;
        });
    }

    @Override
    public long truncate(WriteContext ctx, String set, BitSet partitions) {
        checkSet(set);
        nowWatermarkMs.accumulateAndGet(ctx.nowMs(), Math::max);
        long removed = 0;
        for (int p = partitions.nextSetBit(0); p >= 0; p = partitions.nextSetBit(p + 1)) {
            ReentrantReadWriteLock.WriteLock lock = partitionLocks[Partitions.check(p)].writeLock();
            lock.lock();
            try {
                for (Digest digest : digests(p)) {
                    VersionInfo info = find(digest);
                    if (info != null && info.set().equals(set) && info.logIndex() < ctx.logIndex()) {
                        forget(digest, info);
                        if (!info.tombstone()) {
                            removed++;
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
        }
        recordTruncate(ctx, set, (BitSet) partitions.clone());
        applied(ctx);
        return removed;
    }

    @Override
    public List<EvictionCandidate> evictionCandidates(BitSet partitions, long nowMs, int maxRecords) {
        List<EvictionCandidate> candidates = new ArrayList<>();
        forEachPartition(partitions, false, p -> {
            for (Digest digest : digests(p)) {
                VersionInfo info = find(digest);
                if (info != null && info.liveAt(nowMs) && info.voidTimeSec() != RecordMeta.NEVER_EXPIRES) {
                    candidates.add(new EvictionCandidate(digest, info.generation(), info.voidTimeSec()));
                }
            }
        });
        candidates.sort(Comparator.comparingLong(EvictionCandidate::voidTimeSec)
                .thenComparing(EvictionCandidate::digest));
        return List.copyOf(candidates.subList(0, Math.min(Math.max(0, maxRecords), candidates.size())));
    }

    @Override
    public void scan(int partition, long nowMs, BinSelection selection, Consumer<StoredRecord> sink) {
        List<StoredRecord> records = new ArrayList<>();
        ReentrantReadWriteLock.ReadLock lock = partitionLocks[Partitions.check(partition)].readLock();
        lock.lock();
        try {
            for (Digest digest : digests(partition)) {
                VersionInfo info = find(digest);
                if (info != null && info.liveAt(nowMs)) {
                    RecordVersion v = read(digest);
                    records.add(new StoredRecord(digest, v.set(), v.meta(),
                            selection.headerOnly() ? Bins.empty() : selection.apply(v.bins())));
                }
            }
        } finally {
            lock.unlock();
        }
        records.forEach(sink);
    }

    @Override
    public boolean ingest(RecordVersion version) {
        checkSet(version.set());
        ReentrantReadWriteLock.WriteLock lock = lock(version.digest()).writeLock();
        lock.lock();
        try {
            VersionInfo info = find(version.digest());
            if (info != null && info.logIndex() >= version.logIndex()) {
                return false;
            }
            write(version, info);
            noteVoidTime(version);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void dropPartitions(BitSet partitions) {
        BitSet copy = (BitSet) partitions.clone();
        List<ReentrantReadWriteLock.WriteLock> held = new ArrayList<>();
        try {
            for (int p = copy.nextSetBit(0); p >= 0; p = copy.nextSetBit(p + 1)) {
                ReentrantReadWriteLock.WriteLock lock = partitionLocks[Partitions.check(p)].writeLock();
                lock.lock();
                held.add(lock);
            }
            dropAll(copy);
        } finally {
            held.forEach(ReentrantReadWriteLock.WriteLock::unlock);
        }
    }

    // ---- helpers for engines ---------------------------------------------------------------------

    /** The latest "now" that any write carried, or Long.MIN_VALUE before the first. */
    protected long nowWatermarkMs() {
        return nowWatermarkMs.get();
    }

    /**
     * Runs {@code body} for each partition of the set with its lock held (write lock if asked).
     */
    protected void forEachPartition(BitSet partitions, boolean write, java.util.function.IntConsumer body) {
        for (int p = partitions.nextSetBit(0); p >= 0; p = partitions.nextSetBit(p + 1)) {
            ReentrantReadWriteLock rw = partitionLocks[Partitions.check(p)];
            java.util.concurrent.locks.Lock lock = write ? rw.writeLock() : rw.readLock();
            lock.lock();
            try {
                body.accept(p);
            } finally {
                lock.unlock();
            }
        }
    }

    /** Runs {@code body} for every partition with its write lock held, one at a time. */
    protected void forEachPartitionWriteLocked(java.util.function.IntConsumer body) {
        BitSet all = new BitSet(Partitions.COUNT);
        all.set(0, Partitions.COUNT);
        forEachPartition(all, true, body);
    }

    /** The lock of one partition, for engines' background work. */
    protected ReentrantReadWriteLock partitionLock(int partition) {
        return partitionLocks[partition];
    }

    /**
     * Reclaims expired records: each one that its group's latest write already saw as expired
     * is replaced by a tombstone carrying that write's log index. A replay after a crash of any
     * entry up to that index is then skipped for the record, exactly as if the reclaim had not
     * happened, and later entries find the record gone, as they would have found it expired:
     * reclaiming never changes what a read or a write sees.
     *
     * @return the number of records reclaimed
     */
    protected long reclaimExpired() {
        long watermark = nowWatermarkMs();
        if (watermark == Long.MIN_VALUE || Math.floorDiv(watermark, 1000) < earliestVoidTimeSec.get()) {
            return 0; // nothing can have expired yet: no scan
        }
        // Writes during the scan lower the bound themselves; the scan adds what it leaves.
        long bound = earliestVoidTimeSec.getAndSet(Long.MAX_VALUE);
        try {
            return reclaimExpired(watermark, bound);
        } catch (RuntimeException | Error e) {
            lowerVoidTimeBound(bound); // the scan did not finish: its bound still holds
            throw e;
        }
    }

    private long reclaimExpired(long watermark, long bound) {
        long reclaimed = 0;
        for (int p = 0; p < Partitions.COUNT; p++) {
            ReentrantReadWriteLock.WriteLock lock = partitionLocks[p].writeLock();
            lock.lock();
            try {
                for (Digest digest : digests(p)) {
                    VersionInfo info = find(digest);
                    if (info == null || info.tombstone() || info.voidTimeSec() == RecordMeta.NEVER_EXPIRES) {
                        continue;
                    }
                    if (!RecordMeta.isExpired(info.voidTimeSec(), watermark)) {
                        lowerVoidTimeBound(info.voidTimeSec());
                        continue;
                    }
                    RecordVersion version = read(digest);
                    GroupClock clock = groupClocks.get(version.group());
                    if (clock == null || !RecordMeta.isExpired(info.voidTimeSec(), clock.nowMs())
                            || clock.logIndex() < info.logIndex()) {
                        lowerVoidTimeBound(info.voidTimeSec()); // expired, but not reclaimable yet
                        continue;
                    }
                    write(tombstone(digest, info, version.group(), clock.logIndex(), version.lastUpdateStamp()), info);
                    reclaimed++;
                }
            } catch (StoreFullException e) {
                lowerVoidTimeBound(bound); // the next round goes on
                return reclaimed;
            } finally {
                lock.unlock();
            }
        }
        return reclaimed;
    }

    /** Keeps {@link #earliestVoidTimeSec} at or below a live version's void time. */
    private void noteVoidTime(RecordVersion version) {
        if (!version.tombstone() && version.voidTimeSec() != RecordMeta.NEVER_EXPIRES) {
            lowerVoidTimeBound(version.voidTimeSec());
        }
    }

    private void lowerVoidTimeBound(long voidTimeSec) {
        earliestVoidTimeSec.accumulateAndGet(voidTimeSec, Math::min);
    }

    /** A tombstone that replaces {@code previous}. */
    protected static RecordVersion tombstone(Digest digest, VersionInfo previous, int group, long logIndex, long stamp) {
        return new RecordVersion(digest, previous.set(), nextGeneration(previous.generation()), 0, stamp,
                group, logIndex, true, RecordVersion.NO_BINS);
    }

    /** The bytes a version takes on a device, header included: the record-size limit applies to it. */
    protected int recordSizeBytes(RecordVersion version) {
        return io.flashraft.device.format.RecordFormat.encodedLength(version);
    }

    // ---- internals -----------------------------------------------------------------------------

    private interface LockedWrite {
        WriteResult run();
    }

    private WriteResult writeLocked(WriteContext ctx, Digest digest, LockedWrite body) {
        nowWatermarkMs.accumulateAndGet(ctx.nowMs(), Math::max);
        ReentrantReadWriteLock.WriteLock lock = lock(digest).writeLock();
        lock.lock();
        try {
            WriteResult result = body.run();
            // Only once the entry is applied may expiry reclaim use its index: a tombstone at
            // that index written before the write would make the write look like a replay.
            applied(ctx);
            return result;
        } finally {
            lock.unlock();
        }
    }

    /** The group's entry at this index is applied: its clock may move to it. */
    private void applied(WriteContext ctx) {
        groupClocks.compute(ctx.group(), (group, clock) -> clock == null || ctx.logIndex() > clock.logIndex()
                ? new GroupClock(ctx.logIndex(), ctx.nowMs()) : clock);
    }

    /** The latest write a group applied: its log index and its "now". */
    private record GroupClock(long logIndex, long nowMs) {
    }

    private WriteResult storeOrFull(RecordVersion version, VersionInfo previous, RecordMeta meta) {
        try {
            write(version, previous);
        } catch (StoreFullException e) {
            return WriteResult.rejected(ResultCode.DEVICE_FULL);
        }
        noteVoidTime(version);
        return WriteResult.ok(meta);
    }

    private static WriteResult replayed(WriteContext ctx, VersionInfo info) {
        if (info != null && info.logIndex() >= ctx.logIndex()) {
            return new WriteResult(ResultCode.OK, null, Bins.empty(), true);
        }
        return null;
    }

    private long voidTime(long nowMs, long ttlSec, long currentVoidTimeSec) {
        long ttl = ttlSec;
        if (ttl == WritePolicy.TTL_UNCHANGED) {
            if (currentVoidTimeSec >= 0) {
                return currentVoidTimeSec;
            }
            ttl = WritePolicy.TTL_DEFAULT;
        }
        if (ttl == WritePolicy.TTL_DEFAULT) {
            ttl = config.defaultTtlSec();
        }
        if (ttl == WritePolicy.TTL_NEVER || ttl == 0) {
            return RecordMeta.NEVER_EXPIRES;
        }
        return Math.floorDiv(nowMs, 1000) + ttl;
    }

    private static int nextGeneration(int generation) {
        return generation == Integer.MAX_VALUE ? 1 : generation + 1;
    }

    private ReentrantReadWriteLock lock(Digest digest) {
        return partitionLocks[digest.partition()];
    }

    /** A set name is at most 63 bytes of UTF-8 without NUL: NUL ends the set in the digest's input. */
    private static void checkSet(String set) {
        if (set.getBytes(StandardCharsets.UTF_8).length > MAX_SET_NAME_BYTES) {
            throw new IllegalArgumentException("set name '" + set + "' is longer than " + MAX_SET_NAME_BYTES
                    + " bytes of UTF-8");
        }
        if (set.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("set name contains NUL, which separates the set from the key in a digest");
        }
    }
}
