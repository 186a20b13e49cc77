package io.flashraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.RecordExistsAction;
import io.flashraft.protocol.Reply;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.statemachine.Command;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Ratis servers on loopback: every write through a group's log, reads by read index. */
class ClusterTest {
    private static final String NS = TestCluster.NAMESPACE;

    @TempDir
    Path dir;

    @Test
    void everyOperationWorksEndToEndOnEveryGroup() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).start()) {
            cluster.awaitLeaders();
            TestClient client = new TestClient(cluster, 11);
            List<Digest> keys = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                Digest key = KeyDigest.of("s", Value.of((long) i));
                keys.add(key);
                Reply put = client.write(new Request.Put(NS, "s", key, Bins.of("v", Value.of((long) i)), WritePolicy.DEFAULT));
                assertEquals(ResultCode.OK, put.code());
            }
            assertTrue(keys.stream().map(k -> client.group(new Request.Exists(NS, k))).distinct().count() == 3,
                    "the keys cover every group");
            for (int i = 0; i < keys.size(); i++) {
                Reply.Single got = (Reply.Single) client.read(new Request.Get(NS, keys.get(i), BinSelection.ALL));
                assertEquals(Value.of((long) i), got.bins().get("v"), "key " + i);
            }
            Digest key = keys.get(0);
            assertEquals(ResultCode.RECORD_EXISTS, client.write(new Request.Put(NS, "s", key, Bins.of("v", Value.of(0L)),
                    WritePolicy.of(RecordExistsAction.CREATE_ONLY))).code());
            assertEquals(ResultCode.GENERATION_MISMATCH, client.write(new Request.Put(NS, "s", key,
                    Bins.of("v", Value.of(9L)), WritePolicy.DEFAULT.withExpectedGeneration(7))).code());
            Reply.Single cas = (Reply.Single) client.write(new Request.Put(NS, "s", key, Bins.of("v", Value.of(9L)),
                    WritePolicy.DEFAULT.withExpectedGeneration(1)));
            assertEquals(2, cas.meta().generation());
            Reply.Single operated = (Reply.Single) client.write(new Request.Operate(NS, "s", key, WritePolicy.DEFAULT,
                    List.of(BinOp.add("v", Value.of(1L)), BinOp.listAppend("l", Value.of("x")), BinOp.read("v"))));
            assertEquals(Value.of(10L), operated.bins().get("v"));
            assertEquals(ResultCode.OK, client.write(new Request.Touch(NS, key, WritePolicy.DEFAULT.withTtlSec(3600))).code());
            Reply.Single header = (Reply.Single) client.read(new Request.Exists(NS, key));
            assertEquals(4, header.meta().generation());
            assertNotEquals(0, header.meta().voidTimeSec());
            assertEquals(ResultCode.OK, client.write(new Request.Delete(NS, keys.get(1), WritePolicy.DEFAULT)).code());
            assertEquals(ResultCode.NOT_FOUND, client.read(new Request.Get(NS, keys.get(1), BinSelection.ALL)).code());

            Reply.Batch batch = (Reply.Batch) client.read(new Request.BatchGet(NS, sameGroup(client, keys, key), BinSelection.HEADER));
            assertTrue(batch.replies().stream().allMatch(r -> r.code() == ResultCode.OK));
            Reply.Scan scan = (Reply.Scan) client.read(new Request.Scan(NS, key.partition(), null, 100, BinSelection.ALL));
            assertTrue(scan.records().stream().anyMatch(r -> r.digest().equals(key)));

            List<MetricSample> samples = cluster.node(0).metrics();
            assertTrue(samples.stream().allMatch(m -> "n1".equals(m.labels().get("node"))), "every sample names its node");
            assertTrue(samples.stream().anyMatch(m -> m.name().startsWith("ratis_")), "Ratis' metrics are included");
            assertTrue(samples.stream().filter(m -> m.labels().containsKey("member"))
                    .map(m -> m.labels().get("member")).allMatch(member -> member.equals("n1") || member.startsWith("n1@")),
                    "only this node's Ratis metrics");
            assertTrue(samples.stream().anyMatch(m -> m.name().equals("flashraft_group_appliedIndex") && m.value() > 0));
            assertTrue(samples.stream().anyMatch(m -> m.name().equals("flashraft_store_records") && m.value() > 0));
            assertTrue(samples.stream().anyMatch(m -> m.name().equals("flashraft_group_apply_seconds")));

            long truncated = 0;
            for (int g = 0; g < 3; g++) {
                truncated += ((Reply.Count) client.submit(g, new Command(11, client.nextSequence(),
                        new Request.Truncate(NS, "s")), Duration.ofSeconds(60))).count();
            }
            assertEquals(29, truncated, "every record but the deleted one");
            assertEquals(ResultCode.NOT_FOUND, client.read(new Request.Get(NS, keys.get(5), BinSelection.ALL)).code());
        }
    }

    @Test
    void aNewLeaderKeepsEveryAcknowledgedIncrementAndARetryAppliesOnce() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).start()) {
            cluster.awaitLeaders();
            TestClient client = new TestClient(cluster, 21);
            Digest counter = KeyDigest.of("", Value.of("counter"));
            Request increment = new Request.Operate(NS, "", counter, WritePolicy.DEFAULT, List.of(BinOp.add("n", Value.of(1L))));
            int group = client.group(increment);
            for (int i = 0; i < 20; i++) {
                assertEquals(ResultCode.OK, client.write(increment).code());
            }
            // The reply of this increment is "lost": the client retries it after the leader dies.
            Command lost = new Command(21, client.nextSequence(), increment);
            Reply.Single first = (Reply.Single) client.submit(lost, Duration.ofSeconds(30));
            int oldLeader = cluster.awaitLeader(group);
            cluster.halt(oldLeader);
            TestCluster.await("a new leader of group " + group, Duration.ofSeconds(60),
                    () -> cluster.leaderIndex(group) >= 0);
            Reply.Single retried = (Reply.Single) client.submit(lost, Duration.ofSeconds(60));
            assertEquals(first, retried, "the retry is answered from the session table");
            for (int i = 0; i < 10; i++) {
                assertEquals(ResultCode.OK, client.write(increment).code());
            }
            Reply.Single value = (Reply.Single) client.read(new Request.Get(NS, counter, BinSelection.ALL));
            assertEquals(Value.of(31L), value.bins().get("n"), "20 + 1 + 10 acknowledged increments, the retry applied once");
        }
    }

    /**
     * A wiped replica must be rebuilt in every group, quiet ones included, whose leader remembers
     * what the replica acknowledged before it lost its log (bug #20): afterwards the loss of
     * another node still leaves every group a majority that can elect a leader.
     */
    @Test
    void aWipedReplicaIsRebuiltInQuietGroupsTooAndTheClusterSurvivesLosingAnotherNode() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).start()) {
            cluster.awaitLeaders();
            int wiped = 1;
            TestCluster.await("node " + wiped + " holding an entry of every group", Duration.ofSeconds(60),
                    () -> cluster.node(wiped).status().stream().allMatch(group -> group.appliedIndex() >= 0));
            cluster.halt(wiped);
            cluster.wipe(wiped);
            cluster.startNode(wiped);
            TestCluster.await("node " + wiped + " rebuilt in every group", Duration.ofSeconds(60),
                    () -> cluster.node(wiped).status().stream().allMatch(group -> group.appliedIndex() >= 0));
            cluster.halt((wiped + 1) % 3);
            cluster.awaitLeaders();
        }
    }

    @Test
    void aRestartedNodeCatchesUpAndHoldsTheLeadersContents() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).start()) {
            cluster.awaitLeaders();
            TestClient client = new TestClient(cluster, 31);
            int group = 0;
            int follower = (cluster.awaitLeader(group) + 1) % 3;
            List<Request> writes = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                writes.add(new Request.Put(NS, "", KeyDigest.of("", Value.of((long) i)), Bins.of("v", Value.of((long) i)),
                        WritePolicy.DEFAULT));
            }
            for (int i = 0; i < 100; i++) {
                client.write(writes.get(i));
            }
            cluster.halt(follower);
            for (int i = 100; i < 200; i++) {
                client.write(writes.get(i));
            }
            cluster.startNode(follower);
            int restarted = follower;
            long now = System.currentTimeMillis();
            for (int g = 0; g < 3; g++) {
                int checked = g;
                TestCluster.await("node " + restarted + " catching up on group " + checked, Duration.ofSeconds(60), () -> {
                    int leader = cluster.leaderIndex(checked);
                    return leader >= 0 && cluster.sameContent(leader, restarted, checked, now);
                });
            }
        }
    }

    @Test
    void aRollingRestartUnderLoadLosesNoAcknowledgedWrite() throws Exception {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).start()) {
            cluster.awaitLeaders();
            try (BackgroundWriter writer = new BackgroundWriter(cluster, 51, 0)) {
                for (int node = 0; node < 3; node++) {
                    writer.awaitMore(20, "before restarting node " + node);
                    List<Integer> led = new ArrayList<>();
                    for (int g = 0; g < 3; g++) {
                        if (cluster.node(node).leads(g)) {
                            led.add(g);
                        }
                    }
                    java.util.Map<Integer, String> handedTo = cluster.stop(node);
                    assertTrue(handedTo.keySet().containsAll(led), "node " + node + " led " + led + ", handed " + handedTo);
                    for (int g : led) {
                        assertNotNull(handedTo.get(g), "group " + g + " has a new leader before node " + node + " stops");
                        assertNotEquals(cluster.config().nodes().get(node).id(), handedTo.get(g));
                    }
                    cluster.startNode(node);
                    cluster.awaitLeaders();
                }
                writer.awaitMore(20, "after the last restart");
                writer.close();
                writer.assertEveryAcknowledgedWriteReadable();
            }
        }
    }

    @Test
    void leadersSpreadOverTheNodesAndReturnToANodeThatComesBack() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).start()) {
            cluster.awaitLeaders();
            Placement placement = cluster.node(0).placement();
            TestCluster.await("every group led by its preferred node", Duration.ofSeconds(60), () -> {
                for (int g = 0; g < 3; g++) {
                    if (cluster.leaderIndex(g) != cluster.indexOf(placement.preferredLeader(g).id())) {
                        return false;
                    }
                }
                return true;
            });
            int preferred = cluster.indexOf(placement.preferredLeader(0).id());
            cluster.halt(preferred);
            TestCluster.await("a stand-in leader of group 0", Duration.ofSeconds(60), () -> cluster.leaderIndex(0) >= 0);
            assertNotEquals(preferred, cluster.leaderIndex(0));
            cluster.startNode(preferred);
            TestCluster.await("group 0 led by its preferred node again", Duration.ofSeconds(60),
                    () -> cluster.leaderIndex(0) == preferred);
        }
    }

    @Test
    void pastTheEvictionMarkLeadersEvictRecordsWithATtlAndEveryReplicaEvictsTheSame() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).store(b -> b.evictUsedPercent(5)).start()) {
            cluster.awaitLeaders();
            TestClient client = new TestClient(cluster, 71);
            Bins big = Bins.of("v", Value.of(new byte[4096]));
            for (int i = 0; i < 40; i++) {
                client.write(new Request.Put(NS, "keep", KeyDigest.of("keep", Value.of((long) i)), big, WritePolicy.DEFAULT));
            }
            for (int i = 0; i < 600; i++) {
                client.write(new Request.Put(NS, "ttl", KeyDigest.of("ttl", Value.of((long) i)), big,
                        WritePolicy.DEFAULT.withTtlSec(3_600 + i)));
            }
            TestCluster.await("600 evictions", Duration.ofSeconds(90), () -> evictions(cluster) >= 600);
            assertEquals(600, evictions(cluster), 0, "each record evicted once, by its group's leader");
            for (int i = 0; i < 600; i += 7) {
                Digest key = KeyDigest.of("ttl", Value.of((long) i));
                assertEquals(ResultCode.NOT_FOUND, client.read(new Request.Exists(NS, key)).code(), "ttl record " + i);
            }
            for (int i = 0; i < 40; i++) {
                assertEquals(ResultCode.OK, client.read(new Request.Exists(NS, KeyDigest.of("keep", Value.of((long) i))))
                        .code(), "records without a TTL are never evicted");
            }
            long now = System.currentTimeMillis();
            for (int g = 0; g < 3; g++) {
                int group = g;
                TestCluster.await("the replicas of group " + group + " agreeing", Duration.ofSeconds(30), () ->
                        cluster.sameContent(0, 1, group, now) && cluster.sameContent(1, 2, group, now));
            }
        }
    }

    private static double evictions(TestCluster cluster) {
        double evicted = 0;
        for (int n = 0; n < cluster.size(); n++) {
            evicted += cluster.node(n).metrics().stream().filter(m -> m.name().equals("flashraft_evictions_count"))
                    .mapToDouble(MetricSample::value).sum();
        }
        return evicted;
    }

    @Test
    void pastTheStopWritesMarkTheLeaderRefusesGrowingWritesBeforeProposingThem() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).store(b -> b.stopWritesDiskPercent(3)).start()) {
            cluster.awaitLeaders();
            Bins big = Bins.of("v", Value.of(new byte[4096]));
            GroupResult refused = null;
            Digest last = null;
            for (int i = 0; i < 2_000 && refused == null; i++) {
                Digest key = KeyDigest.of("", Value.of((long) i));
                Request put = new Request.Put(NS, "", key, big, WritePolicy.DEFAULT);
                int group = cluster.node(0).placement().groupOf(key.partition());
                GroupResult result;
                do { // a leader moving (balancing) answers NOT_LEADER, UNAVAILABLE or IN_DOUBT: try the command again
                    result = cluster.node(cluster.awaitLeader(group)).submit(group, new Command(81, i + 1, put)).join();
                } while (result.status() == GroupResult.Status.NOT_LEADER || result.status() == GroupResult.Status.UNAVAILABLE
                        || result.status() == GroupResult.Status.IN_DOUBT); // the same command again: applied once
                if (result.status() == GroupResult.Status.DEVICE_FULL) {
                    refused = result;
                } else {
                    assertEquals(GroupResult.Status.OK, result.status(), result.reason());
                    last = key;
                }
            }
            assertNotNull(refused, "writes are refused once the store passes 3 % of its device");
            assertTrue(refused.reason().contains("stop-writes"), refused.reason());
            TestClient client = new TestClient(cluster, 82);
            assertEquals(ResultCode.OK, client.write(new Request.Delete(NS, last, WritePolicy.DEFAULT)).code(),
                    "deletes still go through");
        }
    }

    @Test
    void withTooLittleFreeSpaceForItsRaftLogTheLeaderRefusesGrowingWrites() {
        RaftTuning t = TestCluster.TUNING;
        RaftTuning noRoom = new RaftTuning(t.electionTimeoutMinMs(), t.electionTimeoutMaxMs(), t.snapshotEveryEntries(),
                t.faultRetryMs(), t.logSegmentBytes(), t.leaderBalanceIntervalMs(), Long.MAX_VALUE,
                t.proposalLingerUs());
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).tuning(noRoom).start()) {
            cluster.awaitLeaders();
            Digest key = KeyDigest.of("", Value.of(1L));
            int group = cluster.node(0).placement().groupOf(key.partition());
            GroupResult refused = cluster.node(cluster.awaitLeader(group)).submit(group, new Command(91, 1,
                    new Request.Put(NS, "", key, Bins.of("v", Value.of(1L)), WritePolicy.DEFAULT))).join();
            assertEquals(GroupResult.Status.DEVICE_FULL, refused.status());
            assertTrue(refused.reason().contains("Raft log disk"), refused.reason());
            assertEquals(ResultCode.NOT_FOUND, new TestClient(cluster, 92).read(new Request.Get(NS, key, BinSelection.ALL))
                    .code(), "reads still work, and the refused write was not applied");
        }
    }

    @Test
    void fiveReplicasKeepServingWithTwoNodesDown() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(5).replicationFactor(5).start()) {
            cluster.awaitLeaders();
            TestClient client = new TestClient(cluster, 41);
            cluster.halt(0);
            cluster.halt(1);
            cluster.awaitLeaders();
            for (int i = 0; i < 20; i++) {
                Digest key = KeyDigest.of("", Value.of((long) i));
                assertEquals(ResultCode.OK, client.write(new Request.Put(NS, "", key, Bins.of("v", Value.of(1L)),
                        WritePolicy.DEFAULT)).code());
                assertEquals(ResultCode.OK, client.read(new Request.Get(NS, key, BinSelection.ALL)).code());
            }
        }
    }

    private static List<Digest> sameGroup(TestClient client, List<Digest> keys, Digest key) {
        int group = client.group(new Request.Exists(NS, key));
        return keys.stream().filter(k -> !k.equals(keys.get(1)) && client.group(new Request.Exists(NS, k)) == group).toList();
    }
}
