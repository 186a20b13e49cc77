package io.flashraft.chaos;

import io.flashraft.chaos.ConsistencyRun.Nemesis;
import io.flashraft.chaos.ConsistencyRun.Partition;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.protocol.ClusterMap;
import io.flashraft.protocol.ResultCode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;
import java.util.function.Consumer;

/**
 * Injects the faults of a consistency run through {@code scripts/cluster.sh}, one at a time:
 * each is applied, checked to have taken effect, held, and healed. What they did is counted
 * (leader changes, answers of the minority side, iptables rules) for the run's verdict, and a
 * fault that did not take effect is listed as a failure of the run.
 */
final class Nemeses {
    private static final long EFFECT_WAIT_NS = 30_000_000_000L;

    private final ClusterScript script;
    private final FlashRaftClient client;
    private final Random random;
    private final Consumer<String> log;
    private final int nodes;
    private final boolean netns;
    private final int lossPercent;
    private final String namespace;
    private int kills;
    /** Partitions made so far, plus the turn of the first kind. */
    private int partitions;

    /** Faults that did not take effect, each with what was expected. */
    final List<String> failures = new ArrayList<>();
    /** Leader changes that the faults caused, by fault. */
    final Map<Nemesis, Integer> leaderChanges = new EnumMap<>(Nemesis.class);
    /** What nodes cut off from the majority answered a linearizable read, by result code. */
    final Map<ResultCode, Long> minorityAnswers = new EnumMap<>(ResultCode.class);
    /** iptables rules the partitions and losses applied, all told (each listed with its time in the timeline). */
    int rulesApplied;

    /** The partitions come in turn from the kind that {@code seed} picks, as do the random choices. */
    Nemeses(ClusterScript script, FlashRaftClient client, long seed, Consumer<String> log, int nodes, boolean netns,
            int lossPercent, String namespace) {
        this.random = new Random(seed);
        this.script = script;
        this.netns = netns;
        this.client = client;
        this.log = log;
        this.nodes = nodes;
        this.lossPercent = lossPercent;
        this.namespace = namespace;
        this.partitions = Math.floorMod(seed, Partition.values().length);
    }

    /** Injects one fault, checks that it took effect, holds it until {@code holdMs} after it began, heals it. */
    void run(Nemesis nemesis, long holdMs) throws IOException, InterruptedException {
        long endNs = System.nanoTime() + holdMs * 1_000_000L;
        switch (nemesis) {
            case KILL -> kill(endNs);
            case PAUSE -> pause(endNs);
            case RESTART -> restart();
            case WIPE -> wipe(endNs);
            case PARTITION -> partition(endNs);
            case LOSS -> loss(endNs);
        }
    }

    /** Ends the faults (every rule removed) and waits until every group has a leader again. */
    void recover() throws IOException, InterruptedException {
        if (netns) {
            log.accept(script.run("heal").strip());
        }
        Boolean led = poll(2 * EFFECT_WAIT_NS, 250, () -> client.clusterMap().groups().stream()
                .allMatch(route -> route.leader() != ClusterMap.Route.NO_LEADER) ? true : null);
        if (led != null) {
            log.accept("recovered: every group has a leader");
            return;
        }
        failure("recovery: some group had no leader 60 s after the faults ended");
    }

    /** A group and the node that leads it. */
    private record Target(int group, String leader) {
        int node() {
            return number(leader);
        }
    }

    private void kill(long endNs) throws IOException, InterruptedException {
        int node;
        if (kills++ % 2 == 0) {
            Target target = leaderTarget(Nemesis.KILL);
            if (target == null) {
                return;
            }
            node = target.node();
            log.accept("KILL n" + node + ", leader of group " + target.group());
            log.accept(script.run("kill", String.valueOf(node)).strip());
            awaitMoved(Nemesis.KILL, target.group(), target.leader());
        } else {
            node = 1 + random.nextInt(nodes);
            List<Integer> led = groupsLedBy(client.clusterMap(), "n" + node);
            log.accept("KILL n" + node + ", a random node leading groups " + led);
            log.accept(script.run("kill", String.valueOf(node)).strip());
            if (!script.run("status").contains("n" + node + ": not running")) {
                failure("KILL of n" + node + ": it still runs");
            }
            for (int group : led) {
                awaitMoved(Nemesis.KILL, group, "n" + node);
            }
        }
        holdUntil(endNs);
        log.accept("restarting n" + node);
        script.run("restart", String.valueOf(node));
    }

    private void pause(long endNs) throws IOException, InterruptedException {
        Target target = leaderTarget(Nemesis.PAUSE);
        if (target == null) {
            return;
        }
        log.accept("PAUSE n" + target.node() + ", leader of group " + target.group());
        log.accept(script.run("pause", String.valueOf(target.node())).strip());
        awaitMoved(Nemesis.PAUSE, target.group(), target.leader());
        holdUntil(endNs);
        log.accept(script.run("resume", String.valueOf(target.node())).strip());
    }

    private void restart() throws IOException, InterruptedException {
        int node = 1 + random.nextInt(nodes);
        log.accept("RESTART n" + node + " (SIGTERM: it hands its groups off, then starts again)");
        script.run("restart", String.valueOf(node));
        log.accept("n" + node + " is back and every group it hosts has a leader");
    }

    private void wipe(long endNs) throws IOException, InterruptedException {
        Target target = leaderTarget(Nemesis.WIPE);
        if (target == null) {
            return;
        }
        String node = String.valueOf(target.node());
        log.accept("WIPE n" + node + ", leader of group " + target.group());
        log.accept(script.run("kill", node).strip());
        log.accept(script.run("wipe", node).strip());
        awaitMoved(Nemesis.WIPE, target.group(), target.leader());
        holdUntil(endNs);
        log.accept("starting n" + node + " empty: the leaders rebuild it");
        script.run("restart", node);
        awaitRebuilt(target.node());
    }

    /**
     * Waits until a wiped node has applied an entry of every group it hosts. Until then it holds
     * none of the data it acknowledged, and one more crash could leave a group without a
     * majority that has its log: unavailable, as a CP store must be, but no longer one fault.
     */
    private void awaitRebuilt(int node) throws IOException, InterruptedException {
        Boolean rebuilt = poll(2 * EFFECT_WAIT_NS, 500, () -> {
            String status = script.run("status");
            int from = status.indexOf("--- n" + node + " (");
            if (from < 0) {
                return null;
            }
            int to = status.indexOf("\n--- ", from + 1);
            List<String[]> rows = status.substring(from, to < 0 ? status.length() : to).lines()
                    .filter(line -> line.matches("\\d+\\s.*")).map(line -> line.trim().split("\\s+")).toList();
            return !rows.isEmpty() && rows.stream().allMatch(row -> Long.parseLong(row[4]) >= 0) ? true : null;
        });
        if (rebuilt != null) {
            log.accept("n" + node + " is rebuilt: it holds every group it hosts");
            return;
        }
        failure("WIPE of n" + node + ": not rebuilt in every group within 60 s");
    }

    private void partition(long endNs) throws IOException, InterruptedException {
        Partition kind = Partition.values()[partitions++ % Partition.values().length];
        List<Integer> order = new ArrayList<>();
        for (int n = 1; n <= nodes; n++) {
            order.add(n);
        }
        Collections.shuffle(order, random);
        ClusterMap before = client.clusterMap();
        List<Integer> minority = new ArrayList<>();
        int expectedRules;
        switch (kind) {
            case ISOLATE_LEADER, HALVES -> {
                if (kind == Partition.ISOLATE_LEADER) {
                    Target target = leaderTarget(Nemesis.PARTITION);
                    if (target == null) {
                        return;
                    }
                    minority.add(target.node());
                } else {
                    minority.addAll(order.subList(0, nodes / 2));
                }
                List<Integer> majority = new ArrayList<>(order);
                majority.removeAll(minority);
                String spec = join(minority, ",") + "/" + join(majority, ",");
                log.accept("PARTITION " + kind + ": " + spec);
                log.accept(script.run("partition", spec).strip());
                expectedRules = 2 * minority.size() * majority.size();
            }
            default -> {
                List<String> links = kind == Partition.RING ? ringCuts(order) : bridgeCuts(order);
                String spec = String.join(",", links);
                log.accept("PARTITION " + kind + " of " + order + ": cut " + spec);
                log.accept(script.run("cut", spec).strip());
                expectedRules = 2 * links.size();
            }
        }
        checkRules("PARTITION " + kind, expectedRules, "-j DROP");
        for (int node : minority) {
            for (int group : groupsLedBy(before, "n" + node)) {
                awaitMoved(Nemesis.PARTITION, group, "n" + node);
            }
        }
        // Asked after the majority elected its leaders: a leader left on the minority side can no
        // longer have a majority confirm a read.
        for (int node : minority) {
            List<Integer> hosted = groupsHostedBy(before, "n" + node);
            int group = hosted.get(random.nextInt(hosted.size()));
            ResultCode answer = MinorityProbe.read(script.gateway(node), before, group, namespace);
            minorityAnswers.merge(answer, 1L, Long::sum);
            log.accept("n" + node + ", on the minority side, answered a read of group " + group + " with " + answer);
            if (answer == ResultCode.OK || answer == ResultCode.NOT_FOUND) {
                failure("PARTITION " + kind + ": n" + node + " served a linearizable read without a majority");
            }
        }
        holdUntil(endNs);
        log.accept(script.run("heal").strip());
    }

    private void loss(long endNs) throws IOException, InterruptedException {
        Target target = leaderTarget(Nemesis.LOSS);
        if (target == null) {
            return;
        }
        log.accept("LOSS at n" + target.node() + ", leader of group " + target.group());
        log.accept(script.run("loss", String.valueOf(target.node()), String.valueOf(lossPercent)).strip());
        checkRules("LOSS", 1, "statistic");
        holdUntil(endNs);
        log.accept(script.run("heal").strip());
    }

    /** The ring's links to cut: each node keeps only its two neighbours; three nodes make a line. */
    private static List<String> ringCuts(List<Integer> order) {
        List<String> links = new ArrayList<>();
        int n = order.size();
        if (n == 3) {
            links.add(order.get(0) + "-" + order.get(2));
            return links;
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 2; j < n; j++) {
                if (!(i == 0 && j == n - 1)) {
                    links.add(order.get(i) + "-" + order.get(j));
                }
            }
        }
        return links;
    }

    /** The bridge's links to cut: every node of one half from every node of the other; the middle node keeps all. */
    private static List<String> bridgeCuts(List<Integer> order) {
        int middle = (order.size() - 1) / 2;
        List<String> links = new ArrayList<>();
        for (int a : order.subList(0, middle)) {
            for (int b : order.subList(middle + 1, order.size())) {
                links.add(a + "-" + b);
            }
        }
        return links;
    }

    /** Logs the rules in force and checks that those of this fault are there. */
    private void checkRules(String fault, int expected, String marker) throws IOException, InterruptedException {
        String rules = script.run("rules").strip();
        log.accept("rules in force:\n" + rules);
        int found = (int) rules.lines().filter(line -> line.contains(marker)).count();
        rulesApplied += found;
        if (found != expected) {
            failure(fault + ": " + expected + " rules expected, " + found + " in force");
        }
    }

    /** A random group with a known leader, waiting for one while leaders move; null (a failure) if none comes. */
    private Target leaderTarget(Nemesis nemesis) throws IOException, InterruptedException {
        Target target = poll(EFFECT_WAIT_NS, 250, () -> {
            ClusterMap map = client.clusterMap();
            int group = random.nextInt(map.groups().size());
            ClusterMap.Node leader = map.leaderOf(group);
            return leader == null ? null : new Target(group, leader.id());
        });
        if (target == null) {
            failure(nemesis + ": no group had a known leader to hit within 30 s");
        }
        return target;
    }

    /** Waits until the group has a leader other than {@code old}: the fault moved it. */
    private void awaitMoved(Nemesis nemesis, int group, String old) throws IOException, InterruptedException {
        ClusterMap.Node now = poll(EFFECT_WAIT_NS, 250, () -> {
            ClusterMap.Node leader = client.clusterMap().leaderOf(group);
            return leader != null && !leader.id().equals(old) ? leader : null;
        });
        if (now == null) {
            failure(nemesis + " of " + old + ": group " + group + " got no other leader within 30 s");
            return;
        }
        leaderChanges.merge(nemesis, 1, Integer::sum);
        log.accept("group " + group + " is now led by " + now.id());
    }

    /** One look at the cluster: a value once what is awaited holds, else null. */
    private interface Probe<T> {
        T look() throws IOException, InterruptedException;
    }

    /**
     * Looks every {@code everyMs} until the probe gives a value or {@code waitNs} passed (then
     * null). A look that throws a RuntimeException (no node answered) is a look without value.
     */
    private static <T> T poll(long waitNs, long everyMs, Probe<T> probe) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + waitNs;
        while (System.nanoTime() < deadline) {
            try {
                T value = probe.look();
                if (value != null) {
                    return value;
                }
            } catch (RuntimeException unavailable) {
                // The nodes asked may be down or between leaders; look again.
            }
            Thread.sleep(everyMs);
        }
        return null;
    }

    private void failure(String what) {
        failures.add(what);
        log.accept("FAULT DID NOT TAKE EFFECT: " + what);
    }

    private static List<Integer> groupsLedBy(ClusterMap map, String nodeId) {
        List<Integer> led = new ArrayList<>();
        for (int group = 0; group < map.groups().size(); group++) {
            ClusterMap.Node leader = map.leaderOf(group);
            if (leader != null && leader.id().equals(nodeId)) {
                led.add(group);
            }
        }
        return led;
    }

    private static List<Integer> groupsHostedBy(ClusterMap map, String nodeId) {
        List<Integer> hosted = new ArrayList<>();
        for (ClusterMap.Route route : map.groups()) {
            if (route.replicas().stream().anyMatch(index -> map.nodes().get(index).id().equals(nodeId))) {
                hosted.add(route.group());
            }
        }
        return hosted;
    }

    private static void holdUntil(long endNs) throws InterruptedException {
        long remainingMs = (endNs - System.nanoTime()) / 1_000_000L;
        if (remainingMs > 0) {
            Thread.sleep(remainingMs);
        }
    }

    private static int number(String nodeId) {
        return Integer.parseInt(nodeId.substring(1));
    }

    private static String join(List<Integer> nodes, String separator) {
        StringJoiner out = new StringJoiner(separator);
        nodes.forEach(n -> out.add(String.valueOf(n)));
        return out.toString();
    }
}
