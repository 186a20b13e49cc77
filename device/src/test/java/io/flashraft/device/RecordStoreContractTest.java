package io.flashraft.device;

import io.flashraft.protocol.StoredRecord;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.RecordExistsAction;
import io.flashraft.protocol.WritePolicy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.ValueCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link RecordStore} engine must do, whatever it keeps on disk. A subclass says how
 * to configure and open its engine; tests specific to one engine live in its subclass.
 *
 * <p>Time is the {@link TestLog}'s: nothing here sleeps or reads a clock, and background
 * maintenance is off, so each test decides when maintenance runs.
 */
public abstract class RecordStoreContractTest {
    protected static final String SET = "s";
    protected static final String OTHER_SET = "t";

    @TempDir
    protected Path dir;
    protected final TestLog log = new TestLog(0);
    private final List<RecordStore> opened = new ArrayList<>();

    /**
     * Sets the engine and where it keeps its files (data directory, devices) under {@code dataDir}.
     * Tests set other settings after this, so they win.
     */
    protected abstract StoreConfig.Builder configure(StoreConfig.Builder b, Path dataDir);

    /** Opens the engine with this config. */
    protected abstract RecordStore open(StoreConfig config);

    /** Closes the store cleanly and opens it again with the same config: a clean restart. */
    protected RecordStore reopen(RecordStore store, StoreConfig config) {
        store.close();
        return track(open(config));
    }

    @AfterEach
    void closeStores() {
        opened.forEach(RecordStore::close);
    }

    // ---- record-exists actions ---------------------------------------------------------------------

    @Test
    void upsertCreatesRecordThenMergesBins() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        WriteResult created = store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT);
        assertOk(created);
        assertEquals(1, created.meta().generation());
        WriteResult merged = store.put(log.next(), d, SET, bins("b", 2), WritePolicy.DEFAULT);
        assertOk(merged);
        assertEquals(2, merged.meta().generation());
        assertEquals(bins("a", 1, "b", 2), get(store, d).bins());
    }

    @Test
    void createOnlyRefusesExistingRecord() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        WritePolicy createOnly = WritePolicy.of(RecordExistsAction.CREATE_ONLY);
        assertOk(store.put(log.next(), d, SET, bins("a", 1), createOnly));
        assertCode(ResultCode.RECORD_EXISTS, store.put(log.next(), d, SET, bins("a", 2), createOnly));
        ReadResult read = get(store, d);
        assertEquals(bins("a", 1), read.bins());
        assertEquals(1, read.meta().generation());
    }

    @Test
    void updateOnlyRefusesMissingRecordAndMergesIntoExisting() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        WritePolicy updateOnly = WritePolicy.of(RecordExistsAction.UPDATE_ONLY);
        assertCode(ResultCode.NOT_FOUND, store.put(log.next(), d, SET, bins("a", 1), updateOnly));
        assertNotFound(store, d);
        assertOk(store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT));
        assertOk(store.put(log.next(), d, SET, bins("b", 2), updateOnly));
        assertEquals(bins("a", 1, "b", 2), get(store, d).bins());
    }

    @Test
    void replaceCreatesMissingRecordAndDropsBinsNotGiven() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        WritePolicy replace = WritePolicy.of(RecordExistsAction.REPLACE);
        assertOk(store.put(log.next(), d, SET, bins("a", 1, "b", 2), replace));
        WriteResult replaced = store.put(log.next(), d, SET, bins("c", 3), replace);
        assertOk(replaced);
        assertEquals(2, replaced.meta().generation());
        assertEquals(bins("c", 3), get(store, d).bins());
    }

    // ---- generation compare-and-set ----------------------------------------------------------------

    @Test
    void putWithExpectedGenerationAppliesOnlyOnMatch() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        assertCode(ResultCode.GENERATION_MISMATCH,
                store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT.withExpectedGeneration(1)));
        assertNotFound(store, d);
        assertOk(store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT));
        assertCode(ResultCode.GENERATION_MISMATCH,
                store.put(log.next(), d, SET, bins("a", 2), WritePolicy.DEFAULT.withExpectedGeneration(2)));
        assertEquals(bins("a", 1), get(store, d).bins());
        WriteResult matched = store.put(log.next(), d, SET, bins("a", 3), WritePolicy.DEFAULT.withExpectedGeneration(1));
        assertOk(matched);
        assertEquals(2, matched.meta().generation());
        assertEquals(bins("a", 3), get(store, d).bins());
    }

    @Test
    void deleteWithExpectedGenerationAppliesOnlyOnMatch() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.put(log.next(), d, SET, bins("a", 2), WritePolicy.DEFAULT);
        assertCode(ResultCode.GENERATION_MISMATCH, store.delete(log.next(), d, WritePolicy.DEFAULT.withExpectedGeneration(1)));
        assertEquals(bins("a", 2), get(store, d).bins());
        assertOk(store.delete(log.next(), d, WritePolicy.DEFAULT.withExpectedGeneration(2)));
        assertNotFound(store, d);
    }

    @Test
    void operateWithExpectedGenerationAppliesOnlyOnMatch() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, bins("n", 10), WritePolicy.DEFAULT);
        WritePolicy stale = WritePolicy.DEFAULT.withExpectedGeneration(7);
        assertCode(ResultCode.GENERATION_MISMATCH, store.operate(log.next(), d, SET, stale, increment("n")));
        assertEquals(bins("n", 10), get(store, d).bins());
        WriteResult matched = store.operate(log.next(), d, SET, WritePolicy.DEFAULT.withExpectedGeneration(1), increment("n"));
        assertOk(matched);
        assertEquals(2, matched.meta().generation());
        assertEquals(bins("n", 11), get(store, d).bins());
    }

    @Test
    void touchWithExpectedGenerationAppliesOnlyOnMatch() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT);
        assertCode(ResultCode.GENERATION_MISMATCH, store.touch(log.next(), d, WritePolicy.DEFAULT.withExpectedGeneration(2)));
        assertEquals(1, get(store, d).meta().generation());
        assertOk(store.touch(log.next(), d, WritePolicy.DEFAULT.withExpectedGeneration(1)));
        assertEquals(2, get(store, d).meta().generation());
    }

    // ---- TTL and expiry ----------------------------------------------------------------------------

    @Test
    void defaultTtlComesFromConfig() {
        RecordStore store = openStore(b -> b.defaultTtlSec(100));
        Digest d = digest(1, 1);
        WriteResult written = store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT);
        assertEquals(nowSec() + 100, written.meta().voidTimeSec());
        assertEquals(nowSec() + 100, get(store, d).meta().voidTimeSec());
    }

    @Test
    void explicitTtlCountsFromCallersNow() {
        RecordStore store = openStore(b -> b.defaultTtlSec(100));
        Digest d = digest(1, 1);
        log.advanceMs(12_345);
        WriteResult written = store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(30));
        assertEquals(nowSec() + 30, written.meta().voidTimeSec());
    }

    @Test
    void ttlNeverOverridesDefaultTtl() {
        RecordStore store = openStore(b -> b.defaultTtlSec(100));
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(WritePolicy.TTL_NEVER));
        assertEquals(RecordMeta.NEVER_EXPIRES, get(store, d).meta().voidTimeSec());
        assertTrue(store.get(d, BinSelection.ALL, log.nowMs() + 10L * 365 * 24 * 3600 * 1000).found());
    }

    @Test
    void ttlUnchangedKeepsVoidTimeAndGivesNewRecordTheDefault() {
        RecordStore store = openStore(b -> b.defaultTtlSec(100));
        Digest existing = digest(1, 1);
        Digest fresh = digest(1, 2);
        long voidTimeSec = store.put(log.next(), existing, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(30))
                .meta().voidTimeSec();
        log.advanceMs(5_000);
        WritePolicy unchanged = WritePolicy.DEFAULT.withTtlSec(WritePolicy.TTL_UNCHANGED);
        assertEquals(voidTimeSec, store.put(log.next(), existing, SET, bins("a", 2), unchanged).meta().voidTimeSec());
        assertEquals(voidTimeSec, get(store, existing).meta().voidTimeSec());
        assertEquals(nowSec() + 100, store.put(log.next(), fresh, SET, bins("a", 1), unchanged).meta().voidTimeSec());
    }

    @Test
    void expiryIsDecidedByCallersNow() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        long voidTimeSec = store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(10))
                .meta().voidTimeSec();
        long voidTimeMs = voidTimeSec * 1000;
        assertTrue(store.get(d, BinSelection.ALL, voidTimeMs - 1).found());
        assertEquals(1, scan(store, 1, voidTimeMs - 1).size());
        assertEquals(ResultCode.NOT_FOUND, store.get(d, BinSelection.ALL, voidTimeMs).code());
        assertEquals(List.of(), scan(store, 1, voidTimeMs));
    }

    @Test
    void writeToExpiredRecordStartsAtGenerationOne() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(10));
        store.put(log.next(), d, SET, bins("a", 2), WritePolicy.DEFAULT.withTtlSec(10));
        log.advanceMs(10_000);
        assertCode(ResultCode.NOT_FOUND, store.put(log.next(), d, SET, bins("a", 3),
                WritePolicy.of(RecordExistsAction.UPDATE_ONLY)));
        WriteResult fresh = store.put(log.next(), d, SET, bins("b", 4), WritePolicy.DEFAULT);
        assertOk(fresh);
        assertEquals(1, fresh.meta().generation());
        // The expired record's bins are gone, not merged into the new one.
        assertEquals(bins("b", 4), get(store, d).bins());
    }

    // ---- reads -------------------------------------------------------------------------------------

    @Test
    void getReturnsAllNamedOrHeaderOnly() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        WriteContext ctx = log.next();
        store.put(ctx, d, SET, bins("a", 1, "b", 2, "c", 3), WritePolicy.DEFAULT.withTtlSec(60));
        RecordMeta meta = new RecordMeta(1, nowSec() + 60, ctx.lastUpdateStamp());

        ReadResult all = get(store, d);
        assertEquals(bins("a", 1, "b", 2, "c", 3), all.bins());
        assertEquals(meta, all.meta());
        assertEquals(bins("a", 1, "c", 3), store.get(d, BinSelection.of("a", "c", "zz"), log.nowMs()).bins());
        ReadResult header = store.get(d, BinSelection.HEADER, log.nowMs());
        assertTrue(header.found());
        assertEquals(meta, header.meta());
        assertEquals(Bins.empty(), header.bins());
    }

    @Test
    void getOfMissingRecordIsNotFound() {
        RecordStore store = openStore();
        ReadResult read = store.get(digest(1, 1), BinSelection.ALL, log.nowMs());
        assertEquals(ResultCode.NOT_FOUND, read.code());
        assertNull(read.meta());
        assertNull(read.bins());
    }

    // ---- delete and tombstones ---------------------------------------------------------------------

    @Test
    void deleteLeavesTombstoneThatSnapshotShows() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT);
        WriteContext deletion = log.next();
        assertOk(store.delete(deletion, d, WritePolicy.DEFAULT));
        assertNotFound(store, d);

        List<RecordVersion> versions = snapshot(store, 1);
        assertEquals(1, versions.size());
        RecordVersion tombstone = versions.get(0);
        assertTrue(tombstone.tombstone());
        assertEquals(d, tombstone.digest());
        assertEquals(SET, tombstone.set());
        assertEquals(2, tombstone.generation());
        assertEquals(deletion.logIndex(), tombstone.logIndex());
        assertEquals(0, store.stats().records());
        assertEquals(1, store.stats().tombstones());
    }

    @Test
    void deletedRecordStaysDeletedAfterCheckpointAndReopen() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        Digest d = digest(1, 1);
        WriteContext put = log.next();
        store.put(put, d, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.checkpoint(0, log.lastIndex());
        store.delete(log.next(), d, WritePolicy.DEFAULT);
        store.checkpoint(0, log.lastIndex());

        store = reopen(store, config);
        assertNotFound(store, d);
        assertTrue(snapshot(store, 1).get(0).tombstone());
        // The tombstone keeps a replay of the older put from bringing the record back.
        assertTrue(store.put(put, d, SET, bins("a", 1), WritePolicy.DEFAULT).replayed());
        assertNotFound(store, d);
    }

    @Test
    void deleteOfMissingOrExpiredRecordIsNotFound() {
        RecordStore store = openStore();
        Digest expiring = digest(1, 1);
        assertCode(ResultCode.NOT_FOUND, store.delete(log.next(), digest(1, 2), WritePolicy.DEFAULT));
        store.put(log.next(), expiring, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(1));
        log.advanceMs(1_000);
        assertCode(ResultCode.NOT_FOUND, store.delete(log.next(), expiring, WritePolicy.DEFAULT));
    }

    // ---- touch -------------------------------------------------------------------------------------

    @Test
    void touchRaisesGenerationAndResetsVoidTimeKeepingBins() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(10));
        log.advanceMs(5_000);
        WriteResult touched = store.touch(log.next(), d, WritePolicy.DEFAULT.withTtlSec(100));
        assertOk(touched);
        assertEquals(2, touched.meta().generation());
        assertEquals(nowSec() + 100, touched.meta().voidTimeSec());
        ReadResult read = get(store, d);
        assertEquals(bins("a", 1), read.bins());
        assertEquals(touched.meta(), read.meta());
    }

    @Test
    void touchOfMissingRecordIsNotFound() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        assertCode(ResultCode.NOT_FOUND, store.touch(log.next(), d, WritePolicy.DEFAULT));
        assertNotFound(store, d);
    }

    // ---- operate -----------------------------------------------------------------------------------

    @Test
    void operateReadOnlyWritesNothing() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, bins("a", 1, "b", 2), WritePolicy.DEFAULT);
        List<RecordVersion> before = snapshot(store, 1);
        WriteResult read = store.operate(log.next(), d, SET, WritePolicy.DEFAULT,
                current -> Update.read(current.bins().select(List.of("b"))));
        assertOk(read);
        assertEquals(bins("b", 2), read.bins());
        assertEquals(1, read.meta().generation());
        assertEquals(before, snapshot(store, 1));
    }

    @Test
    void operateWritesNewBinsAndAnswersWhatItRead() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        assertEquals(bins("n", 1), store.operate(log.next(), d, SET, WritePolicy.DEFAULT, increment("n")).bins());
        WriteResult second = store.operate(log.next(), d, SET, WritePolicy.DEFAULT, increment("n"));
        assertOk(second);
        assertEquals(bins("n", 2), second.bins());
        assertEquals(2, second.meta().generation());
        assertEquals(bins("n", 2), get(store, d).bins());
        assertEquals(SET, scan(store, 1, log.nowMs()).get(0).set());
    }

    @Test
    void operateRejectionWritesNothing() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, Bins.of("n", Value.of("text")), WritePolicy.DEFAULT);
        List<RecordVersion> before = snapshot(store, 1);
        assertCode(ResultCode.BIN_TYPE_ERROR, store.operate(log.next(), d, SET, WritePolicy.DEFAULT, increment("n")));
        assertEquals(before, snapshot(store, 1));
    }

    @Test
    void operateRemovingAllBinsDeletesRecord() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT);
        WriteResult removed = store.operate(log.next(), d, SET, WritePolicy.DEFAULT,
                current -> Update.write(Bins.empty(), current.bins()));
        assertOk(removed);
        assertEquals(bins("a", 1), removed.bins());
        assertNotFound(store, d);
        assertTrue(snapshot(store, 1).get(0).tombstone());
    }

    // ---- limits ------------------------------------------------------------------------------------

    @Test
    void putWithEmptyBinsIsBadRequest() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        assertCode(ResultCode.BAD_REQUEST, store.put(log.next(), d, SET, Bins.empty(), WritePolicy.DEFAULT));
        assertNotFound(store, d);
    }

    @Test
    void recordOverMaxSizeIsTooBigAndChangesNothing() {
        RecordStore store = openStore(b -> b.writeBlockSizeBytes(StoreConfig.MIN_WRITE_BLOCK_BYTES).maxRecordSizeBytes(2048));
        Digest d = digest(1, 1);
        Bins small = Bins.of("blob", Value.of(new byte[1000]));
        Bins big = Bins.of("blob", Value.of(new byte[2048]));
        assertCode(ResultCode.RECORD_TOO_BIG, store.put(log.next(), d, SET, big, WritePolicy.DEFAULT));
        assertNotFound(store, d);
        assertOk(store.put(log.next(), d, SET, small, WritePolicy.DEFAULT));
        assertCode(ResultCode.RECORD_TOO_BIG, store.put(log.next(), d, SET, big, WritePolicy.DEFAULT));
        assertEquals(small, get(store, d).bins());
    }

    // ---- truncate ----------------------------------------------------------------------------------

    @Test
    void truncateRemovesOnlyTheSetInTheGivenPartitions() {
        RecordStore store = openStore();
        Digest inSet = digest(1, 1);
        Digest inSetToo = digest(1, 2);
        Digest otherSet = digest(1, 3);
        Digest otherPartition = digest(2, 1);
        store.put(log.next(), inSet, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.put(log.next(), inSetToo, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.delete(log.next(), inSetToo, WritePolicy.DEFAULT);
        store.put(log.next(), otherSet, OTHER_SET, bins("a", 1), WritePolicy.DEFAULT);
        store.put(log.next(), otherPartition, SET, bins("a", 1), WritePolicy.DEFAULT);

        assertEquals(1, store.truncate(log.next(), SET, partitions(1)));
        assertNotFound(store, inSet);
        assertEquals(List.of(otherSet), digests(snapshot(store, 1)));
        assertTrue(get(store, otherSet).found());
        assertTrue(get(store, otherPartition).found());
    }

    @Test
    void truncateSparesRecordsWrittenAtLaterLogIndexes() {
        RecordStore store = openStore();
        Digest older = digest(1, 1);
        Digest newer = digest(1, 2);
        store.put(log.next(), older, SET, bins("a", 1), WritePolicy.DEFAULT);
        log.skipTo(100);
        store.put(log.next(), newer, SET, bins("a", 1), WritePolicy.DEFAULT);
        // A truncate replayed from index 50 removes what was written before it, not after.
        WriteContext replayedTruncate = new WriteContext(0, 50, log.nowMs(), 50);
        assertEquals(1, store.truncate(replayedTruncate, SET, partitions(1)));
        assertNotFound(store, older);
        assertTrue(get(store, newer).found());
    }

    @Test
    void truncateSurvivesCheckpointAndReopen() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        Digest truncated = digest(1, 1);
        Digest kept = digest(2, 1);
        store.put(log.next(), truncated, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.put(log.next(), kept, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.checkpoint(0, log.lastIndex());
        store.truncate(log.next(), SET, partitions(1));
        store.checkpoint(0, log.lastIndex());

        store = reopen(store, config);
        assertNotFound(store, truncated);
        assertEquals(List.of(), snapshot(store, 1));
        assertTrue(get(store, kept).found());
    }

    // ---- replay ------------------------------------------------------------------------------------

    @Test
    void replayOfAppliedEntryChangesNothing() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        WriteContext first = log.next();
        WriteContext second = log.next();
        assertOk(store.put(first, d, SET, bins("a", 1), WritePolicy.DEFAULT));
        assertOk(store.put(second, d, SET, bins("a", 2), WritePolicy.DEFAULT));
        List<RecordVersion> before = snapshot(store, 1);

        assertReplayed(store.put(first, d, SET, bins("a", 99), WritePolicy.DEFAULT));
        assertReplayed(store.put(second, d, SET, bins("a", 99), WritePolicy.of(RecordExistsAction.CREATE_ONLY)));
        assertReplayed(store.delete(second, d, WritePolicy.DEFAULT));
        assertReplayed(store.touch(first, d, WritePolicy.DEFAULT));
        assertReplayed(store.operate(second, d, SET, WritePolicy.DEFAULT, current -> {
            throw new AssertionError("a replayed operate must not run its update");
        }));
        assertEquals(before, snapshot(store, 1));
        assertEquals(bins("a", 2), get(store, d).bins());
    }

    @Test
    void replayingTheLogAfterReopenReachesTheSameState() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        List<Runnable> entries = new ArrayList<>();
        RecordStore[] target = {store};
        for (int n = 0; n < 6; n++) {
            Digest d = digest(n % 3, n);
            WriteContext put = log.next();
            WriteContext operate = log.next();
            entries.add(() -> target[0].put(put, d, SET, bins("a", 1), WritePolicy.DEFAULT));
            entries.add(() -> target[0].operate(operate, d, SET, WritePolicy.DEFAULT, increment("a")));
            if (n % 2 == 0) {
                WriteContext delete = log.next();
                entries.add(() -> target[0].delete(delete, d, WritePolicy.DEFAULT));
            }
        }
        WriteContext truncate = log.next();
        entries.add(() -> target[0].truncate(truncate, SET, partitions(2)));
        int checkpointed = entries.size() / 2;
        entries.subList(0, checkpointed).forEach(Runnable::run);
        store.checkpoint(0, log.lastIndex());
        entries.subList(checkpointed, entries.size()).forEach(Runnable::run);
        List<RecordVersion> expected = snapshot(store, 0, 1, 2);

        target[0] = reopen(store, config);
        // The caller replays from the checkpoint: whatever the store kept, the end state is the same.
        entries.subList(checkpointed, entries.size()).forEach(Runnable::run);
        assertEquals(expected, snapshot(target[0], 0, 1, 2));
    }

    // ---- scan --------------------------------------------------------------------------------------

    @Test
    void scanReturnsLiveRecordsOfOnePartitionInDigestOrder() {
        RecordStore store = openStore();
        for (int n : new int[] {5, 1, 3, 4, 2}) {
            store.put(log.next(), digest(7, n), SET, bins("n", n), WritePolicy.DEFAULT);
        }
        store.put(log.next(), digest(7, 6), SET, bins("n", 6), WritePolicy.DEFAULT.withTtlSec(1));
        store.put(log.next(), digest(7, 7), SET, bins("n", 7), WritePolicy.DEFAULT);
        store.delete(log.next(), digest(7, 7), WritePolicy.DEFAULT);
        store.put(log.next(), digest(6, 1), SET, bins("n", 1), WritePolicy.DEFAULT);
        store.put(log.next(), digest(8, 1), SET, bins("n", 1), WritePolicy.DEFAULT);
        // Digests that differ in their first bytes too, to check unsigned order.
        store.put(log.next(), digest(7, 0x80_00_00_00), SET, bins("n", 8), WritePolicy.DEFAULT);
        log.advanceMs(1_000);

        List<StoredRecord> records = scan(store, 7, log.nowMs());
        List<Digest> expected = List.of(digest(7, 1), digest(7, 2), digest(7, 3), digest(7, 4), digest(7, 5),
                digest(7, 0x80_00_00_00));
        assertEquals(expected, records.stream().map(StoredRecord::digest).toList());
        assertEquals(bins("n", 3), records.get(2).bins());
        List<StoredRecord> headers = new ArrayList<>();
        store.scan(7, log.nowMs(), BinSelection.HEADER, headers::add);
        assertEquals(expected.size(), headers.size());
        assertEquals(Bins.empty(), headers.get(0).bins());
        assertEquals(1, headers.get(0).meta().generation());
    }

    // ---- snapshot and ingest -----------------------------------------------------------------------

    @Test
    void snapshotIngestedIntoFreshStoreReproducesScans() {
        RecordStore source = openStore();
        populateMixed(source, 1, 2, 3);
        RecordStore copy = track(open(config(dir.resolve("copy"), UnaryOperator.identity())));
        try (StoreSnapshot snapshot = source.snapshot(partitions(1, 2))) {
            snapshot.forEachRemaining(version -> assertTrue(copy.ingest(version)));
        }
        for (int p : new int[] {1, 2}) {
            assertEquals(scan(source, p, log.nowMs()), scan(copy, p, log.nowMs()));
            assertFalse(scan(copy, p, log.nowMs()).isEmpty());
        }
        assertEquals(snapshot(source, 1, 2), snapshot(copy, 1, 2));
        assertEquals(List.of(), snapshot(copy, 3));
    }

    @Test
    void ingestRefusesSameOrOlderVersion() {
        RecordStore store = openStore();
        Digest d = digest(1, 1);
        RecordVersion current = version(d, 10, bins("a", 10));
        assertTrue(store.ingest(current));
        assertFalse(store.ingest(current));
        assertFalse(store.ingest(version(d, 9, bins("a", 9))));
        assertEquals(List.of(current), snapshot(store, 1));
        RecordVersion later = version(d, 11, bins("a", 11));
        assertTrue(store.ingest(later));
        assertEquals(bins("a", 11), get(store, d).bins());
    }

    @Test
    void snapshotIsUnaffectedByWritesAfterIt() {
        RecordStore store = openStore();
        populateMixed(store, 1, 2);
        List<RecordVersion> expected;
        try (StoreSnapshot taken = store.snapshot(partitions(1, 2)); StoreSnapshot twin = store.snapshot(partitions(1, 2))) {
            expected = drain(twin);
            store.put(log.next(), digest(1, 0), SET, bins("new", 1), WritePolicy.DEFAULT);
            store.put(log.next(), digest(1, 1), SET, bins("changed", 1), WritePolicy.DEFAULT);
            store.delete(log.next(), digest(2, 1), WritePolicy.DEFAULT);
            store.truncate(log.next(), OTHER_SET, partitions(1, 2));
            store.dropPartitions(partitions(2));
            assertEquals(expected, drain(taken));
        }
        assertTrue(expected.size() > 4);
        assertFalse(expected.equals(snapshot(store, 1, 2)));
    }

    // ---- drop, checkpoint, restart -----------------------------------------------------------------

    @Test
    void dropPartitionsRemovesEverythingAndStaysDroppedAfterReopen() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        populateMixed(store, 1, 2, 3);
        List<RecordVersion> kept = snapshot(store, 3);
        store.checkpoint(0, log.lastIndex());

        store.dropPartitions(partitions(1, 2));
        assertDropped(store);
        assertEquals(kept, snapshot(store, 3));
        assertEquals(kept.stream().filter(v -> !v.tombstone()).count(), store.stats().records());
        assertEquals(kept.stream().filter(RecordVersion::tombstone).count(), store.stats().tombstones());

        store = reopen(store, config);
        assertDropped(store);
        assertEquals(kept, snapshot(store, 3));
    }

    @Test
    void checkpointedIndexesSurviveReopen() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        assertEquals(Map.of(), store.checkpointedIndexes());
        store.put(log.next(), digest(1, 1), SET, bins("a", 1), WritePolicy.DEFAULT);
        store.checkpoint(0, 5);
        store.checkpoint(3, 7);
        store.checkpoint(0, 9);
        assertEquals(Map.of(0, 9L, 3, 7L), store.checkpointedIndexes());
        store = reopen(store, config);
        assertEquals(Map.of(0, 9L, 3, 7L), store.checkpointedIndexes());
    }

    // ---- eviction and maintenance ------------------------------------------------------------------

    @Test
    void evictionCandidatesAreTheSoonestExpiringAndTheirDeletesReplaySafely() {
        RecordStore store = openStore();
        Map<Digest, Long> ttlSecByDigest = new LinkedHashMap<>();
        ttlSecByDigest.put(digest(1, 1), 100L);
        ttlSecByDigest.put(digest(1, 2), 50L);
        ttlSecByDigest.put(digest(2, 3), 200L);
        ttlSecByDigest.put(digest(2, 4), WritePolicy.TTL_NEVER);
        ttlSecByDigest.put(digest(2, 5), 50L);
        ttlSecByDigest.put(digest(3, 6), 10L);
        ttlSecByDigest.forEach((d, ttl) -> store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(ttl)));

        // Partition 3 is not asked for; the two that expire at 50 s come first, lower digest first;
        // a record that never expires is never a candidate.
        List<EvictionCandidate> all = store.evictionCandidates(partitions(1, 2), log.nowMs(), 10);
        List<Digest> fifty = new ArrayList<>(List.of(digest(1, 2), digest(2, 5)));
        fifty.sort(null);
        assertEquals(List.of(fifty.get(0), fifty.get(1), digest(1, 1), digest(2, 3)),
                all.stream().map(EvictionCandidate::digest).toList());
        List<EvictionCandidate> two = store.evictionCandidates(partitions(1, 2), log.nowMs(), 2);
        assertEquals(all.subList(0, 2), two);

        // The leader proposes deletes with the candidates' generations; a record rewritten since is spared.
        store.put(log.next(), two.get(1).digest(), SET, bins("a", 2), WritePolicy.DEFAULT.withTtlSec(50));
        List<WriteContext> evictions = new ArrayList<>();
        for (EvictionCandidate candidate : two) {
            WriteContext ctx = log.next();
            evictions.add(ctx);
            store.delete(ctx, candidate.digest(), WritePolicy.DEFAULT.withExpectedGeneration(candidate.generation()));
        }
        assertEquals(ResultCode.NOT_FOUND, store.get(two.get(0).digest(), BinSelection.ALL, log.nowMs()).code());
        assertEquals(bins("a", 2), get(store, two.get(1).digest()).bins());
        // Replaying the eviction entries changes nothing.
        for (int i = 0; i < two.size(); i++) {
            WriteResult replay = store.delete(evictions.get(i), two.get(i).digest(),
                    WritePolicy.DEFAULT.withExpectedGeneration(two.get(i).generation()));
            assertTrue(replay.replayed() || replay.code() == ResultCode.GENERATION_MISMATCH);
        }
        assertEquals(bins("a", 2), get(store, two.get(1).digest()).bins());
    }

    @Test
    void maintenanceReclaimsExpiredRecordsWithoutChangingReads() {
        RecordStore store = openStore();
        List<Digest> all = new ArrayList<>();
        int expiring = 0;
        for (int n = 0; n < 30; n++) {
            Digest d = digest(n % 4, n);
            all.add(d);
            boolean expires = n % 3 == 0;
            boolean deleted = n % 5 == 1;
            expiring += expires && !deleted ? 1 : 0;
            store.put(log.next(), d, SET, bins("n", n), WritePolicy.DEFAULT.withTtlSec(expires ? 10 : 1000));
            if (deleted) {
                store.delete(log.next(), d, WritePolicy.DEFAULT);
            }
        }
        long liveBefore = store.stats().records();
        log.advanceMs(10_000);
        // The store learns the time only from writes.
        Digest latest = digest(5, 1);
        all.add(latest);
        store.put(log.next(), latest, SET, bins("n", 1), WritePolicy.DEFAULT);
        Map<Digest, ReadResult> readsBefore = readAll(store, all);
        List<RecordVersion> versionsBefore = snapshot(store, 0, 1, 2, 3, 5);

        store.runMaintenance();
        assertEquals(readsBefore, readAll(store, all));
        assertEquals(liveBefore + 1 - expiring, store.stats().records());
        // Each reclaimed record leaves a tombstone, so that a replay of older entries skips it.
        List<RecordVersion> versionsAfter = snapshot(store, 0, 1, 2, 3, 5);
        assertEquals(versionsBefore.size(), versionsAfter.size());
        assertEquals(versionsBefore.stream().filter(RecordVersion::tombstone).count() + expiring,
                versionsAfter.stream().filter(RecordVersion::tombstone).count());
        assertTrue(versionsAfter.stream().noneMatch(v -> !v.tombstone() && RecordMeta.isExpired(v.voidTimeSec(), log.nowMs())));
    }

    @Test
    void expiryReclaimFindsEveryRecordOnceItExpiresAlsoAfterARestart() {
        StoreConfig config = config(UnaryOperator.identity());
        RecordStore store = track(open(config));
        Digest soon = digest(1, 1);
        Digest later = digest(2, 1);
        store.put(log.next(), soon, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(10));
        store.put(log.next(), later, SET, bins("a", 1), WritePolicy.DEFAULT.withTtlSec(30));
        store.runMaintenance();
        assertEquals(2, store.stats().records(), "nothing has expired");
        advanceWithWrite(store, 10_000);
        store.runMaintenance();
        assertEquals(List.of(soon), tombstones(store, 1, 2), "reclaimed once expired, though an earlier round saw it live");
        store.checkpoint(0, log.lastIndex());

        store = reopen(store, config);
        advanceWithWrite(store, 20_000);
        store.runMaintenance();
        assertEquals(List.of(soon, later), tombstones(store, 1, 2), "a store opened from its files reclaims what it found");
    }

    @Test
    void tombstoneIsDroppedOnlyAfterCheckpointAndRetention() {
        RecordStore store = openStore(b -> b.tombstoneRetentionMs(10_000));
        Digest covered = digest(1, 1);
        Digest deletedAfterCheckpoint = digest(1, 2);
        // A partition of another group, whose log has indexes of its own.
        Digest otherGroup = digest(2, 1);
        TestLog otherLog = new TestLog(1);
        for (Digest d : List.of(covered, deletedAfterCheckpoint)) {
            store.put(log.next(), d, SET, bins("a", 1), WritePolicy.DEFAULT);
        }
        store.delete(log.next(), covered, WritePolicy.DEFAULT);
        store.put(otherLog.next(), otherGroup, SET, bins("a", 1), WritePolicy.DEFAULT);
        store.delete(otherLog.next(), otherGroup, WritePolicy.DEFAULT);
        store.runMaintenance();
        assertEquals(List.of(covered, otherGroup), tombstones(store, 1, 2), "no checkpoint covers the tombstones yet");

        advanceWithWrite(store, 20_000);
        store.runMaintenance();
        assertEquals(List.of(covered, otherGroup), tombstones(store, 1, 2), "no checkpoint covers the tombstones yet");

        store.checkpoint(0, log.lastIndex());
        store.delete(log.next(), deletedAfterCheckpoint, WritePolicy.DEFAULT);
        advanceWithWrite(store, 9_999);
        store.runMaintenance();
        assertEquals(List.of(covered, deletedAfterCheckpoint, otherGroup), tombstones(store, 1, 2),
                "the retention has not passed since the checkpoint");

        advanceWithWrite(store, 1);
        store.runMaintenance();
        if (tombstonesOutliveOlderVersions()) {
            // The deleted versions are still on the device: the tombstones must stay.
            assertEquals(List.of(covered, deletedAfterCheckpoint, otherGroup), tombstones(store, 1, 2));
        } else {
            // Group 1 never checkpointed, and the second delete came after group 0's checkpoint.
            assertEquals(List.of(deletedAfterCheckpoint, otherGroup), tombstones(store, 1, 2));
            assertEquals(2, store.stats().tombstones());
        }
        assertNotFound(store, covered);
    }

    /**
     * Whether the engine keeps a tombstone while an older version of the record may still be
     * read by a restart (the device engine's tomb raid), beyond checkpoint and retention.
     */
    protected boolean tombstonesOutliveOlderVersions() {
        return false;
    }

    // ---- concurrency -------------------------------------------------------------------------------

    @Test
    void concurrentIncrementsLoseNoUpdateAndNoReadIsTorn() throws Exception {
        RecordStore store = openStore();
        int threads = 8;
        int keys = 16;
        int incrementsPerThread = 300;
        Digest[] digests = new Digest[keys];
        for (int k = 0; k < keys; k++) {
            // Four partitions: keys share partition locks as well as records.
            digests[k] = digest(k % 4, k);
        }
        // Indexes are handed out before the lock is taken, so a later index may apply first:
        // the earlier entry is then reported as replayed and changes nothing, as after a crash.
        AtomicLong nextIndex = new AtomicLong();
        AtomicLongArray applied = new AtomicLongArray(keys);
        AtomicLong replayed = new AtomicLong();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        long nowMs = log.nowMs();
        RecordUpdate incrementBoth = current -> {
            long a = current == null ? 0 : longBin(current.bins(), "a");
            long b = current == null ? 0 : longBin(current.bins(), "b");
            return Update.write(bins("a", a + 1, "b", b + 1), Bins.empty());
        };
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(42 + t);
                workers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < incrementsPerThread; i++) {
                        int k = random.nextInt(keys);
                        long index = nextIndex.incrementAndGet();
                        WriteResult result = store.operate(new WriteContext(0, index, nowMs, index), digests[k], SET,
                                WritePolicy.DEFAULT, incrementBoth);
                        if (!result.ok()) {
                            problems.add("increment failed: " + result);
                        } else if (result.replayed()) {
                            replayed.incrementAndGet();
                        } else {
                            applied.incrementAndGet(k);
                        }
                        ReadResult read = store.get(digests[random.nextInt(keys)], BinSelection.ALL, nowMs);
                        if (read.found() && !(longBin(read.bins(), "a") == longBin(read.bins(), "b")
                                && longBin(read.bins(), "a") == read.meta().generation())) {
                            problems.add("torn read: " + read);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> worker : workers) {
                worker.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), List.copyOf(problems));
        long appliedTotal = 0;
        for (int k = 0; k < keys; k++) {
            appliedTotal += applied.get(k);
            ReadResult read = store.get(digests[k], BinSelection.ALL, nowMs);
            long value = read.found() ? longBin(read.bins(), "a") : 0;
            assertEquals(applied.get(k), value, "increments applied to key " + k);
        }
        assertEquals((long) threads * incrementsPerThread, appliedTotal + replayed.get());
        assertTrue(appliedTotal > threads * incrementsPerThread / 4, "too few increments applied: " + appliedTotal);
    }

    // ---- helpers -----------------------------------------------------------------------------------

    /** The engine's config for a data directory, background maintenance off, then the test's changes. */
    protected StoreConfig config(Path dataDir, UnaryOperator<StoreConfig.Builder> change) {
        return change.apply(configure(StoreConfig.builder().backgroundMaintenance(false), dataDir)).build();
    }

    protected StoreConfig config(UnaryOperator<StoreConfig.Builder> change) {
        return config(dir.resolve("store"), change);
    }

    protected RecordStore openStore() {
        return openStore(UnaryOperator.identity());
    }

    protected RecordStore openStore(UnaryOperator<StoreConfig.Builder> change) {
        return track(open(config(change)));
    }

    /** Closes the store after the test. */
    protected RecordStore track(RecordStore store) {
        opened.add(store);
        return store;
    }

    /** A digest in the given partition; digests of one partition sort by {@code n} (unsigned). */
    protected static Digest digest(int partition, int n) {
        byte[] bytes = new byte[Digest.LENGTH];
        bytes[0] = (byte) partition;
        bytes[1] = (byte) (partition >>> 8);
        bytes[2] = (byte) (n >>> 24);
        bytes[3] = (byte) (n >>> 16);
        bytes[4] = (byte) (n >>> 8);
        bytes[5] = (byte) n;
        Digest digest = Digest.of(bytes);
        assertEquals(partition, digest.partition());
        return digest;
    }

    protected static BitSet partitions(int... partitions) {
        BitSet set = new BitSet();
        for (int p : partitions) {
            set.set(p);
        }
        return set;
    }

    /** Integer bins from name, value pairs. */
    protected static Bins bins(Object... nameValuePairs) {
        Map<String, Value> map = new HashMap<>();
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            map.put((String) nameValuePairs[i], Value.of(((Number) nameValuePairs[i + 1]).longValue()));
        }
        return Bins.of(map);
    }

    protected static long longBin(Bins bins, String name) {
        return ((Value.IntegerValue) bins.get(name)).value();
    }

    /** Adds one to an integer bin (creating it at 1), answering its new value; a non-integer is a type error. */
    protected static RecordUpdate increment(String name) {
        return current -> {
            Value value = current == null ? null : current.bins().get(name);
            if (value != null && !(value instanceof Value.IntegerValue)) {
                return Update.reject(ResultCode.BIN_TYPE_ERROR);
            }
            long next = value == null ? 1 : ((Value.IntegerValue) value).value() + 1;
            Bins written = bins(name, next);
            return Update.write(current == null ? written : current.bins().merge(written), written);
        };
    }

    protected long nowSec() {
        return Math.floorDiv(log.nowMs(), 1000);
    }

    protected ReadResult get(RecordStore store, Digest digest) {
        ReadResult read = store.get(digest, BinSelection.ALL, log.nowMs());
        assertTrue(read.found(), () -> digest + " not found");
        return read;
    }

    protected void assertNotFound(RecordStore store, Digest digest) {
        assertEquals(ResultCode.NOT_FOUND, store.get(digest, BinSelection.ALL, log.nowMs()).code());
    }

    protected static void assertOk(WriteResult result) {
        assertEquals(ResultCode.OK, result.code(), () -> "result " + result);
        assertFalse(result.replayed(), () -> "unexpected replay " + result);
    }

    protected static void assertCode(ResultCode expected, WriteResult result) {
        assertEquals(expected, result.code(), () -> "result " + result);
    }

    protected static void assertReplayed(WriteResult result) {
        assertEquals(ResultCode.OK, result.code(), () -> "result " + result);
        assertTrue(result.replayed(), () -> "not reported as replayed: " + result);
    }

    protected static List<StoredRecord> scan(RecordStore store, int partition, long nowMs) {
        List<StoredRecord> records = new ArrayList<>();
        store.scan(partition, nowMs, BinSelection.ALL, records::add);
        return records;
    }

    protected static List<RecordVersion> snapshot(RecordStore store, int... partitions) {
        try (StoreSnapshot snapshot = store.snapshot(partitions(partitions))) {
            return drain(snapshot);
        }
    }

    protected static List<RecordVersion> drain(StoreSnapshot snapshot) {
        List<RecordVersion> versions = new ArrayList<>();
        snapshot.forEachRemaining(versions::add);
        return versions;
    }

    protected static List<Digest> digests(List<RecordVersion> versions) {
        return versions.stream().map(RecordVersion::digest).toList();
    }

    /** A version as another store would export it. */
    protected static RecordVersion version(Digest digest, long logIndex, Bins bins) {
        return new RecordVersion(digest, SET, (int) logIndex, 0, logIndex, 0, logIndex, false,
                ValueCodec.encodeBins(bins));
    }

    /** Moves the callers' time on; a write is how the store hears of it. */
    protected void advanceWithWrite(RecordStore store, long ms) {
        log.advanceMs(ms);
        store.put(log.next(), digest(4000, 1), SET, bins("clock", log.lastIndex()), WritePolicy.DEFAULT);
    }

    private static List<Digest> tombstones(RecordStore store, int... partitions) {
        return digests(snapshot(store, partitions).stream().filter(RecordVersion::tombstone).toList());
    }

    private List<Digest> liveDigests(RecordStore store, int... partitions) {
        List<Digest> live = new ArrayList<>();
        for (int p : partitions) {
            scan(store, p, log.nowMs()).forEach(record -> live.add(record.digest()));
        }
        return live;
    }

    private Map<Digest, ReadResult> readAll(RecordStore store, List<Digest> digests) {
        Map<Digest, ReadResult> reads = new HashMap<>();
        digests.forEach(d -> reads.put(d, store.get(d, BinSelection.ALL, log.nowMs())));
        return reads;
    }

    /**
     * Writes, in each partition, live records of two sets, a deleted one, an expired one and one
     * updated twice.
     */
    private void populateMixed(RecordStore store, int... partitions) {
        for (int p : partitions) {
            store.put(log.next(), digest(p, 1), SET, bins("a", p), WritePolicy.DEFAULT);
            store.put(log.next(), digest(p, 2), OTHER_SET, bins("a", p, "b", 2), WritePolicy.DEFAULT.withTtlSec(600));
            store.put(log.next(), digest(p, 3), SET, bins("a", 3), WritePolicy.DEFAULT);
            store.delete(log.next(), digest(p, 3), WritePolicy.DEFAULT);
            store.put(log.next(), digest(p, 4), SET, bins("a", 4), WritePolicy.DEFAULT.withTtlSec(1));
            store.put(log.next(), digest(p, 5), SET, bins("a", 5), WritePolicy.DEFAULT);
            store.operate(log.next(), digest(p, 5), SET, WritePolicy.DEFAULT, increment("a"));
        }
        log.advanceMs(1_000);
    }

    private void assertDropped(RecordStore store) {
        for (int p : new int[] {1, 2}) {
            assertEquals(List.of(), snapshot(store, p));
            assertEquals(List.of(), scan(store, p, log.nowMs()));
            for (int n = 1; n <= 5; n++) {
                assertNotFound(store, digest(p, n));
            }
        }
    }
}
