package io.flashraft.statemachine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;

import io.flashraft.device.RecordStore;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.RecordExistsAction;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;

/**
 * Two replicas fed the same random log reach identical contents: the state machine is a pure
 * function of the log. The log mixes every write, reads, retries of session sequences, clock
 * steps backwards (a new leader's clock may lag), TTLs that expire during the run, truncates and
 * evictions. One replica runs the device engine and restarts midway from a checkpoint, replaying
 * the rest of the log over what its store already held; another runs the memory engine and
 * restarts the same way; the reference never restarts.
 */
class ReplicaDeterminismTest {
    private static final int GROUPS = 4;
    private static final int GROUP = 1;
    private static final int KEYS = 24;
    private static final long START_MS = 1_700_000_000_000L;
    private static final int EXAMPLES = Integer.getInteger("flashraft.test.examples", 60);
    private static final int STEPS = Integer.getInteger("flashraft.test.steps", 60);
    private static final BitSet PARTITIONS = Stores.partitionsOf(GROUP, GROUPS);
    private static final SessionConfig SESSIONS = new SessionConfig(4, 20_000, 3);

    @TempDir
    Path dir;

    private int run;

    @Test
    void replicasFedTheSameLogReachTheSameState() {
        qt().withExamples(EXAMPLES).withFixedSeed(0x5EED_5A17L).forAll(logs(), restartPoints())
                .checkAssert(this::replicasAgree);
    }

    private void replicasAgree(List<LogEntry> log, double[] restart) {
        Path base = dir.resolve("run" + run++);
        int checkpointAt = (int) (restart[0] * log.size());
        int crashAt = checkpointAt + (int) (restart[1] * (log.size() - checkpointAt));

        RecordStore referenceStore = Stores.memory(base.resolve("reference"));
        GroupApplier reference = applier(referenceStore);
        List<List<byte[]>> referenceReplies = new ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            LogEntry decoded = LogEntryCodec.decode(LogEntryCodec.encode(log.get(i)));
            assertEquals(log.get(i), decoded, "the log entry codec round trip");
            referenceReplies.add(reference.apply(i + 1, decoded));
        }

        Replica memory = new Replica(base.resolve("memory"), false);
        List<List<byte[]>> memoryReplies = memory.run(log, checkpointAt, crashAt);
        Replica device = new Replica(base.resolve("device"), true);
        device.run(log, checkpointAt, crashAt);

        long endMs = Math.max(START_MS, log.get(log.size() - 1).nowMs());
        for (long at : new long[] {endMs, endMs + 3_000, endMs + 10_000}) {
            String expected = reference.contentDigest(at);
            assertEquals(expected, memory.applier.contentDigest(at), "memory replica at " + at);
            assertEquals(expected, device.applier.contentDigest(at), "device replica at " + at);
        }
        // A replica whose store restarted at exactly its checkpoint replays nothing twice, so it
        // also answers every command the same and holds the same session table.
        assertArrayEquals(state(reference), state(memory.applier));
        for (int i = 0; i < log.size(); i++) {
            List<byte[]> expected = referenceReplies.get(i);
            for (int c = 0; c < expected.size(); c++) {
                assertArrayEquals(expected.get(c), memoryReplies.get(i).get(c), "reply " + c + " of entry " + (i + 1));
            }
        }
        referenceStore.close();
        memory.store.close();
        device.store.close();
    }

    /** A replica that checkpoints, carries on, crashes (closes its store) and replays. */
    private final class Replica {
        private final Path storeDir;
        private final boolean deviceEngine;
        RecordStore store;
        GroupApplier applier;

        Replica(Path storeDir, boolean deviceEngine) {
            this.storeDir = storeDir;
            this.deviceEngine = deviceEngine;
        }

        List<List<byte[]>> run(List<LogEntry> log, int checkpointAt, int crashAt) {
            store = open();
            applier = applier(store);
            List<List<byte[]>> replies = new ArrayList<>();
            byte[] checkpointState = state(applier);
            int lastCheckpoint = 0;
            for (int i = 0; i < crashAt; i++) {
                replies.add(applier.apply(i + 1, log.get(i)));
                // As the Ratis state machine does: a checkpoint where chosen, and after every truncate.
                if (i + 1 == checkpointAt || applier.mustCheckpointNow()) {
                    applier.checkpoint(i + 1);
                    checkpointState = state(applier);
                    lastCheckpoint = i + 1;
                }
            }
            store.close();
            store = open();
            applier = applier(store);
            applier.readState(new io.flashraft.protocol.ByteReader(checkpointState, 0, checkpointState.length));
            assertEquals(lastCheckpoint == 0 ? -1 : lastCheckpoint, applier.checkpointedRaftIndex());
            while (replies.size() > lastCheckpoint) {
                replies.remove(replies.size() - 1);
            }
            for (int i = lastCheckpoint; i < log.size(); i++) {
                replies.add(applier.apply(i + 1, log.get(i)));
                if (applier.mustCheckpointNow()) {
                    applier.checkpoint(i + 1);
                }
            }
            return replies;
        }

        private RecordStore open() {
            try {
                Files.createDirectories(storeDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return deviceEngine ? Stores.device(storeDir) : Stores.memory(storeDir);
        }
    }

    private static GroupApplier applier(RecordStore store) {
        return new GroupApplier(GROUP, PARTITIONS, Map.of("test", store), SESSIONS);
    }

    private static byte[] state(GroupApplier applier) {
        ByteWriter out = new ByteWriter(256);
        applier.writeState(out);
        return out.toByteArray();
    }

    /** Where the checkpoint and the crash fall, as fractions of the log. */
    private static Gen<double[]> restartPoints() {
        return in -> new double[] {draw(in, 0, 100) / 100.0, draw(in, 0, 100) / 100.0};
    }

    private static Gen<List<LogEntry>> logs() {
        return in -> {
            int entries = draw(in, 1, STEPS);
            long nowMs = START_MS;
            Map<Long, Long> sequences = new HashMap<>();
            List<LogEntry> log = new ArrayList<>();
            for (int e = 0; e < entries; e++) {
                nowMs += draw(in, -1_500, 4_000);
                int count = draw(in, 1, 4);
                List<Command> commands = new ArrayList<>();
                for (int c = 0; c < count; c++) {
                    commands.add(command(in, sequences));
                }
                log.add(new LogEntry(nowMs, nowMs << 16, commands));
            }
            return log;
        };
    }

    private static Command command(RandomnessSource in, Map<Long, Long> sequences) {
        Request request = request(in);
        if (draw(in, 0, 1) == 0) {
            return new Command(Command.NO_SESSION, 0, request);
        }
        long session = draw(in, 1, 5);
        long last = sequences.getOrDefault(session, 0L);
        long sequence = last > 0 && draw(in, 0, 4) == 0 ? draw(in, 1, (int) last) : last + 1;
        sequences.put(session, Math.max(last, sequence));
        // One in eight may not open its session: refused wherever the session is unknown (expired).
        return new Command(session, sequence, draw(in, 0, 7) != 0, request);
    }

    private static Request request(RandomnessSource in) {
        Digest digest = key(draw(in, 0, KEYS - 1), draw(in, 0, 19) == 0 ? GROUP + 1 : GROUP);
        String ns = draw(in, 0, 29) == 0 ? "other" : "test";
        String set = draw(in, 0, 1) == 0 ? "" : "s";
        WritePolicy policy = policy(in);
        switch (draw(in, 0, 9)) {
            case 0:
            case 1:
                return new Request.Put(ns, set, digest, Bins.of("a", Value.of((long) draw(in, 0, 9))), policy);
            case 2:
                return new Request.Delete(ns, digest, WritePolicy.DEFAULT.withExpectedGeneration(draw(in, 0, 2)));
            case 3:
                return new Request.Touch(ns, digest, policy);
            case 4:
            case 5: {
                List<BinOp> ops = new ArrayList<>();
                for (int i = draw(in, 1, 3); i > 0; i--) {
                    ops.add(binOp(in));
                }
                return new Request.Operate(ns, set, digest, policy, ops);
            }
            case 6:
                return new Request.Truncate(ns, "s");
            case 7:
                return new Request.Evict(ns, digest, draw(in, 1, 3));
            default:
                return new Request.Get(ns, digest, BinSelection.ALL);
        }
    }

    private static BinOp binOp(RandomnessSource in) {
        switch (draw(in, 0, 8)) {
            case 0:
                return BinOp.add("a", Value.of((long) draw(in, -3, 3)));
            case 1:
                return BinOp.append("b", Value.of("x" + draw(in, 0, 9)));
            case 2:
                return BinOp.prepend("b", Value.of("y"));
            case 3:
                return BinOp.listAppend("l", Value.of((long) draw(in, 0, 9)));
            case 4:
                return BinOp.listPop("l", draw(in, -2, 2));
            case 5:
                return BinOp.mapPut("m", Value.of((long) draw(in, 0, 3)), Value.of("v" + draw(in, 0, 9)));
            case 6:
                return BinOp.delete("a");
            case 7:
                return BinOp.read("a");
            default:
                return BinOp.write("c", Value.of(draw(in, 0, 1) == 0));
        }
    }

    private static WritePolicy policy(RandomnessSource in) {
        RecordExistsAction[] actions = RecordExistsAction.values();
        RecordExistsAction action = draw(in, 0, 1) == 0 ? RecordExistsAction.UPSERT : actions[draw(in, 0, actions.length - 1)];
        long[] ttls = {WritePolicy.TTL_DEFAULT, WritePolicy.TTL_NEVER, WritePolicy.TTL_UNCHANGED, 1, 3, 5};
        return new WritePolicy(action, draw(in, 0, 5) == 0 ? draw(in, 1, 3) : 0, ttls[draw(in, 0, ttls.length - 1)]);
    }

    /** Key {@code i} of a group: a digest whose partition belongs to it. */
    static Digest key(int i, int group) {
        int partition = (i * GROUPS + group) % 4096;
        byte[] bytes = new byte[Digest.LENGTH];
        bytes[0] = (byte) partition;
        bytes[1] = (byte) (partition >> 8);
        bytes[2] = (byte) i;
        bytes[19] = (byte) (i * 37 + 11);
        return Digest.of(bytes);
    }

    static int draw(RandomnessSource in, int min, int max) {
        return (int) in.next(org.quicktheories.impl.Constraint.between(min, max));
    }
}
