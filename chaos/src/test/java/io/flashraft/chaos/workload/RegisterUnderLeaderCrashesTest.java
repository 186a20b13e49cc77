package io.flashraft.chaos.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.checker.Linearizability;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.client.ClientPolicy;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.Key;
import io.flashraft.consensus.TestCluster;
import io.flashraft.gateway.GatewayServices;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The register workload through the real client and gateways of a 3-node in-JVM cluster while the
 * leader of the registers' group crashes twice (and comes back): the recorded history, with
 * every in-doubt outcome as {@code :info}, must be linearizable per key.
 */
class RegisterUnderLeaderCrashesTest {
    private static final int WORKERS = 4;
    private static final int KEYS = 3;

    @TempDir
    Path dir;

    @Test
    void theHistoryIsLinearizableThroughTwoLeaderCrashes() throws Exception {
        HistoryRecorder recorder = new HistoryRecorder(RegisterWorkload.HEADER, WORKERS, System::nanoTime);
        AtomicLong ok = new AtomicLong();
        AtomicLong info = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).services(GatewayServices.INSTANCE).start();
             FlashRaftClient client = FlashRaftClient.connect(ClientPolicy.DEFAULT.withTimeouts(2_000, 20_000),
                     "127.0.0.1:" + cluster.config().nodes().get(0).gatewayPort(),
                     "127.0.0.1:" + cluster.config().nodes().get(1).gatewayPort(),
                     "127.0.0.1:" + cluster.config().nodes().get(2).gatewayPort())) {
            cluster.awaitLeaders();
            RegisterWorkload workload = new RegisterWorkload(client, TestCluster.NAMESPACE, KEYS, recorder);
            workload.setUp();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread[] workers = new Thread[WORKERS];
            for (int w = 0; w < WORKERS; w++) {
                int worker = w;
                workers[w] = new Thread(() -> {
                    Random random = new Random(worker);
                    while (running.get()) {
                        try {
                            History.Type type = workload.runOnce(worker, random);
                            if (type == History.Type.OK) {
                                ok.incrementAndGet();
                            } else if (type == History.Type.INFO) {
                                info.incrementAndGet();
                            }
                        } catch (RuntimeException e) {
                            errors.add(e);
                            return;
                        }
                    }
                }, "register-worker-" + w);
                workers[w].start();
            }
            int group = client.currentMap().groupOf(Key.of(TestCluster.NAMESPACE, "register", 0L).digest().partition());
            for (int crash = 0; crash < 2; crash++) {
                long before = ok.get();
                TestCluster.await("ok operations before crash " + crash, Duration.ofSeconds(60), () -> ok.get() >= before + 150);
                int victim = cluster.leaderIndex(group);
                cluster.halt(victim);
                long atCrash = ok.get();
                TestCluster.await("ok operations after crash " + crash, Duration.ofSeconds(90), () -> ok.get() >= atCrash + 150);
                int next = cluster.leaderIndex(group);
                assertTrue(next >= 0, "a new leader took over");
                assertNotEquals(victim, next, "the crash moved the leadership");
                cluster.startNode(victim);
            }
            running.set(false);
            for (Thread worker : workers) {
                worker.join();
            }
        }
        assertTrue(errors.isEmpty(), "workers failed: " + errors);
        History history = recorder.history();
        Path file = Path.of("target", "histories", "register-under-leader-crashes.edn");
        write(history, file);
        HistoryChecker.Result result = HistoryChecker.check(HistoryChecker.Workload.REGISTER_INDEPENDENT, history);
        assertEquals(Linearizability.Verdict.VALID, result.verdict(),
                () -> "key " + result.key() + " of " + file.toAbsolutePath() + " is not linearizable");
        assertTrue(ok.get() >= 600, "ok operations: " + ok.get() + ", in doubt: " + info.get());
    }

    private static void write(History history, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        try (Writer out = Files.newBufferedWriter(file)) {
            history.write(out);
        }
    }
}
