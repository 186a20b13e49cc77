package io.flashraft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.checker.Linearizability;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.chaos.workload.RegisterWorkload;
import io.flashraft.client.ClientPolicy;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.FlashRaftException;
import io.flashraft.client.Key;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ClusterMap;
import io.flashraft.protocol.Reply;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proof that the harness catches a consistency bug. Three server processes, each in its own
 * network namespace; the leader of a register's group is cut off from the other two. A writer
 * that knows only the majority side keeps writing (a new leader is elected and accepts the
 * writes); a reader asks the cut-off node, and only it, until after the last write completed. With reads served
 * from local state without a read index (the planted bug), the cut-off node answers the old
 * value after newer writes completed, and the checker must call the history invalid; with the
 * real read path the same schedule must be valid (the cut-off node cannot confirm a read).
 */
class PlantedStaleReadTest {
    private static final String NODE_OPTS = "-Xms64m -Xmx384m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

    @TempDir
    Path dir;

    @Test
    void unsafeLocalReadsOnACutOffLeaderAreCaught() throws Exception {
        Result unsafe = run(true);
        assertEquals(Linearizability.Verdict.INVALID, unsafe.verdict, "the planted stale reads were not caught: " + unsafe);
    }

    @Test
    void theRealReadPathStaysLinearizableOnTheSameSchedule() throws Exception {
        Result safe = run(false);
        assertEquals(Linearizability.Verdict.VALID, safe.verdict, safe.toString());
    }

    /**
     * A read of the cut-off node and of no other: a client would learn the majority's nodes from
     * the cluster map and move to the new leader, hiding the stale reads this test must plant.
     */
    private static Bins readFrom(String gateway, int group, Key key) {
        Reply.Single reply = MinorityProbe.get(gateway, group, key, BinSelection.ALL);
        return switch (reply.code()) {
            case OK -> reply.bins();
            case NOT_FOUND -> null;
            default -> throw new FlashRaftException(reply.code(), false, "the cut-off node answered " + reply.code());
        };
    }

    private record Result(Linearizability.Verdict verdict, long writesOk, long readsOk, String rules) {
    }

    private Result run(boolean unsafeReads) throws Exception {
        ClusterScript script = new ClusterScript(Path.of(System.getProperty("flashraft.root")), dir.resolve("cluster"),
                ConsistencyRunTest.freePortBlock(), System.getProperty("java.class.path"),
                NODE_OPTS + (unsafeReads ? " -Dflashraft.test.unsafe-local-reads=true" : ""));
        HistoryRecorder recorder = new HistoryRecorder(RegisterWorkload.HEADER, 2, System::nanoTime);
        AtomicLong writesOk = new AtomicLong();
        AtomicLong readsOk = new AtomicLong();
        String rules;
        try {
            script.run("start", "--nodes", "3", "--netns");
            String[] all = {script.gateway(1), script.gateway(2), script.gateway(3)};
            int cutOff;
            int group;
            try (FlashRaftClient setup = FlashRaftClient.connect(ClientPolicy.DEFAULT, all)) {
                new RegisterWorkload(setup, "test", 1, recorder).setUp();
                group = setup.currentMap().groupOf(Key.of("test", "register", 0L).digest().partition());
                ClusterMap.Node leader = setup.clusterMap().leaderOf(group);
                cutOff = Integer.parseInt(leader.id().substring(1));
            }
            List<String> majority = new ArrayList<>();
            StringBuilder others = new StringBuilder();
            for (int n = 1; n <= 3; n++) {
                if (n != cutOff) {
                    majority.add(script.gateway(n));
                    others.append(others.length() == 0 ? "" : ",").append(n);
                }
            }
            script.run("partition", cutOff + "/" + others);
            rules = script.run("rules");
            String cutOffGateway = script.gateway(cutOff);
            try (FlashRaftClient writer = FlashRaftClient.connect(ClientPolicy.DEFAULT.withTimeouts(2_000, 30_000),
                    majority.toArray(String[]::new))) {
                RegisterWorkload register = new RegisterWorkload(writer, "test", 1, recorder);
                AtomicBoolean writing = new AtomicBoolean(true);
                Thread readerThread = new Thread(() -> {
                    // The last read begins after the last write completed.
                    do {
                        if (register.read(1, 0, key -> readFrom(cutOffGateway, group, key)) == History.Type.OK) {
                            readsOk.incrementAndGet();
                        }
                    } while (writing.get());
                }, "reader");
                readerThread.start();
                // Writes succeed once the majority has elected a leader; a few after that are enough.
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (writesOk.get() < 20 && System.nanoTime() < deadline) {
                    if (register.write(0, 0) == History.Type.OK) {
                        writesOk.incrementAndGet();
                    }
                }
                writing.set(false);
                readerThread.join();
            }
        } finally {
            script.run("stop");
        }
        assertTrue(writesOk.get() >= 20, "the majority side accepted writes: " + writesOk.get() + "\n" + rules);
        assertTrue(rules.contains("DROP"), "the partition's rules were in force:\n" + rules);
        HistoryChecker.Result result = HistoryChecker.check(HistoryChecker.Workload.REGISTER_INDEPENDENT, recorder.history());
        return new Result(result.verdict(), writesOk.get(), readsOk.get(), rules);
    }
}
