package io.flashraft.chaos.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.chaos.MinorityProbe;
import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.checker.Linearizability;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.client.ClientPolicy;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.Key;
import io.flashraft.consensus.TestCluster;
import io.flashraft.gateway.GatewayServices;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ClusterMap;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each workload through the real client and gateways of a 3-node in-JVM cluster while the
 * leader of every group crashes once, one after another, each coming back: the recorded history,
 * with in-doubt outcomes as {@code :info}, must pass the workload's checker.
 */
class WorkloadsUnderLeaderCrashesTest {
    private static final int WORKERS = 4;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"register", "list-append", "set", "counter"})
    void theHistoryPassesItsCheckerThroughLeaderCrashes(String name) throws Exception {
        HistoryRecorder recorder = new HistoryRecorder(Workload.headerOf(name), WORKERS, System::nanoTime);
        AtomicLong ok = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Workload workload;
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).services(GatewayServices.INSTANCE).start()) {
            cluster.awaitLeaders();
            String[] seeds = new String[3];
            for (int n = 0; n < 3; n++) {
                seeds[n] = "127.0.0.1:" + cluster.config().nodes().get(n).gatewayPort();
            }
            try (FlashRaftClient client = FlashRaftClient.connect(ClientPolicy.DEFAULT.withTimeouts(2_000, 20_000), seeds)) {
                workload = Workload.named(name, client, TestCluster.NAMESPACE, 3, recorder);
                workload.setUp();
                AtomicBoolean running = new AtomicBoolean(true);
                Thread[] workers = new Thread[WORKERS];
                for (int w = 0; w < WORKERS; w++) {
                    int worker = w;
                    Workload shared = workload;
                    workers[w] = new Thread(() -> {
                        Random random = new Random(worker);
                        while (running.get()) {
                            try {
                                if (shared.runOnce(worker, random) == History.Type.OK) {
                                    ok.incrementAndGet();
                                }
                            } catch (RuntimeException e) {
                                errors.add(e);
                                return;
                            }
                        }
                    }, name + "-worker-" + w);
                    workers[w].start();
                }
                for (int group = 0; group < cluster.config().groupCount(); group++) {
                    long before = ok.get();
                    awaitOk("before crashing the leader of group " + group, ok, before + 100, errors, cluster, client, workers);
                    int victim = cluster.awaitLeader(group);
                    cluster.halt(victim);
                    int crashed = group;
                    TestCluster.await("another leader of group " + group, Duration.ofSeconds(60),
                            () -> cluster.leaderIndex(crashed) >= 0 && cluster.leaderIndex(crashed) != victim);
                    assertNotEquals(victim, cluster.leaderIndex(group));
                    cluster.startNode(victim);
                    // The next crash waits until the node that came back holds every group again.
                    long now = System.currentTimeMillis();
                    TestCluster.await("node " + victim + " caught up", Duration.ofSeconds(60), () -> {
                        for (int g = 0; g < cluster.config().groupCount(); g++) {
                            int leader = cluster.leaderIndex(g);
                            if (leader < 0 || leader != victim && !cluster.sameContent(leader, victim, g, now)) {
                                return false;
                            }
                        }
                        return true;
                    });
                }
                long atEnd = ok.get();
                awaitOk("after the crashes", ok, atEnd + 100, errors, cluster, client, workers);
                running.set(false);
                for (Thread worker : workers) {
                    worker.join();
                }
                workload.finalReads(0);
            }
        }
        assertTrue(errors.isEmpty(), "workers failed: " + errors);
        History history = recorder.history();
        Path file = Path.of("target", "histories", name + "-under-leader-crashes.edn");
        write(history, file);
        HistoryChecker.Result result = workload.check(history);
        assertEquals(Linearizability.Verdict.VALID, result.verdict(), () -> result + " in " + file.toAbsolutePath());
        assertTrue(ok.get() >= 400, "ok operations: " + ok.get());
    }

    /**
     * Waits for ok operations, failing at once with the workers' errors if they stopped, and with
     * what the nodes and the client believe, why a read or a write of each group fails, and where
     * the workers are, if none come.
     */
    private static void awaitOk(String when, AtomicLong ok, long target, ConcurrentLinkedQueue<Throwable> errors,
                                TestCluster cluster, FlashRaftClient client, Thread[] workers) {
        try {
            TestCluster.await("ok operations " + when, Duration.ofSeconds(60), () -> {
                if (!errors.isEmpty()) {
                    throw new AssertionError("workers failed: " + errors, errors.peek());
                }
                return ok.get() >= target;
            });
        } catch (AssertionError stalled) {
            throw new AssertionError(stalled.getMessage() + "\n" + diagnosis(cluster, client, workers), stalled);
        }
    }

    private static String diagnosis(TestCluster cluster, FlashRaftClient client, Thread[] workers) {
        StringBuilder out = new StringBuilder();
        ClusterMap map = client.currentMap();
        for (int group = 0; group < cluster.config().groupCount(); group++) {
            ClusterMap.Node believed = map.leaderOf(group);
            out.append("group ").append(group).append(": leader node index ").append(cluster.leaderIndex(group))
                    .append(", the client believes ").append(believed == null ? "none" : believed.id());
            Key probe = MinorityProbe.keyOf(map, group, TestCluster.NAMESPACE);
            try {
                client.get(probe, BinSelection.ALL);
                out.append(", a probe read succeeds");
            } catch (RuntimeException e) {
                out.append(", a probe read fails: ").append(e);
            }
            try {
                client.put(probe, Bins.of("probe", Value.of(1)), WritePolicy.DEFAULT);
                out.append(", a probe write succeeds\n");
            } catch (RuntimeException e) {
                out.append(", a probe write fails: ").append(e).append('\n');
            }
        }
        for (Thread worker : workers) {
            out.append(worker.getName()).append(" (").append(worker.getState()).append("):\n");
            for (StackTraceElement frame : worker.getStackTrace()) {
                out.append("    at ").append(frame).append('\n');
            }
        }
        return out.toString();
    }

    private static void write(History history, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        try (Writer out = Files.newBufferedWriter(file)) {
            history.write(out);
        }
    }
}
