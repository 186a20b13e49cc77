package io.flashraft.device;

import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.RecordExistsAction;
import io.flashraft.protocol.WritePolicy;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import io.flashraft.device.block.FaultyBlockDevice;
import io.flashraft.device.flash.DeviceStore;
import io.flashraft.device.format.RecordFormat;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;
import org.quicktheories.generators.Generate;

/**
 * Proves that the device store, driven by random sequences of writes, reads, expiry, maintenance
 * (defrag, expiry reclaim, tomb raids), checkpoints, clean restarts and crashes with torn writes
 * followed by replay of the log, always answers exactly like a plain in-memory model of the
 * record semantics.
 *
 * <p>QuickTheories generates the command lists. Its stateful {@code Sequential.modelCheck} only
 * compares whole states after each command and never shows the model what the store answered, so
 * it can neither check result codes nor accept a DEVICE_FULL that the model cannot predict; the
 * commands are therefore run here, one by one, against the store and the model, comparing every
 * answer and then every key. A failing list is shrunk by removing commands while it still fails.
 *
 * <p>The store sits on two small {@link FaultyBlockDevice}s, so that write blocks fill, are
 * defragmented, freed and reused within one example, and the harness plays the leader: it refuses
 * growing writes past stop-writes, logs every entry it applies, checkpoints per partition group,
 * and after a crash replays each group's entries after its checkpoint with their original
 * {@link WriteContext}.
 *
 * <p>Sizing: {@code -Dflashraft.test.examples} (default 60) command lists of
 * {@code -Dflashraft.test.steps} (default 60) commands each; {@code -Dflashraft.test.seed} (a number,
 * or {@code random}) picks the generator seed, printed on failure.
 */
class StoreModelTest {
    private static final int EXAMPLES = Integer.getInteger("flashraft.test.examples", 60);
    private static final int STEPS = Integer.getInteger("flashraft.test.steps", 60);
    private static final long DEFAULT_SEED = 0x5EED_F1A5L;

    private static final int WRITE_BLOCK_BYTES = 64 * 1024;
    /** Two devices of 15 usable write blocks each: defrag and block reuse happen within an example. */
    private static final int DEVICES = 2;
    private static final int DEVICE_BYTES = 384 * 1024;
    /** Free blocks the main write stream leaves to the defragmenter ({@code WriteBlocks.DEFRAG_RESERVE_BLOCKS}). */
    private static final int DEFRAG_RESERVE_BLOCKS = 2;
    private static final long DEFAULT_TTL_SEC = 20;
    private static final long TOMBSTONE_RETENTION_MS = 1000;
    private static final long START_MS = 1_700_000_000_000L;
    /** A payload this large makes a record bigger than a write block: RECORD_TOO_BIG. */
    private static final int TOO_BIG_PAYLOAD_BYTES = WRITE_BLOCK_BYTES + 4096;
    private static final int MAX_PAYLOAD_BYTES = 40 * 1024;

    private static final String[] SETS = {"users", "orders"};
    /** Two partition groups (partition p belongs to group p mod 2), two partitions each; the keys collide in them. */
    private static final int[][] GROUP_PARTITIONS = {{100, 2900}, {101, 2901}};
    private static final int[] GROUPS = {0, 1};
    private static final List<Key> KEYS = findKeys(20);

    /** Cold starts after torn writes log corruption warnings by design; keep the output readable. */
    private static final java.util.logging.Logger STORE_LOG = quietStoreLogging();

    /** Coverage over all examples: proves the interesting paths ran. */
    private static final Map<String, AtomicLong> COVERAGE = new TreeMap<>();

    @Test
    void deviceStoreAnswersLikeTheModelThroughCrashesRestartsAndMaintenance(@TempDir Path tmp) {
        String seedProperty = System.getProperty("flashraft.test.seed", Long.toString(DEFAULT_SEED));
        long seed = seedProperty.equals("random") ? new Random().nextLong() : Long.parseLong(seedProperty);
        AtomicInteger runs = new AtomicInteger();
        AtomicReference<List<Command>> firstFailure = new AtomicReference<>();
        try {
            qt().withFixedSeed(seed)
                    .withExamples(EXAMPLES)
                    .withShrinkCycles(Integer.getInteger("flashraft.test.shrinks", 0))
                    .forAll(lists().of(command()).ofSize(STEPS))
                    .checkAssert(commands -> {
                        try {
                            runExample(tmp.resolve("run-" + runs.incrementAndGet()), commands);
                        } catch (AssertionError e) {
                            firstFailure.compareAndSet(null, commands);
                            throw e;
                        }
                    });
        } catch (AssertionError e) {
            String minimized = firstFailure.get() == null ? "" : "\nminimized to:\n  "
                    + minimize(tmp, firstFailure.get(), runs).stream().map(Object::toString)
                    .collect(Collectors.joining("\n  "));
            throw new AssertionError("StoreModelTest failed; reproduce with -Dflashraft.test.seed=" + seed
                    + " -Dflashraft.test.examples=" + EXAMPLES + " -Dflashraft.test.steps=" + STEPS + minimized
                    + "\n" + e.getMessage(), e);
        }
        System.out.println("StoreModelTest seed " + seed + ", " + runs.get() + " runs, coverage " + COVERAGE);
        if (EXAMPLES * STEPS >= 3600) {
            for (String path : List.of("defrag-records-moved", "expired-reclaimed", "tombstones-dropped",
                    "blocks-reused", "crashes", "crash-unsynced-writes", "crash-torn-writes", "replay-skipped",
                    "replay-applied",
                    "restarts", "truncated", "evicted", "rejected-RECORD_TOO_BIG", "rejected-BIN_TYPE_ERROR",
                    "rejected-GENERATION_MISMATCH", "rejected-RECORD_EXISTS", "expired-reads", "stop-writes")) {
                assertTrue(coverage(path) > 0, "no example exercised " + path + ": " + COVERAGE);
            }
        }
    }

    private static void runExample(Path dataDir, List<Command> commands) {
        try (Harness harness = new Harness(dataDir)) {
            harness.run(commands);
        } catch (RuntimeException e) {
            throw new AssertionError("the store failed: " + e, e);
        }
    }

    /**
     * Shrinks a failing command list by removing ever smaller chunks while it still fails
     * (QuickTheories shrinks the random draws, and a shorter list shifts every later draw, so its
     * own shrinking rarely gets far on command lists).
     */
    private static List<Command> minimize(Path tmp, List<Command> failing, AtomicInteger runs) {
        List<Command> current = new ArrayList<>(failing);
        for (int chunk = Math.max(1, current.size() / 2); chunk >= 1; chunk = chunk == 1 ? 0 : Math.max(1, chunk / 2)) {
            boolean removed = true;
            while (removed) {
                removed = false;
                for (int start = 0; start + chunk <= current.size(); ) {
                    List<Command> candidate = new ArrayList<>(current.subList(0, start));
                    candidate.addAll(current.subList(start + chunk, current.size()));
                    if (fails(tmp, candidate, runs)) {
                        current = candidate;
                        removed = true;
                    } else {
                        start += chunk;
                    }
                }
            }
        }
        return current;
    }

    private static boolean fails(Path tmp, List<Command> commands, AtomicInteger runs) {
        try {
            runExample(tmp.resolve("run-" + runs.incrementAndGet()), commands);
            return false;
        } catch (AssertionError e) {
            return true;
        }
    }

    private static java.util.logging.Logger quietStoreLogging() {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.flashraft.device.flash");
        logger.setLevel(java.util.logging.Level.SEVERE);
        return logger;
    }

    // ---- keys -------------------------------------------------------------------------------------

    /** A record address: its set, user key, digest and the group that owns its partition. */
    record Key(int id, String set, long userKey, Digest digest, int group) {
        @Override
        public String toString() {
            return "k" + id + "(" + set + "/" + userKey + " p" + digest.partition() + " g" + group + ")";
        }
    }

    /** Real key digests, searched so that the keys fall in a few partitions and collide there. */
    private static List<Key> findKeys(int count) {
        Map<Integer, Integer> groupOf = new HashMap<>();
        for (int g = 0; g < GROUPS.length; g++) {
            for (int p : GROUP_PARTITIONS[g]) {
                groupOf.put(p, GROUPS[g]);
            }
        }
        Map<String, Integer> perCell = new HashMap<>();
        List<Key> keys = new ArrayList<>();
        for (long userKey = 0; keys.size() < count; userKey++) {
            for (String set : SETS) {
                Digest digest = KeyDigest.of(set, userKey);
                Integer group = groupOf.get(digest.partition());
                if (group != null && keys.size() < count
                        && perCell.merge(set + "/" + digest.partition(), 1, Integer::sum) <= 3) {
                    keys.add(new Key(keys.size(), set, userKey, digest, group));
                }
            }
        }
        return List.copyOf(keys);
    }

    // ---- commands ---------------------------------------------------------------------------------

    /** One step of a scenario. Plain values, so that QuickTheories can print and shrink lists of them. */
    sealed interface Command permits Put, Get, Delete, Touch, Increment, DeleteBin, Truncate, Evict, AdvanceClock,
            Maintenance, Checkpoint, Restart, Crash {
        void run(Harness h);
    }

    /** genMode: 0 no generation check, 1 the current generation, 2 a wrong one. ttlMode: see {@link #ttl}. */
    record Put(int key, RecordExistsAction action, int genMode, int ttlMode, int binMask, int valueSeed,
               int payloadBytes) implements Command {
        public void run(Harness h) {
            h.put(this);
        }
    }

    /** selection: 0 all bins, 1 bins "a" and "n", 2 header only. */
    record Get(int key, int selection) implements Command {
        public void run(Harness h) {
            h.get(this);
        }
    }

    record Delete(int key, int genMode) implements Command {
        public void run(Harness h) {
            h.delete(this);
        }
    }

    record Touch(int key, int genMode, int ttlMode) implements Command {
        public void run(Harness h) {
            h.touch(this);
        }
    }

    /** Operate: add {@code delta} to integer bin "n" (created if missing); BIN_TYPE_ERROR if "n" is not an integer. */
    record Increment(int key, RecordExistsAction action, int genMode, int ttlMode, int delta) implements Command {
        public void run(Harness h) {
            h.increment(this);
        }
    }

    /** Operate: remove one bin; removing the last one deletes the record. */
    record DeleteBin(int key, String bin, int ttlMode) implements Command {
        public void run(Harness h) {
            h.deleteBin(this);
        }
    }

    /** Truncate a set in the partitions of one group picked by {@code partitionMask}. */
    record Truncate(int groupIndex, int set, int partitionMask) implements Command {
        public void run(Harness h) {
            h.truncate(this);
        }
    }

    record Evict(int groupIndex, int maxRecords) implements Command {
        public void run(Harness h) {
            h.evict(this);
        }
    }

    record AdvanceClock(int ms) implements Command {
        public void run(Harness h) {
            h.nowMs += ms;
        }
    }

    record Maintenance() implements Command {
        public void run(Harness h) {
            h.maintenance();
        }
    }

    record Checkpoint(int groupIndex) implements Command {
        public void run(Harness h) {
            h.checkpoint(this);
        }
    }

    record Restart() implements Command {
        public void run(Harness h) {
            h.restart();
        }
    }

    record Crash(long seed) implements Command {
        public void run(Harness h) {
            h.crash(this);
        }
    }

    private static int draw(RandomnessSource in, int min, int max) {
        return Generate.range(min, max).generate(in);
    }

    /** Commands with the simplest (a put) where every draw shrinks to. */
    private static Gen<Command> command() {
        return in -> {
            int roll = draw(in, 0, 99);
            int key = draw(in, 0, KEYS.size() - 1);
            if (roll < 28) {
                int payload = draw(in, 0, 99) < 3 ? TOO_BIG_PAYLOAD_BYTES : draw(in, 0, MAX_PAYLOAD_BYTES);
                return new Put(key, existsAction(in), genMode(in), ttlMode(in), draw(in, 1, 15), draw(in, 0, 1000),
                        payload);
            } else if (roll < 34) {
                return new Get(key, draw(in, 0, 2));
            } else if (roll < 42) {
                return new Delete(key, genMode(in));
            } else if (roll < 46) {
                return new Touch(key, genMode(in), ttlMode(in));
            } else if (roll < 55) {
                return new Increment(key, existsAction(in), genMode(in), ttlMode(in), draw(in, 1, 9));
            } else if (roll < 58) {
                return new DeleteBin(key, List.of("a", "b", "n", "p").get(draw(in, 0, 3)), ttlMode(in));
            } else if (roll < 60) {
                return new Truncate(draw(in, 0, 1), draw(in, 0, 1), draw(in, 1, 3));
            } else if (roll < 62) {
                return new Evict(draw(in, 0, 1), draw(in, 1, 3));
            } else if (roll < 74) {
                return new AdvanceClock(draw(in, 0, 1) == 0 ? draw(in, 1, 2000) : draw(in, 2000, 20_000));
            } else if (roll < 82) {
                return new Maintenance();
            } else if (roll < 90) {
                return new Checkpoint(draw(in, 0, 1));
            } else if (roll < 94) {
                return new Restart();
            } else {
                return new Crash(draw(in, 0, Integer.MAX_VALUE));
            }
        };
    }

    /** Mostly upserts, so that records live long enough to be overwritten, moved and expired. */
    private static RecordExistsAction existsAction(RandomnessSource in) {
        int roll = draw(in, 0, 19);
        return roll < 10 ? RecordExistsAction.UPSERT : roll < 14 ? RecordExistsAction.REPLACE
                : roll < 17 ? RecordExistsAction.UPDATE_ONLY : RecordExistsAction.CREATE_ONLY;
    }

    private static int genMode(RandomnessSource in) {
        int roll = draw(in, 0, 19);
        return roll < 16 ? 0 : roll < 19 ? 1 : 2;
    }

    /** 0-3 the default TTL, 4 never, 5 unchanged, 6.. seconds (ttlMode - 5). */
    private static int ttlMode(RandomnessSource in) {
        int roll = draw(in, 0, 9);
        return roll < 6 ? roll : 5 + draw(in, 1, 30);
    }

    private static long ttl(int ttlMode) {
        if (ttlMode < 4) {
            return WritePolicy.TTL_DEFAULT;
        }
        return ttlMode == 4 ? WritePolicy.TTL_NEVER : ttlMode == 5 ? WritePolicy.TTL_UNCHANGED : ttlMode - 5;
    }

    /** The bins a put writes: "a" string, "b" integer, "n" integer or (to provoke BIN_TYPE_ERROR) string, "p" bytes. */
    static Bins bins(int mask, int valueSeed, int payloadBytes) {
        Map<String, Value> bins = new TreeMap<>();
        if ((mask & 1) != 0) {
            bins.put("a", Value.of("v" + valueSeed));
        }
        if ((mask & 2) != 0) {
            bins.put("b", Value.of((long) valueSeed));
        }
        if ((mask & 4) != 0) {
            bins.put("n", valueSeed % 4 == 0 ? Value.of("not a number") : Value.of((long) (valueSeed % 100)));
        }
        if ((mask & 8) != 0) {
            byte[] payload = new byte[payloadBytes];
            new Random(valueSeed).nextBytes(payload);
            bins.put("p", Value.of(payload));
        }
        return Bins.of(bins);
    }

    /** The update an increment runs, shared by the store (as a {@link RecordUpdate}) and the model. */
    static Update incremented(Bins current, int delta) {
        Value n = current == null ? null : current.get("n");
        if (n != null && !(n instanceof Value.IntegerValue)) {
            return Update.reject(ResultCode.BIN_TYPE_ERROR);
        }
        long next = (n == null ? 0 : ((Value.IntegerValue) n).value()) + delta;
        Map<String, Value> bins = new TreeMap<>(current == null ? Map.of() : current.asMap());
        bins.put("n", Value.of(next));
        return Update.write(Bins.of(bins), Bins.of("n", Value.of(next)));
    }

    /** The update that removes one bin. */
    static Update withoutBin(Bins current, String bin) {
        Map<String, Value> bins = new TreeMap<>(current == null ? Map.of() : current.asMap());
        bins.remove(bin);
        return Update.write(Bins.of(bins), Bins.empty());
    }

    // ---- the model --------------------------------------------------------------------------------

    /** A record as the model keeps it: expired records stay until overwritten, deleted ones go. */
    record ModelRecord(String set, SortedMap<String, Value> bins, int generation, long voidTimeSec, long stamp) {
        boolean liveAt(long nowMs) {
            return voidTimeSec == 0 || Math.floorDiv(nowMs, 1000) < voidTimeSec;
        }

        @Override
        public String toString() {
            return "ModelRecord[" + set + " " + describe(Bins.of(bins)) + " gen=" + generation + " void=" + voidTimeSec
                    + " stamp=" + stamp + "]";
        }
    }

    /** Bins for failure messages: byte values as their length and hash, not megabytes of hex. */
    static String describe(Bins bins) {
        if (bins == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("{");
        bins.asMap().forEach((name, value) -> out.append(out.length() > 1 ? ", " : "").append(name).append('=')
                .append(value instanceof Value.BytesValue b
                        ? b.length() + " bytes #" + Integer.toHexString(b.hashCode())
                        : value.toString()));
        return out.append('}').toString();
    }

    /** What the model says a write does: a code, and the record after it (null = gone) if it writes. */
    record Expected(ResultCode code, boolean writes, ModelRecord after, Bins resultBins) {
        static Expected rejected(ResultCode code) {
            return new Expected(code, false, null, Bins.empty());
        }
    }

    // ---- the harness ------------------------------------------------------------------------------

    /** A logged write: what replay after a crash re-applies, with its original context. */
    record Entry(int group, long logIndex, String what, Function<DeviceStore, Object> apply) {
    }

    /** One example: a store on a faulty disk, the model beside it, the log since each checkpoint. */
    static final class Harness implements AutoCloseable {
        private final Path dataDir;
        private final Map<Path, FaultyBlockDevice> disks = new TreeMap<>();
        private final StoreConfig config;
        private final Map<Digest, ModelRecord> model = new HashMap<>();
        private final long[] lastIndex = new long[GROUPS.length];
        private final long[] checkpointed = new long[GROUPS.length];
        private final List<Entry> log = new ArrayList<>();
        private final Deque<String> recent = new ArrayDeque<>();
        private final Map<Integer, Set<Long>> blockSequencesSeen = new HashMap<>();
        private DeviceStore store;
        private long nowMs = START_MS;
        private long stamps;
        private long corruptAtLastColdStart;
        private boolean stoppedFull;

        Harness(Path dataDir) {
            this.dataDir = dataDir;
            for (Path path : devicePaths(dataDir)) {
                disks.put(path, new FaultyBlockDevice(path.getFileName().toString(), DEVICE_BYTES, WRITE_BLOCK_BYTES));
            }
            this.config = StoreConfig.builder()
                    .dataDir(dataDir)
                    .devices(devicePaths(dataDir))
                    .deviceSizeBytes(DEVICE_BYTES)
                    .writeBlockSizeBytes(WRITE_BLOCK_BYTES)
                    .flushIntervalMs(60_000)
                    .postWriteQueueBlocks(1)
                    .defaultTtlSec(DEFAULT_TTL_SEC)
                    .tombstoneRetentionMs(TOMBSTONE_RETENTION_MS)
                    .backgroundMaintenance(false)
                    .build();
            store = open();
        }

        private static List<Path> devicePaths(Path dataDir) {
            List<Path> paths = new ArrayList<>();
            for (int d = 0; d < DEVICES; d++) {
                paths.add(dataDir.resolve("device" + d));
            }
            return paths;
        }

        void run(List<Command> commands) {
            for (int step = 0; step < commands.size() && !stoppedFull; step++) {
                Command command = commands.get(step);
                remember("#" + step + " " + command);
                try {
                    command.run(this);
                    verify();
                } catch (AssertionError | RuntimeException e) {
                    throw new AssertionError("step " + step + " of " + commands.size() + ": " + command
                            + " failed: " + e + "\nlast steps:\n  " + String.join("\n  ", recent), e);
                }
            }
        }

        private void remember(String line) {
            recent.addLast(line);
            while (recent.size() > 25) {
                recent.removeFirst();
            }
        }

        private DeviceStore open() {
            try {
                return DeviceStore.open(config, (path, size, direct) -> disks.get(path).open(path, size, direct));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            if (store != null) {
                store.halt();
            }
            try (var files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        // ---- writes ----

        private int groupIndex(Key key) {
            return key.group() == GROUPS[0] ? 0 : 1;
        }

        private WriteContext nextContext(int groupIndex) {
            // A hybrid-logical-clock stamp: unique and increasing, as the leader would choose it.
            stamps++;
            return new WriteContext(GROUPS[groupIndex], ++lastIndex[groupIndex], nowMs, nowMs * 1_000_000 + stamps);
        }

        private ModelRecord live(Key key) {
            ModelRecord r = model.get(key.digest());
            return r != null && r.liveAt(nowMs) ? r : null;
        }

        private int expectedGeneration(Key key, int genMode) {
            ModelRecord current = live(key);
            if (genMode == 0) {
                return 0;
            }
            int generation = current == null ? 1 : current.generation();
            return genMode == 1 ? generation : generation + 1;
        }

        private long voidTime(long ttlSec, ModelRecord current) {
            long ttl = ttlSec;
            if (ttl == WritePolicy.TTL_UNCHANGED) {
                if (current != null) {
                    return current.voidTimeSec();
                }
                ttl = WritePolicy.TTL_DEFAULT;
            }
            if (ttl == WritePolicy.TTL_DEFAULT) {
                ttl = DEFAULT_TTL_SEC;
            }
            return ttl == WritePolicy.TTL_NEVER || ttl == 0 ? 0 : Math.floorDiv(nowMs, 1000) + ttl;
        }

        /** The model of a conditional read-modify-write: checks, then the update, then the new version. */
        private Expected modelOperate(Key key, WritePolicy policy, WriteContext ctx, Function<Bins, Update> update) {
            ModelRecord current = live(key);
            if (policy.expectedGeneration() != 0
                    && (current == null || current.generation() != policy.expectedGeneration())) {
                return Expected.rejected(ResultCode.GENERATION_MISMATCH);
            }
            if (current != null && policy.existsAction() == RecordExistsAction.CREATE_ONLY) {
                return Expected.rejected(ResultCode.RECORD_EXISTS);
            }
            if (current == null && policy.existsAction() == RecordExistsAction.UPDATE_ONLY) {
                return Expected.rejected(ResultCode.NOT_FOUND);
            }
            Update decided = update.apply(current == null ? null : Bins.of(current.bins()));
            if (decided.rejection() != null) {
                return Expected.rejected(decided.rejection());
            }
            if (decided.newBins().isEmpty()) {
                return new Expected(ResultCode.OK, current != null, null, decided.result());
            }
            int payload = 0;
            for (Value v : decided.newBins().asMap().values()) {
                payload += v instanceof Value.BytesValue b ? b.length() : 0;
            }
            if (payload > WRITE_BLOCK_BYTES) {
                return Expected.rejected(ResultCode.RECORD_TOO_BIG);
            }
            ModelRecord after = new ModelRecord(key.set(), decided.newBins().asMap(),
                    current == null ? 1 : current.generation() + 1, voidTime(policy.ttlSec(), current),
                    ctx.lastUpdateStamp());
            return new Expected(ResultCode.OK, true, after, decided.result());
        }

        /** Applies a write to the store, compares its answer with the model's, and logs it. */
        private void write(Key key, int groupIndex, WriteContext ctx, String what, Expected expected,
                           Function<DeviceStore, Object> apply) {
            WriteResult result = (WriteResult) apply.apply(store);
            if (result.code() == ResultCode.DEVICE_FULL) {
                checkDeviceFull(expected, what);
                return;
            }
            check(!result.replayed(), "a new log index was taken for a replay: %s", result);
            check(result.code() == expected.code(), "%s answered %s, the model %s", what, result.code(),
                    expected.code());
            count(result.ok() ? "ok" : "rejected-" + result.code());
            if (expected.after() != null) {
                ModelRecord after = expected.after();
                check(result.meta() != null && result.meta().generation() == after.generation()
                                && result.meta().voidTimeSec() == after.voidTimeSec()
                                && result.meta().lastUpdateStamp() == after.stamp(),
                        "%s answered meta %s, the model %s", what, result.meta(), after);
            }
            check(result.bins().equals(expected.resultBins()), "%s answered bins %s, the model %s", what,
                    describe(result.bins()), describe(expected.resultBins()));
            if (expected.writes()) {
                if (expected.after() == null) {
                    model.remove(key.digest());
                } else {
                    model.put(key.digest(), expected.after());
                }
            }
            log.add(new Entry(GROUPS[groupIndex], ctx.logIndex(), what, apply));
        }

        private void checkDeviceFull(Expected expected, String what) {
            long free = store.stats().engine().get("blocks-free");
            check(expected.writes() && free <= DEFRAG_RESERVE_BLOCKS,
                    "%s answered DEVICE_FULL with %s free blocks; the model expected %s", what, free, expected);
            count("device-full");
        }

        void put(Put c) {
            if (refusedByStopWrites()) {
                return;
            }
            Key key = KEYS.get(c.key());
            int g = groupIndex(key);
            WritePolicy policy = new WritePolicy(c.action(), expectedGeneration(key, c.genMode()), ttl(c.ttlMode()));
            Bins bins = bins(c.binMask(), c.valueSeed(), c.payloadBytes());
            WriteContext ctx = nextContext(g);
            Expected expected = modelOperate(key, policy, ctx, current -> {
                if (current == null || c.action() == RecordExistsAction.REPLACE) {
                    return Update.write(bins, Bins.empty());
                }
                Map<String, Value> merged = new TreeMap<>(current.asMap());
                merged.putAll(bins.asMap());
                return Update.write(Bins.of(merged), Bins.empty());
            });
            write(key, g, ctx, "put " + key + " " + policy + " @" + ctx.logIndex(), expected,
                    s -> s.put(ctx, key.digest(), key.set(), bins, policy));
        }

        void touch(Touch c) {
            if (refusedByStopWrites()) {
                return;
            }
            Key key = KEYS.get(c.key());
            int g = groupIndex(key);
            WritePolicy policy = new WritePolicy(RecordExistsAction.UPDATE_ONLY, expectedGeneration(key, c.genMode()),
                    ttl(c.ttlMode()));
            WriteContext ctx = nextContext(g);
            Expected expected = modelOperate(key, policy, ctx, current -> Update.write(current, Bins.empty()));
            write(key, g, ctx, "touch " + key + " " + policy + " @" + ctx.logIndex(), expected,
                    s -> s.touch(ctx, key.digest(), policy));
        }

        void increment(Increment c) {
            if (refusedByStopWrites()) {
                return;
            }
            Key key = KEYS.get(c.key());
            int g = groupIndex(key);
            WritePolicy policy = new WritePolicy(c.action(), expectedGeneration(key, c.genMode()), ttl(c.ttlMode()));
            WriteContext ctx = nextContext(g);
            Expected expected = modelOperate(key, policy, ctx, current -> incremented(current, c.delta()));
            write(key, g, ctx, "increment " + key + " " + policy + " @" + ctx.logIndex(), expected,
                    s -> s.operate(ctx, key.digest(), key.set(), policy,
                            current -> incremented(current == null ? null : current.bins(), c.delta())));
        }

        void deleteBin(DeleteBin c) {
            if (refusedByStopWrites()) {
                return;
            }
            Key key = KEYS.get(c.key());
            int g = groupIndex(key);
            WritePolicy policy = new WritePolicy(RecordExistsAction.UPSERT, 0, ttl(c.ttlMode()));
            WriteContext ctx = nextContext(g);
            Expected expected = modelOperate(key, policy, ctx, current -> withoutBin(current, c.bin()));
            write(key, g, ctx, "delete bin " + c.bin() + " of " + key + " @" + ctx.logIndex(), expected,
                    s -> s.operate(ctx, key.digest(), key.set(), policy,
                            current -> withoutBin(current == null ? null : current.bins(), c.bin())));
        }

        /**
         * The leader's side of DESIGN.md's stop-writes: past the mark it refuses a write before
         * it reaches the log (deletes still go through, to free space), so that the margin below
         * physical capacity is kept for entries already committed and for their replay.
         */
        private boolean refusedByStopWrites() {
            if (store.stopWrites()) {
                count("stop-writes");
                return true;
            }
            return false;
        }

        void delete(Delete c) {
            Key key = KEYS.get(c.key());
            int g = groupIndex(key);
            ModelRecord current = live(key);
            WritePolicy policy = WritePolicy.DEFAULT.withExpectedGeneration(expectedGeneration(key, c.genMode()));
            WriteContext ctx = nextContext(g);
            Expected expected;
            if (current == null) {
                expected = Expected.rejected(ResultCode.NOT_FOUND);
            } else if (policy.expectedGeneration() != 0 && policy.expectedGeneration() != current.generation()) {
                expected = Expected.rejected(ResultCode.GENERATION_MISMATCH);
            } else {
                expected = new Expected(ResultCode.OK, true, null, Bins.empty());
            }
            write(key, g, ctx, "delete " + key + " " + policy + " @" + ctx.logIndex(), expected,
                    s -> s.delete(ctx, key.digest(), policy));
        }

        private BitSet partitions(int groupIndex, int mask) {
            BitSet partitions = new BitSet();
            for (int i = 0; i < GROUP_PARTITIONS[groupIndex].length; i++) {
                if ((mask & (1 << i)) != 0) {
                    partitions.set(GROUP_PARTITIONS[groupIndex][i]);
                }
            }
            return partitions;
        }

        void truncate(Truncate c) {
            String set = SETS[c.set()];
            BitSet partitions = partitions(c.groupIndex(), c.partitionMask());
            WriteContext ctx = nextContext(c.groupIndex());
            long liveBefore = 0;
            long heldBefore = 0;
            for (Key key : KEYS) {
                ModelRecord r = model.get(key.digest());
                if (r != null && key.set().equals(set) && partitions.get(key.digest().partition())) {
                    heldBefore++;
                    liveBefore += r.liveAt(nowMs) ? 1 : 0;
                    model.remove(key.digest());
                }
            }
            long removed = store.truncate(ctx, set, partitions);
            // Expired records that expiry reclaim already turned into tombstones are not counted.
            check(removed >= liveBefore && removed <= heldBefore, "truncate removed %s; the model held %s, %s live",
                    removed, heldBefore, liveBefore);
            count("truncated", removed);
            log.add(new Entry(ctx.group(), ctx.logIndex(), "truncate " + set + " " + partitions + " @" + ctx.logIndex(),
                    s -> s.truncate(ctx, set, partitions)));
        }

        void evict(Evict c) {
            BitSet partitions = partitions(c.groupIndex(), 3);
            WriteContext ctx = nextContext(c.groupIndex());
            List<Key> candidates = new ArrayList<>();
            for (Key key : KEYS) {
                ModelRecord r = live(key);
                if (r != null && r.voidTimeSec() != 0 && partitions.get(key.digest().partition())) {
                    candidates.add(key);
                }
            }
            candidates.sort(Comparator.comparingLong((Key k) -> model.get(k.digest()).voidTimeSec())
                    .thenComparing(Key::digest));
            List<Key> expected = candidates.subList(0, Math.min(c.maxRecords(), candidates.size()));
            // The leader asks the store for candidates and proposes their deletes, each with the
            // candidate's generation, as one log entry.
            List<EvictionCandidate> chosen = store.evictionCandidates(partitions, ctx.nowMs(), c.maxRecords());
            check(chosen.stream().map(EvictionCandidate::digest).toList()
                            .equals(expected.stream().map(Key::digest).toList()),
                    "eviction candidates %s, the model expected %s", chosen, expected);
            long count = 0;
            for (EvictionCandidate candidate : chosen) {
                WriteResult deleted = store.delete(ctx, candidate.digest(),
                        WritePolicy.DEFAULT.withExpectedGeneration(candidate.generation()));
                if (deleted.code() == ResultCode.DEVICE_FULL) {
                    checkDeviceFull(new Expected(ResultCode.OK, true, null, Bins.empty()), "evict");
                    break;
                }
                check(deleted.ok(), "evicting %s: %s", candidate, deleted);
                model.remove(candidate.digest());
                count++;
            }
            count("evicted", count);
            List<EvictionCandidate> applied = List.copyOf(chosen.subList(0, (int) count));
            log.add(new Entry(ctx.group(), ctx.logIndex(), "evict " + applied + " @" + ctx.logIndex(), s -> {
                WriteResult last = new WriteResult(ResultCode.OK, null, Bins.empty(), true);
                for (EvictionCandidate candidate : applied) {
                    WriteResult deleted = s.delete(ctx, candidate.digest(),
                            WritePolicy.DEFAULT.withExpectedGeneration(candidate.generation()));
                    if (deleted.code() == ResultCode.DEVICE_FULL) {
                        return deleted;
                    }
                    last = deleted;
                }
                return last;
            }));
        }

        // ---- reads ----

        void get(Get c) {
            Key key = KEYS.get(c.key());
            BinSelection selection = c.selection() == 0 ? BinSelection.ALL
                    : c.selection() == 1 ? BinSelection.of("a", "n") : BinSelection.HEADER;
            ReadResult result = store.get(key.digest(), selection, nowMs);
            ModelRecord expected = live(key);
            checkRead(key, result, expected, selection);
            ModelRecord held = model.get(key.digest());
            if (held != null && expected == null) {
                count("expired-reads");
            }
        }

        private void checkRead(Key key, ReadResult result, ModelRecord expected, BinSelection selection) {
            if (expected == null) {
                check(!result.found() && result.code() == ResultCode.NOT_FOUND,
                        "%s: the store found %s %s, the model has none",
                        key, result.meta(), describe(result.bins()));
                return;
            }
            check(result.found(), "%s: the store has none (%s), the model %s", key, result.code(), expected);
            RecordMeta meta = result.meta();
            check(meta.generation() == expected.generation() && meta.voidTimeSec() == expected.voidTimeSec()
                    && meta.lastUpdateStamp() == expected.stamp(), "%s: the store has meta %s, the model %s", key, meta,
                    expected);
            Bins wanted = selection.apply(Bins.of(expected.bins()));
            check(result.bins().equals(wanted), "%s: the store has bins %s, the model %s", key,
                    describe(result.bins()), describe(wanted));
        }

        /** Every key and every partition, after every step. */
        void verify() {
            if (stoppedFull) {
                return;
            }
            for (FaultyBlockDevice disk : disks.values()) {
                check(disk.violations().isEmpty(), "the store broke the device contract: %s", disk.violations());
            }
            for (Key key : KEYS) {
                checkRead(key, store.get(key.digest(), BinSelection.ALL, nowMs), live(key), BinSelection.ALL);
            }
            for (int[] partitions : GROUP_PARTITIONS) {
                for (int p : partitions) {
                    List<String> scanned = new ArrayList<>();
                    store.scan(p, nowMs, BinSelection.ALL, r -> scanned.add(r.digest() + " gen " + r.meta().generation()
                            + " " + describe(r.bins())));
                    List<String> expected = new ArrayList<>();
                    KEYS.stream().filter(k -> k.digest().partition() == p && live(k) != null)
                            .sorted(Comparator.comparing(Key::digest))
                            .forEach(k -> expected.add(k.digest() + " gen " + live(k).generation() + " "
                                    + describe(Bins.of(live(k).bins()))));
                    check(scanned.equals(expected), "scan of partition %s: store %s, model %s", p, scanned, expected);
                }
            }
            noteBlockReuse();
        }

        /** Coverage: a write block that shows a second block sequence on the disk was reused. */
        private void noteBlockReuse() {
            int d = 0;
            for (FaultyBlockDevice disk : disks.values()) {
                for (int block = 1; block < DEVICE_BYTES / WRITE_BLOCK_BYTES; block++) {
                    ByteBuffer header = ByteBuffer.wrap(disk.copy((long) block * WRITE_BLOCK_BYTES,
                            RecordFormat.HEADER_LENGTH));
                    if (RecordFormat.hasMagic(header, 0)) {
                        Set<Long> seen = blockSequencesSeen.computeIfAbsent(d * 1000 + block, b -> new HashSet<>());
                        if (seen.add(RecordFormat.blockSequence(header, 0)) && seen.size() > 1) {
                            count("blocks-reused");
                        }
                    }
                }
                d++;
            }
        }

        // ---- maintenance, durability, faults ----

        void maintenance() {
            Map<String, Long> before = store.stats().engine();
            store.runMaintenance();
            Map<String, Long> after = store.stats().engine();
            for (String counter : List.of("defrag-records-moved", "expired-reclaimed", "tombstones-dropped")) {
                count(counter, after.get(counter) - before.get(counter));
            }
        }

        void checkpoint(Checkpoint c) {
            int g = c.groupIndex();
            store.checkpoint(GROUPS[g], lastIndex[g]);
            checkpointed[g] = lastIndex[g];
            log.removeIf(e -> e.group() == GROUPS[g] && e.logIndex() <= checkpointed[g]);
            checkCheckpointedIndexes();
        }

        private void checkCheckpointedIndexes() {
            Map<Integer, Long> indexes = store.checkpointedIndexes();
            for (int g = 0; g < GROUPS.length; g++) {
                long held = indexes.getOrDefault(GROUPS[g], 0L);
                check(held == checkpointed[g], "group %s: the store says checkpointed at %s, the test checkpointed %s",
                        GROUPS[g], held, checkpointed[g]);
            }
        }

        void restart() {
            store.close();
            store = open();
            // A torn write leaves its broken record on the device until the block is reused, so
            // every cold start reports it again; a clean restart must not find anything new.
            check(store.coldStartCorruptRecords() <= corruptAtLastColdStart,
                    "a clean restart found %s corrupt records, "
                    + "the cold start before it %s: %s", store.coldStartCorruptRecords(), corruptAtLastColdStart,
                    store.coldStartReport());
            corruptAtLastColdStart = store.coldStartCorruptRecords();
            checkCheckpointedIndexes();
            count("restarts");
        }

        void crash(Crash c) {
            store.halt();
            Random random = new Random(c.seed());
            int unsynced = disks.values().stream().mapToInt(FaultyBlockDevice::unsyncedWrites).sum();
            String what = disks.values().stream().map(disk -> disk.name() + " " + disk.crash(random))
                    .collect(Collectors.joining("; "));
            remember("  " + what);
            count("crashes");
            if (unsynced > 0) {
                count("crash-unsynced-writes");
            }
            if (what.contains("landed")) {
                count("crash-torn-writes");
            }
            store = open();
            corruptAtLastColdStart = store.coldStartCorruptRecords();
            count("crash-corrupt-records", store.coldStartCorruptRecords());
            checkCheckpointedIndexes();
            for (Entry entry : log) {
                int g = entry.group() == GROUPS[0] ? 0 : 1;
                if (entry.logIndex() <= checkpointed[g]) {
                    continue;
                }
                Object result = entry.apply().apply(store);
                if (result instanceof WriteResult w) {
                    if (w.code() == ResultCode.DEVICE_FULL) {
                        stopFull(entry);
                        return;
                    }
                    count(w.replayed() ? "replay-skipped" : "replay-applied");
                }
            }
        }

        /**
         * A replay needs more space than the original did: the write buffers that were open are
         * sealed by every restart, and entries before a durable truncate are applied again before
         * the truncate drops them. Near full, a replay may then find the device physically full,
         * which the store may answer (DESIGN.md section 4) and which stops a state machine. The
         * example ends there, once the device is seen to be really full.
         */
        private void stopFull(Entry entry) {
            long free = store.stats().engine().get("blocks-free");
            check(free <= DEFRAG_RESERVE_BLOCKS, "replay of %s answered DEVICE_FULL with %s free blocks",
                    entry.what(), free);
            remember("  replay of " + entry.what() + ": DEVICE_FULL with " + free + " free blocks; example stops");
            count("replay-device-full");
            stoppedFull = true;
        }

        private static void count(String counter) {
            count(counter, 1);
        }

        private static void count(String counter, long n) {
            synchronized (COVERAGE) {
                COVERAGE.computeIfAbsent(counter, k -> new AtomicLong()).addAndGet(n);
            }
        }
    }

    private static long coverage(String counter) {
        synchronized (COVERAGE) {
            AtomicLong n = COVERAGE.get(counter);
            return n == null ? 0 : n.get();
        }
    }

    private static void check(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new AssertionError(String.format(format, args));
        }
    }
}
