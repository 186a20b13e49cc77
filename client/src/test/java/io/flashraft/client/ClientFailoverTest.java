package io.flashraft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.consensus.TestCluster;
import io.flashraft.gateway.GatewayServices;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client through leadership changes: retries hide them, and no write applies twice. */
class ClientFailoverTest {
    private static final String NS = TestCluster.NAMESPACE;
    private static final int KEYS = 24;
    private static final ClientPolicy POLICY = ClientPolicy.DEFAULT.withTimeouts(2_000, 60_000);

    @TempDir
    Path dir;

    @Test
    void killingALeaderMidLoadSurfacesNoErrorAndAppliesEveryWriteOnce() throws Exception {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).services(GatewayServices.INSTANCE).start();
             FlashRaftClient client = FlashRaftClient.connect(POLICY, ClientClusterTest.seeds(cluster, 0, 1, 2))) {
            cluster.awaitLeaders();
            AtomicLongArray acknowledged = new AtomicLongArray(KEYS);
            AtomicLong total = new AtomicLong();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread[] writers = new Thread[4];
            for (int w = 0; w < writers.length; w++) {
                int writer = w;
                writers[w] = new Thread(() -> {
                    for (int i = writer; running.get(); i += writers.length) {
                        int k = i % KEYS;
                        try {
                            client.operate(Key.of(NS, "counters", k), WritePolicy.DEFAULT,
                                    List.of(BinOp.add("n", Value.of(1))));
                            acknowledged.incrementAndGet(k);
                            total.incrementAndGet();
                        } catch (RuntimeException e) {
                            errors.add(e);
                        }
                    }
                }, "writer-" + w);
                writers[w].start();
            }
            TestCluster.await("writes before the crash", Duration.ofSeconds(60), () -> total.get() >= 300);
            int victim = cluster.awaitLeader(0);
            cluster.halt(victim);
            long atCrash = total.get();
            TestCluster.await("writes after the crash", Duration.ofSeconds(90), () -> total.get() >= atCrash + 300);
            running.set(false);
            for (Thread writer : writers) {
                writer.join();
            }
            assertTrue(errors.isEmpty(), "no error reached the caller: " + errors);
            for (int k = 0; k < KEYS; k++) {
                Value n = client.get(Key.of(NS, "counters", k), BinSelection.ALL).bins().get("n");
                assertEquals(Value.of(acknowledged.get(k)), n, "counter " + k + " counts each acknowledged add once");
            }
        }
    }

    @Test
    void theClientFollowsALeaderThatMovedAndOneThatDied() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).services(GatewayServices.INSTANCE).start();
             FlashRaftClient client = FlashRaftClient.connect(POLICY, ClientClusterTest.seeds(cluster, 0, 1, 2))) {
            cluster.awaitLeaders();
            Key key = Key.of(NS, "moves", "k");
            int group = client.currentMap().groupOf(key.digest().partition());
            client.put(key, Bins.of("v", Value.of(0)), WritePolicy.DEFAULT);
            String first = cluster.node(cluster.leaderIndex(group)).self().id();
            assertEquals(first, client.currentMap().leaderOf(group).id());

            // The leader hands the group over and stays up: it forwards, and its answer names the new leader.
            Map<Integer, String> handedTo = cluster.node(cluster.indexOf(first)).handOffLeadership(10_000);
            String second = handedTo.get(group);
            assertNotEquals(first, second);
            TestCluster.await("the new leader to be ready", Duration.ofSeconds(30),
                    () -> cluster.leaderIndex(group) == cluster.indexOf(second));
            client.put(key, Bins.of("v", Value.of(1)), WritePolicy.DEFAULT);
            assertEquals(second, client.currentMap().leaderOf(group).id(), "the answer taught the client the new leader");

            // The new leader dies: the client's connection fails, it asks for the map, and finds the next leader.
            cluster.halt(cluster.indexOf(second));
            client.put(key, Bins.of("v", Value.of(2)), WritePolicy.DEFAULT);
            String third = client.currentMap().leaderOf(group).id();
            assertNotEquals(second, third);
            assertEquals(third, cluster.node(cluster.leaderIndex(group)).self().id());
            assertEquals(Value.of(2), client.get(key, BinSelection.ALL).bins().get("v"));
        }
    }
}
