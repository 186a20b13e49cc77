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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short consistency run against three real server processes: the register workload while
 * the leaders of groups are SIGKILLed and SIGSTOPped through scripts/cluster.sh. The history
 * must be linearizable, every fault must have moved a leadership, and enough operations must
 * have succeeded.
 */
class ConsistencyRunTest {
    @TempDir
    Path dir;

    @Test
    void theRegisterWorkloadStaysLinearizableWhileLeadersAreKilledAndPaused() throws Exception {
        ConsistencyRun run = new ConsistencyRun();
        run.workload = "register";
        run.nemeses = List.of("kill", "pause");
        run.timeSec = 45;
        run.faultIntervalSec = 12;
        run.nodes = 3;
        run.results = dir;
        run.root = Path.of(System.getProperty("flashraft.root"));
        run.basePort = freePortBlock();
        run.workers = 4;
        run.keys = 3;
        run.minOk = 100;
        run.seed = 7;
        run.nodeJavaOpts = "-Xms64m -Xmx384m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
        run.nodeClasspath = System.getProperty("java.class.path");

        ConsistencyRun.Outcome outcome = run.run();

        String verdict = Files.readString(outcome.directory().resolve("verdict.txt"));
        String timeline = Files.readString(outcome.directory().resolve("timeline.txt"));
        assertEquals(Linearizability.Verdict.VALID, outcome.verdict(), verdict + timeline);
        assertTrue(outcome.faultFailures().isEmpty(), verdict + timeline);
        assertTrue(outcome.counts().getOrDefault(History.Type.OK, 0L) >= run.minOk, verdict);
        assertTrue(timeline.contains("SIGKILL sent") && timeline.contains("SIGSTOP sent"), "both faults ran:\n" + timeline);
        assertTrue(timeline.contains("is now led by"), "a fault moved a leadership:\n" + timeline);
        assertTrue(outcome.passed(run.minOk), verdict);
    }

    /** A base port whose raft, gateway and metrics ports for five nodes are all free now. */
    static int freePortBlock() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base;
            try (ServerSocket socket = new ServerSocket(0)) {
                base = 20_000 + socket.getLocalPort() % 30_000;
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
