package io.flashraft.chaos;

import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.checker.Linearizability;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.chaos.workload.Workload;
import io.flashraft.client.ClientPolicy;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.protocol.ResultCode;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One consistency test against a cluster of real server processes: starts the cluster with
 * {@code scripts/cluster.sh}, runs a workload through the client while nemeses inject faults
 * through the script's verbs, ends the faults, reads every key once more, checks the history,
 * and writes the history, the verdict and the fault timeline under the results directory.
 *
 * <p>The run fails (exit code 1) when the history is not valid (or the checker could not
 * decide), when fewer operations than the minimum succeeded, or when a fault did not take
 * effect (the group whose leader was hit never got another leader).
 */
@Command(name = "consistency", mixinStandardHelpOptions = true,
        description = "Run one consistency test: workload, nemeses, checker; results under --results.")
public final class ConsistencyRun implements Callable<Integer> {
    /** The faults the harness injects, one at a time, each healed before the next. */
    enum Nemesis {
        /** SIGKILL a random node or the leader of a random group (by turns), then start it again. */
        KILL,
        /** SIGSTOP the leader of a random group until another leader is elected, then SIGCONT. */
        PAUSE,
        /** Stop a random node gracefully (SIGTERM) and start it again. */
        RESTART,
        /** SIGKILL a group's leader, delete its data, start it: it is rebuilt from the leaders. */
        WIPE,
        /** Cut the network (netns mode), by turns: isolate a leader, random halves, a ring of majorities, a bridge. */
        PARTITION,
        /** Drop a share of the packets reaching a group's leader (netns mode). */
        LOSS
    }

    /** The partitions {@link Nemesis#PARTITION} makes, in turn. */
    enum Partition {
        /** A group's leader alone on one side. */
        ISOLATE_LEADER,
        /** The nodes shuffled and split, the smaller half (a minority) on one side. */
        HALVES,
        /** The nodes on a ring, each keeping the links to its neighbours: every node sees a majority, no two the same. */
        RING,
        /** Two halves that cannot see each other, and one node in the middle that sees both. */
        BRIDGE
    }

    @Option(names = "--workload", defaultValue = "register", description = "The workload: register, list-append, set, counter.")
    String workload;
    @Option(names = "--nemesis", split = ",", defaultValue = "kill,pause",
            description = "Faults, by turns: kill, pause, restart, wipe, partition and loss (these two imply --netns).")
    List<String> nemeses;
    @Option(names = "--time", defaultValue = "60", description = "Seconds of workload under faults.")
    int timeSec;
    @Option(names = "--fault-interval", defaultValue = "12", description = "Seconds between the starts of two faults.")
    int faultIntervalSec;
    @Option(names = "--nodes", defaultValue = "3", description = "Cluster size: 3 or 5.")
    int nodes;
    @Option(names = "--netns", description = "Run each node in its own network namespace (implied by partition and loss).")
    boolean netns;
    @Option(names = "--results", defaultValue = "results", description = "Where each run writes its directory.")
    Path results;
    @Option(names = "--root", defaultValue = ".", description = "The FlashRaft checkout (holds scripts/cluster.sh).")
    Path root;
    @Option(names = "--base-port", defaultValue = "7400", description = "The cluster's port base (see cluster.sh).")
    int basePort;
    @Option(names = "--workers", defaultValue = "4", description = "Concurrent client workers.")
    int workers;
    @Option(names = "--keys", defaultValue = "3", description = "Keys of the register and list-append workloads.")
    int keys;
    @Option(names = "--min-ok", defaultValue = "200", description = "Fewest ok operations a run must have.")
    long minOk;
    @Option(names = "--loss-percent", defaultValue = "30", description = "The share of packets the loss nemesis drops.")
    int lossPercent;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the workers and nemeses.")
    long seed;
    @Option(names = "--node-java-opts", defaultValue = "-Xms128m -Xmx512m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC",
            description = "The nodes' JVM options.")
    String nodeJavaOpts;

    /** The namespace the workloads use: the one {@code cluster.sh configure} writes. */
    private static final String NAMESPACE = "test";

    /** Runs the nodes from these classes instead of the built jar (tests: the jar is not packaged yet). */
    String nodeClasspath;

    /** What the run found. */
    record Outcome(Linearizability.Verdict verdict, Map<History.Type, Long> counts, List<String> faultFailures,
                   Map<Nemesis, Integer> leaderChanges, Map<ResultCode, Long> minorityAnswers, int rulesApplied,
                   Path directory) {
        boolean passed(long minOk) {
            return verdict == Linearizability.Verdict.VALID && faultFailures.isEmpty()
                    && counts.getOrDefault(History.Type.OK, 0L) >= minOk;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ConsistencyRun()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Outcome outcome = run();
        System.out.println(Files.readString(outcome.directory().resolve("verdict.txt")));
        return outcome.passed(minOk) ? 0 : 1;
    }

    Outcome run() throws Exception {
        List<Nemesis> faults = new ArrayList<>();
        for (String name : nemeses) {
            faults.add(Nemesis.valueOf(name.trim().toUpperCase()));
        }
        // Partitions and packet loss are iptables rules in the nodes' namespaces: asking for them
        // asks for namespaces (cluster.sh fails loudly where it cannot make them).
        netns |= faults.contains(Nemesis.PARTITION) || faults.contains(Nemesis.LOSS);
        Path directory = Files.createDirectories(results.resolve(Instant.now().toString().replace(':', '-') + "-" + workload));
        ClusterScript script = new ClusterScript(root.toAbsolutePath(), directory.resolve("cluster"), basePort, nodeClasspath,
                nodeJavaOpts);
        HistoryRecorder recorder = new HistoryRecorder(Workload.headerOf(workload), workers, System::nanoTime);
        Map<History.Type, Long> counts = new EnumMap<>(History.Type.class);
        long startNs = System.nanoTime();
        Workload used;
        Nemeses injected;
        try (PrintWriter timeline = new PrintWriter(Files.newBufferedWriter(directory.resolve("timeline.txt")), true)) {
            Consumer<String> log = message -> timeline.printf("%8.3f s  %s%n", (System.nanoTime() - startNs) / 1e9, message);
            log.accept("starting a " + nodes + "-node cluster in " + script.runDir());
            try {
                script.run(netns ? new String[] {"start", "--nodes", String.valueOf(nodes), "--netns"}
                        : new String[] {"start", "--nodes", String.valueOf(nodes)});
                String[] seeds = new String[nodes];
                for (int n = 1; n <= nodes; n++) {
                    seeds[n - 1] = script.gateway(n);
                }
                try (FlashRaftClient client = FlashRaftClient.connect(ClientPolicy.DEFAULT.withTimeouts(2_000, 20_000), seeds)) {
                    injected = new Nemeses(script, client, seed, log, nodes, netns, lossPercent, NAMESPACE);
                    used = runWorkload(client, recorder, counts, faults, injected, log);
                }
            } finally {
                log.accept("stopping the cluster");
                script.run("stop");
            }
        }
        History history = recorder.history();
        try (Writer out = Files.newBufferedWriter(directory.resolve("history.edn"))) {
            history.write(out);
        }
        HistoryChecker.Result result = used.check(history);
        Outcome outcome = new Outcome(result.verdict(), counts, injected.failures, injected.leaderChanges,
                injected.minorityAnswers, injected.rulesApplied, directory);
        Files.writeString(directory.resolve("verdict.txt"), String.join("\n",
                "workload " + workload + ", nemeses " + nemeses + ", " + timeSec + " s, " + nodes + " nodes"
                        + (netns ? " in network namespaces" : ""),
                "verdict " + result.verdict() + (result.key() == null ? "" : " (" + result.key() + ")"),
                "operations " + counts + " (at least " + minOk + " ok required)",
                "leader changes the faults caused: " + outcome.leaderChanges(),
                "answers of nodes on the minority side of a partition: " + outcome.minorityAnswers(),
                "iptables rules applied: " + outcome.rulesApplied() + " (each with its time in timeline.txt)",
                "faults that did not take effect: " + (outcome.faultFailures().isEmpty() ? "none" : outcome.faultFailures()),
                outcome.passed(minOk) ? "PASSED" : "FAILED") + "\n");
        return outcome;
    }

    /**
     * The workload under faults, one fault each interval, then recovery (every group has a
     * leader again) and the final reads; answers the workload, which checks the history.
     */
    private Workload runWorkload(FlashRaftClient client, HistoryRecorder recorder, Map<History.Type, Long> counts,
                                 List<Nemesis> faults, Nemeses injected, Consumer<String> log) throws Exception {
        Workload load = Workload.named(workload, client, NAMESPACE, keys, recorder);
        load.setUp();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int worker = w;
            Random workerRandom = new Random(seed * 31 + w);
            Thread thread = new Thread(() -> {
                while (running.get()) {
                    History.Type type = load.runOnce(worker, workerRandom);
                    synchronized (counts) {
                        counts.merge(type, 1L, Long::sum);
                    }
                }
            }, "worker-" + w);
            thread.start();
            threads.add(thread);
        }
        log.accept("workload " + workload + " running: " + workers + " workers");
        long endNs = System.nanoTime() + timeSec * 1_000_000_000L;
        for (int round = 0; System.nanoTime() + faultIntervalSec * 1_000_000_000L < endNs; round++) {
            Thread.sleep(faultIntervalSec * 1_000L / 2);
            synchronized (counts) {
                log.accept("operations so far " + counts);
            }
            injected.run(faults.get(round % faults.size()), faultIntervalSec * 1_000L / 2);
        }
        while (System.nanoTime() < endNs) {
            Thread.sleep(200);
        }
        running.set(false);
        for (Thread thread : threads) {
            thread.join();
        }
        injected.recover();
        log.accept("workload stopped; final reads of every key");
        load.finalReads(0);
        return load;
    }
}
