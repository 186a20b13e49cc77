package io.flashraft.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.chaos.checker.Linearizability;
import io.flashraft.chaos.history.History;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CI battery: every workload against three real server processes, each node in its own
 * network namespace, for a minute of faults injected through scripts/cluster.sh: leaders and
 * random nodes SIGKILLed, partitions of every kind (an isolated leader, random halves, a ring of
 * majorities, a bridge), and one more fault per workload (pause, packet loss, wipe-and-rejoin,
 * graceful restart). Each history must pass its checker, every fault must have taken effect, and
 * enough operations must have succeeded.
 */
class ConsistencyRunTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({"register, 'kill,partition,pause', 0", "list-append, 'kill,partition,loss', 1",
            "set, 'kill,partition,wipe', 2", "counter, 'kill,partition,restart', 3"})
    void theWorkloadPassesItsCheckerUnderFaults(String workload, String nemeses, long seed) throws Exception {
        ConsistencyRun run = new ConsistencyRun();
        run.workload = workload;
        run.nemeses = List.of(nemeses.split(","));
        run.timeSec = 60;
        run.faultIntervalSec = 10;
        run.nodes = 3;
        run.netns = true;
        run.results = dir;
        run.root = Path.of(System.getProperty("flashraft.root"));
        run.basePort = freePortBlock();
        run.workers = 4;
        run.keys = 3;
        run.minOk = 200;
        run.lossPercent = 30;
        run.seed = seed;
        run.nodeJavaOpts = "-Xms64m -Xmx384m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
        run.nodeClasspath = System.getProperty("java.class.path");

        ConsistencyRun.Outcome outcome = run.run();

        String verdict = Files.readString(outcome.directory().resolve("verdict.txt"));
        String report = verdict + Files.readString(outcome.directory().resolve("timeline.txt"));
        System.out.print(verdict);
        assertEquals(Linearizability.Verdict.VALID, outcome.verdict(), report);
        assertEquals(List.of(), outcome.faultFailures(), report);
        assertTrue(outcome.counts().getOrDefault(History.Type.OK, 0L) >= run.minOk, report);
        assertTrue(report.contains("SIGKILL sent") && outcome.leaderChanges().getOrDefault(ConsistencyRun.Nemesis.KILL, 0) > 0,
                "a kill moved a leadership:\n" + report);
        assertTrue(outcome.rulesApplied() > 0 && report.contains("healed: no rules left"), "a partition ran:\n" + report);
        if (report.contains("PARTITION ISOLATE_LEADER") || report.contains("PARTITION HALVES")) {
            assertTrue(outcome.minorityAnswers().values().stream().mapToLong(Long::longValue).sum() > 0,
                    "the minority side was asked:\n" + report);
        }
        assertTrue(outcome.passed(run.minOk), report);
    }

    /**
     * A base port whose raft, gateway and metrics ports for five nodes are all free now, the
     * block below the kernel's ephemeral range (from 32768), where no connection's local end can
     * take a port before its node binds it (as with {@code TestCluster}'s ports).
     */
    static int freePortBlock() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base;
            try (ServerSocket socket = new ServerSocket(0)) {
                base = 20_000 + socket.getLocalPort() % 12_000;
            }
            if (blockFree(base)) {
                return base;
            }
        }
        throw new IOException("no free block of ports");
    }

    private static boolean blockFree(int base) {
        for (int offset : new int[] {0, 100, 200}) {
            for (int n = 1; n <= 5; n++) {
                try (ServerSocket socket = new ServerSocket(base + offset + n)) {
                    socket.setReuseAddress(true);
                } catch (IOException taken) {
                    return false;
                }
            }
        }
        return true;
    }
}
