package io.flashraft.chaos;

import io.flashraft.chaos.checker.HistoryChecker;
import io.flashraft.chaos.checker.Linearizability;
import io.flashraft.chaos.history.History;
import io.flashraft.chaos.history.HistoryRecorder;
import io.flashraft.chaos.workload.Workload;
import io.flashraft.client.ClientPolicy;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.protocol.ClusterMap;
import java.io.IOException;
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
    /** The faults the harness can inject now. */
    enum Nemesis {
        /** SIGKILL the leader of a random group, then restart it. */
        KILL,
        /** SIGSTOP the leader of a random group long enough for an election, then SIGCONT. */
        PAUSE,
        /** SIGKILL a group's leader, delete its data, start it: it is rebuilt from the leaders. */
        WIPE,
        /** Cut a group's leader off from every other node (netns mode), then heal. */
        PARTITION
    }

    @Option(names = "--workload", defaultValue = "register", description = "The workload: register, list-append, set, counter.")
    String workload;
    @Option(names = "--nemesis", split = ",", defaultValue = "kill,pause", description = "Faults: kill, pause, wipe, partition (needs --netns).")
    List<String> nemeses;
    @Option(names = "--time", defaultValue = "60", description = "Seconds of workload under faults.")
    int timeSec;
    @Option(names = "--fault-interval", defaultValue = "12", description = "Seconds between the starts of two faults.")
    int faultIntervalSec;
    @Option(names = "--nodes", defaultValue = "3", description = "Cluster size: 3 or 5.")
    int nodes;
    @Option(names = "--netns", description = "Run each node in its own network namespace (needed for partition).")
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
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the workers and nemeses.")
    long seed;
    @Option(names = "--node-java-opts", defaultValue = "-Xms128m -Xmx512m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC",
            description = "The nodes' JVM options.")
    String nodeJavaOpts;

    /** Runs the nodes from these classes instead of the built jar (tests: the jar is not packaged yet). */
    String nodeClasspath;

    /** What the run found. */
    record Outcome(Linearizability.Verdict verdict, Map<History.Type, Long> counts, List<String> faultFailures, Path directory) {
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
        if (faults.contains(Nemesis.PARTITION) && !netns) {
            throw new CommandLine.ParameterException(new CommandLine(this), "the partition nemesis needs --netns");
        }
        Path directory = Files.createDirectories(results.resolve(Instant.now().toString().replace(':', '-') + "-" + workload));
        ClusterScript script = new ClusterScript(root.toAbsolutePath(), directory.resolve("cluster"), basePort, nodeClasspath,
                nodeJavaOpts);
        Random random = new Random(seed);
        HistoryRecorder recorder = new HistoryRecorder(Workload.headerOf(workload), workers, System::nanoTime);
        Map<History.Type, Long> counts = new EnumMap<>(History.Type.class);
        List<String> faultFailures = new ArrayList<>();
        long startNs = System.nanoTime();
        Workload used;
        try (PrintWriter timeline = new PrintWriter(Files.newBufferedWriter(directory.resolve("timeline.txt")), true)) {
            Timeline log = message -> timeline.printf("%8.3f s  %s%n", (System.nanoTime() - startNs) / 1e9, message);
            log.line("starting a " + nodes + "-node cluster in " + script.runDir());
            try {
                script.run(netns ? new String[] {"start", "--nodes", String.valueOf(nodes), "--netns"}
                        : new String[] {"start", "--nodes", String.valueOf(nodes)});
                String[] seeds = new String[nodes];
                for (int n = 1; n <= nodes; n++) {
                    seeds[n - 1] = script.gateway(n);
                }
                used = runWorkload(script, seeds, recorder, counts, faults, random, log, faultFailures);
            } finally {
                log.line("stopping the cluster");
                script.run("stop");
            }
        }
        History history = recorder.history();
        try (Writer out = Files.newBufferedWriter(directory.resolve("history.edn"))) {
            history.write(out);
        }
        HistoryChecker.Result result = used.check(history);
        Outcome outcome = new Outcome(result.verdict(), counts, faultFailures, directory);
        Files.writeString(directory.resolve("verdict.txt"), String.join("\n",
                "workload " + workload + ", nemeses " + nemeses + ", " + timeSec + " s, " + nodes + " nodes",
                "verdict " + result.verdict() + (result.key() == null ? "" : " (" + result.key() + ")"),
                "operations " + counts + " (at least " + minOk + " ok required)",
                "faults that did not take effect: " + (faultFailures.isEmpty() ? "none" : faultFailures),
                outcome.passed(minOk) ? "PASSED" : "FAILED") + "\n");
        return outcome;
    }

    /** The workload under faults, then the final reads; answers the workload, which checks the history. */
    private Workload runWorkload(ClusterScript script, String[] seeds, HistoryRecorder recorder, Map<History.Type, Long> counts,
                             List<Nemesis> faults, Random random, Timeline log, List<String> faultFailures) throws Exception {
        try (FlashRaftClient client = FlashRaftClient.connect(ClientPolicy.DEFAULT.withTimeouts(2_000, 20_000), seeds)) {
            Workload load = Workload.named(workload, client, "test", keys, recorder);
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
            log.line("workload " + workload + " running: " + workers + " workers");
            long endNs = System.nanoTime() + timeSec * 1_000_000_000L;
            for (int round = 0; System.nanoTime() + faultIntervalSec * 1_000_000_000L < endNs; round++) {
                Thread.sleep(faultIntervalSec * 1_000L / 2);
                synchronized (counts) {
                    log.line("operations so far " + counts);
                }
                inject(faults.get(round % faults.size()), client, script, random, log, faultFailures);
            }
            while (System.nanoTime() < endNs) {
                Thread.sleep(200);
            }
            running.set(false);
            for (Thread thread : threads) {
                thread.join();
            }
            log.line("workload stopped; final reads of every key");
            load.finalReads(0);
            return load;
        }
    }

    private interface Timeline {
        void line(String message);
    }

    /** Hits the leader of a random group, then heals, and checks that the group got another leader. */
    private void inject(Nemesis nemesis, FlashRaftClient client, ClusterScript script, Random random, Timeline log,
                        List<String> failures) throws Exception {
        ClusterMap map = client.clusterMap();
        int group = random.nextInt(map.groups().size());
        ClusterMap.Node leader = map.leaderOf(group);
        if (leader == null) {
            log.line(nemesis + ": group " + group + " has no known leader; skipped");
            return;
        }
        String node = leader.id().substring(1);
        log.line(nemesis + " n" + node + ", leader of group " + group);
        switch (nemesis) {
            case KILL -> log.line(script.run("kill", node).strip());
            case PAUSE -> log.line(script.run("pause", node).strip());
            case WIPE -> {
                log.line(script.run("kill", node).strip());
                log.line(script.run("wipe", node).strip());
            }
            case PARTITION -> {
                StringBuilder others = new StringBuilder();
                for (int n = 1; n <= nodes; n++) {
                    if (!String.valueOf(n).equals(node)) {
                        others.append(others.length() == 0 ? "" : ",").append(n);
                    }
                }
                log.line(script.run("partition", node + "/" + others).strip());
                log.line("rules in force:\n" + script.run("rules").strip());
            }
        }
        String newLeader = awaitOtherLeader(client, group, leader.id());
        if (newLeader == null) {
            failures.add(nemesis + " of " + leader.id() + " (group " + group + "): no other leader within 30 s");
            log.line("group " + group + " got no other leader: the fault did not take effect");
        } else {
            log.line("group " + group + " is now led by " + newLeader);
        }
        if (nemesis == Nemesis.PAUSE) {
            log.line(script.run("resume", node).strip());
        } else if (nemesis == Nemesis.PARTITION) {
            log.line(script.run("heal").strip());
        } else {
            log.line("restarting n" + node);
            script.run("restart", node);
        }
    }

    private static String awaitOtherLeader(FlashRaftClient client, int group, String old) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                ClusterMap.Node now = client.clusterMap().leaderOf(group);
                if (now != null && !now.id().equals(old)) {
                    return now.id();
                }
            } catch (RuntimeException unavailable) {
                // The nodes asked may be the one that is down; ask again.
            }
            Thread.sleep(250);
        }
        return null;
    }
}
