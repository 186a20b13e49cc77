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
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    /** Ok operations each phase needs: before each crash, and after the last. */
    private static final int OK_PER_PHASE = 50;
    /**
     * How long a phase may take to get them. Generous: one CI run advanced each group's log by
     * 2-3 entries a second through this test (other runs: hundreds), with no error in the nodes'
     * logs and every group answering at the end; on a stall, the diagnosis prints how the last
     * operations ended and how long they took.
     */
    private static final Duration PHASE_WAIT = Duration.ofSeconds(120);

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
                    awaitOk("before crashing the leader of group " + group, ok, before + OK_PER_PHASE, errors, cluster, client,
                            workers, recorder);
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
                awaitOk("after the crashes", ok, atEnd + OK_PER_PHASE, errors, cluster, client, workers, recorder);
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
        assertTrue(ok.get() >= 4 * OK_PER_PHASE, "ok operations: " + ok.get());
    }

    /**
     * Waits for ok operations, failing at once with the workers' errors if they stopped, and with
     * what the nodes and the client believe, why a read or a write of each group fails, and where
     * the workers are, if none come.
     */
    private static void awaitOk(String when, AtomicLong ok, long target, ConcurrentLinkedQueue<Throwable> errors,
                                TestCluster cluster, FlashRaftClient client, Thread[] workers,
                                HistoryRecorder recorder) {
        try {
            TestCluster.await("ok operations " + when, PHASE_WAIT, () -> {
                if (!errors.isEmpty()) {
                    throw new AssertionError("workers failed: " + errors, errors.peek());
                }
                return ok.get() >= target;
            });
        } catch (AssertionError stalled) {
            throw new AssertionError(stalled.getMessage() + "\n" + diagnosis(cluster, client, workers, recorder), stalled);
        }
    }

    private static String diagnosis(TestCluster cluster, FlashRaftClient client, Thread[] workers,
                                    HistoryRecorder recorder) {
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
        History soFar = recorder.history();
        out.append(recentOperations(soFar, PHASE_WAIT)).append('\n');
        for (Thread worker : workers) {
            appendStack(out, worker, worker.getStackTrace());
        }
        StringBuilder all = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> appendStack(all, thread, stack));
        long now = System.currentTimeMillis();
        Path dump = Path.of("target", "histories", "leader-crashes-threads-" + now + ".txt");
        Path history = Path.of("target", "histories", "leader-crashes-stalled-" + now + ".edn");
        try {
            Files.createDirectories(dump.getParent());
            Files.writeString(dump, all);
            write(soFar, history);
            out.append("every thread: ").append(dump.toAbsolutePath()).append("; the history so far: ")
                    .append(history.toAbsolutePath()).append('\n');
        } catch (IOException e) {
            out.append("could not write the thread dump: ").append(e).append('\n');
        }
        return out.toString();
    }

    /** How the operations that completed within {@code window} of the last one ended, and how long they took. */
    private static String recentOperations(History history, Duration window) {
        List<History.Op> ops = history.ops();
        if (ops.isEmpty()) {
            return "no operations recorded";
        }
        long since = ops.get(ops.size() - 1).timeNs() - window.toNanos();
        Map<Long, Long> invokedAt = new HashMap<>();
        Map<History.Type, Integer> ended = new EnumMap<>(History.Type.class);
        List<Long> tookMs = new ArrayList<>();
        for (History.Op op : ops) {
            if (op.type() == History.Type.INVOKE) {
                invokedAt.put(op.process(), op.timeNs());
            } else if (op.timeNs() >= since) {
                ended.merge(op.type(), 1, Integer::sum);
                Long start = invokedAt.get(op.process());
                if (start != null) {
                    tookMs.add((op.timeNs() - start) / 1_000_000);
                }
            }
        }
        Collections.sort(tookMs);
        return "operations completed in the last " + window.toSeconds() + " s: " + ended
                + (tookMs.isEmpty() ? "" : ", taking " + tookMs.get(tookMs.size() / 2) + " ms at the median, "
                + tookMs.get(tookMs.size() - 1) + " ms at most");
    }

    private static void appendStack(StringBuilder out, Thread thread, StackTraceElement[] stack) {
        out.append(thread.getName()).append(" (").append(thread.getState()).append("):\n");
        for (StackTraceElement frame : stack) {
            out.append("    at ").append(frame).append('\n');
        }
    }

    private static void write(History history, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        try (Writer out = Files.newBufferedWriter(file)) {
            history.write(out);
        }
    }
}
