package io.flashraft.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.consensus.TestCluster;
import io.flashraft.gateway.GatewayServices;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ClusterMap;
import io.flashraft.protocol.RecordExistsAction;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.StoredRecord;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every operation through the client, against a real 3-node cluster with real gateways on loopback. */
class ClientClusterTest {
    private static final String NS = TestCluster.NAMESPACE;

    @TempDir
    static Path dir;
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = TestCluster.in(dir).nodes(3).services(GatewayServices.INSTANCE).start();
        cluster.awaitLeaders();
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    static String[] seeds(TestCluster cluster, int... nodes) {
        String[] seeds = new String[nodes.length];
        for (int i = 0; i < nodes.length; i++) {
            seeds[i] = "127.0.0.1:" + cluster.config().nodes().get(nodes[i]).gatewayPort();
        }
        return seeds;
    }

    @Test
    void everyRecordOperationWorksThroughTheClient() {
        try (FlashRaftClient client = FlashRaftClient.connect(ClientPolicy.DEFAULT, seeds(cluster, 0, 1, 2))) {
            Key key = Key.of(NS, "people", "ada");
            RecordMeta written = client.put(key, Bins.of(Map.of("name", Value.of("Ada"), "age", Value.of(36))),
                    WritePolicy.DEFAULT);
            assertEquals(1, written.generation());

            Record read = client.get(key, BinSelection.ALL);
            assertEquals(Value.of("Ada"), read.bins().get("name"));
            assertEquals(Value.of(36), read.bins().get("age"));
            assertEquals(1, read.meta().generation());
            assertEquals(Bins.of("age", Value.of(36)), client.get(key, BinSelection.of("age")).bins());
            assertNull(client.get(Key.of(NS, "people", "nobody"), BinSelection.ALL));

            assertEquals(1, client.exists(key).generation());
            assertNull(client.exists(Key.of(NS, "people", "nobody")));

            FlashRaftException exists = assertThrows(FlashRaftException.class, () -> client.put(key,
                    Bins.of("age", Value.of(1)), WritePolicy.of(RecordExistsAction.CREATE_ONLY)));
            assertEquals(ResultCode.RECORD_EXISTS, exists.code());
            assertFalse(exists.inDoubt(), "a refused write is definite");
            FlashRaftException generation = assertThrows(FlashRaftException.class, () -> client.put(key,
                    Bins.of("age", Value.of(1)), new WritePolicy(RecordExistsAction.UPSERT, 7, WritePolicy.TTL_DEFAULT)));
            assertEquals(ResultCode.GENERATION_MISMATCH, generation.code());

            assertEquals(2, client.touch(key, WritePolicy.DEFAULT).generation());
            FlashRaftException missing = assertThrows(FlashRaftException.class,
                    () -> client.touch(Key.of(NS, "people", "nobody"), WritePolicy.DEFAULT));
            assertEquals(ResultCode.NOT_FOUND, missing.code());

            Record operated = client.operate(key, WritePolicy.DEFAULT,
                    List.of(BinOp.add("age", Value.of(1)), BinOp.read("age"), BinOp.listAppend("tags", Value.of("math"))));
            assertEquals(Value.of(37), operated.bins().get("age"));
            assertEquals(Value.list(List.of(Value.of("math"))), client.get(key, BinSelection.ALL).bins().get("tags"));

            List<Key> keys = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                keys.add(Key.of(NS, "batch", i));
                client.put(keys.get(i), Bins.of("i", Value.of(i)), WritePolicy.DEFAULT);
            }
            keys.add(Key.of(NS, "batch", "absent"));
            List<Record> batch = client.batchGet(keys, BinSelection.ALL);
            assertEquals(41, batch.size());
            for (int i = 0; i < 40; i++) {
                assertEquals(Value.of(i), batch.get(i).bins().get("i"), "batch answer " + i + " in key order");
            }
            assertNull(batch.get(40));

            List<StoredRecord> scanned = new ArrayList<>();
            assertEquals(40, client.scan(NS, "batch", BinSelection.ALL, Long.MAX_VALUE, scanned::add));
            assertEquals(40, scanned.stream().map(r -> r.bins().get("i")).distinct().count());
            assertEquals(5, client.scan(NS, "batch", BinSelection.ALL, 5, r -> { }));

            assertTrue(client.delete(keys.get(0), WritePolicy.DEFAULT));
            assertFalse(client.delete(keys.get(0), WritePolicy.DEFAULT), "a second delete finds nothing");
            assertNull(client.get(keys.get(0), BinSelection.ALL));

            assertEquals(39, client.truncate(NS, "batch"));
            assertEquals(0, client.scan(NS, "batch", BinSelection.ALL, Long.MAX_VALUE, r -> { }));
            assertNotNull(client.get(key, BinSelection.ALL), "a truncate removes only its set");
        }
    }

    @Test
    void badRequestsAreRefusedDefinitely() {
        try (FlashRaftClient client = FlashRaftClient.connect(ClientPolicy.DEFAULT, seeds(cluster, 0))) {
            FlashRaftException unknown = assertThrows(FlashRaftException.class,
                    () -> client.put(Key.of("nosuch", "s", 1), Bins.of("a", Value.of(1)), WritePolicy.DEFAULT));
            assertEquals(ResultCode.BAD_REQUEST, unknown.code());
            assertFalse(unknown.inDoubt());
            assertTrue(unknown.getMessage().contains("unknown namespace"), unknown.getMessage());
        }
    }

    @Test
    void aClientThatKnowsOneSeedReachesEveryGroupAndThenGoesStraightToLeaders() {
        // Leaders settle on their preferred nodes first, so none moves while the test counts hops.
        TestCluster.await("every group led by its preferred node", java.time.Duration.ofSeconds(60), () -> {
            for (int g = 0; g < cluster.config().groupCount(); g++) {
                if (cluster.leaderIndex(g) != cluster.indexOf(cluster.node(0).placement().preferredLeader(g).id())) {
                    return false;
                }
            }
            return true;
        });
        try (FlashRaftClient client = FlashRaftClient.connect(ClientPolicy.DEFAULT, seeds(cluster, 2))) {
            ClusterMap map = client.currentMap();
            assertEquals(3, map.nodes().size(), "the map lists every node though only one was given");
            int groups = map.groups().size();
            boolean[] written = new boolean[groups];
            for (int i = 0; i < 60; i++) {
                Key key = Key.of(NS, "seed", i);
                client.put(key, Bins.of("i", Value.of(i)), WritePolicy.DEFAULT);
                written[map.groupOf(key.digest().partition())] = true;
            }
            for (int g = 0; g < groups; g++) {
                assertTrue(written[g], "group " + g + " was written through the one seed");
                assertEquals(cluster.node(cluster.leaderIndex(g)).self().id(), client.currentMap().leaderOf(g).id(),
                        "the client learned the leader of group " + g);
            }
            long forwardedBefore = forwardedCount();
            for (int i = 0; i < 60; i++) {
                assertEquals(Value.of(i), client.get(Key.of(NS, "seed", i), BinSelection.ALL).bins().get("i"));
                client.put(Key.of(NS, "seed", i), Bins.of("j", Value.of(i)), WritePolicy.DEFAULT);
            }
            assertEquals(forwardedBefore, forwardedCount(), "with the map learned, no request needs a second hop");
        }
    }

    private static long forwardedCount() {
        long sum = 0;
        for (int n = 0; n < cluster.size(); n++) {
            if (cluster.running(n)) {
                sum += cluster.node(n).metricRegistry().counter("gateway.forwarded").getCount();
            }
        }
        return sum;
    }

    @Test
    void aReplyFromAnotherNodeCarriesTheBytesOfTheRecordUnchanged() {
        try (FlashRaftClient client = FlashRaftClient.connect(ClientPolicy.DEFAULT, seeds(cluster, 1))) {
            byte[] blob = new byte[200_000];
            new java.util.Random(7).nextBytes(blob);
            Key key = Key.of(NS, "blobs", "b1");
            client.put(key, Bins.of("data", Value.of(blob)), WritePolicy.DEFAULT);
            assertArrayEquals(blob, ((Value.BytesValue) client.get(key, BinSelection.ALL).bins().get("data")).value());
        }
    }

    /** Runs one CLI command as the launcher would; answers its exit code, output and errors. */
    private record Run(int exitCode, String out, String err) {
    }

    private static Run cli(String... args) {
        @picocli.CommandLine.Command(name = "flashraft")
        final class Launcher {
        }
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine line = io.flashraft.client.cli.ClientCli.addTo(new picocli.CommandLine(new Launcher()));
        line.setOut(new java.io.PrintWriter(out));
        line.setErr(new java.io.PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.add(1, "--seed=" + seeds(cluster, 0)[0]);
        int code = line.execute(all.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void everyCliCommandWorksAgainstTheCluster() {
        Run put = cli("put", NS, "cli", "k1", "name=Ada", "age=36", "tags=[\"a\",1]", "raw=bytes:00ff");
        assertEquals(0, put.exitCode(), put.err());
        assertTrue(put.out().contains("generation 1"), put.out());

        Run get = cli("get", "--json", NS, "cli", "k1");
        assertEquals(0, get.exitCode(), get.err());
        assertEquals("{\"generation\":1,\"voidTimeSec\":0,\"bins\":{\"age\":36,\"name\":\"Ada\","
                + "\"raw\":{\"bytes\":\"00ff\"},\"tags\":[\"a\",1]}}", get.out().trim());
        Run table = cli("get", NS, "cli", "k1", "--bin", "name");
        assertTrue(table.out().contains("name") && table.out().contains("\"Ada\"") && !table.out().contains("age"),
                table.out());

        assertEquals(0, cli("exists", NS, "cli", "k1").exitCode());
        Run missing = cli("exists", NS, "cli", "nope");
        assertEquals(1, missing.exitCode(), "not found is exit code 1");
        assertTrue(missing.err().contains("NOT_FOUND"), missing.err());

        Run operate = cli("operate", "--json", NS, "cli", "k1", "add:age=1", "read:age", "map-put:m[\"x\"]=2");
        assertEquals(0, operate.exitCode(), operate.err());
        assertTrue(operate.out().contains("\"age\":37"), operate.out());
        assertTrue(cli("get", "--json", NS, "cli", "k1").out().contains("\"m\":{\"x\":2}"));

        Run refused = cli("put", "--exists=create-only", NS, "cli", "k1", "a=1");
        assertEquals(3, refused.exitCode(), "a definite refusal is exit code 3");
        assertTrue(refused.err().contains("RECORD_EXISTS"), refused.err());

        assertEquals(0, cli("touch", NS, "cli", "k1").exitCode());
        cli("put", NS, "cli", "k2", "n=2");
        Run batch = cli("batch-get", "--json", NS, "cli", "k1", "k2", "k3");
        assertEquals(1, batch.exitCode(), "a batch with a missing record says so");
        assertTrue(batch.out().startsWith("[{") && batch.out().trim().endsWith(",null]"), batch.out());

        Run scan = cli("scan", NS, "--set", "cli");
        assertEquals(0, scan.exitCode(), scan.err());
        assertTrue(scan.out().contains("2 records"), scan.out());

        assertEquals(0, cli("delete", NS, "cli", "k2").exitCode());
        assertEquals(1, cli("delete", NS, "cli", "k2").exitCode());
        Run truncate = cli("truncate", "--json", NS, "cli");
        assertEquals("{\"removed\":1}", truncate.out().trim());

        Run status = cli("status");
        assertEquals(0, status.exitCode(), status.err());
        for (int n = 0; n < 3; n++) {
            assertTrue(status.out().contains(cluster.config().nodes().get(n).id()), status.out());
        }
        assertTrue(status.out().contains("partitions"), status.out());
        Run statusJson = cli("status", "--json");
        assertTrue(statusJson.out().contains("\"partitions\":1366") && statusJson.out().contains("\"up\":true"),
                statusJson.out());

        Run metrics = cli("metrics", "--match", "gateway_op_put");
        assertEquals(0, metrics.exitCode(), metrics.err());
        assertTrue(metrics.out().contains("flashraft_gateway_op_put_count"), metrics.out());

        Run usage = cli("put", NS, "cli", "k9", "no-equals-sign");
        assertEquals(2, usage.exitCode(), "bad usage is exit code 2");
        assertTrue(cli("get", "--help").out().contains("Exit codes"));
    }

    @Test
    void aCliCommandAgainstNoClusterSaysSoWithExitCodeFour() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        @picocli.CommandLine.Command(name = "flashraft")
        final class Launcher {
        }
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine line = io.flashraft.client.cli.ClientCli.addTo(new picocli.CommandLine(new Launcher()));
        line.setErr(new java.io.PrintWriter(err));
        assertEquals(4, line.execute("get", "--seed=127.0.0.1:" + closedPort, "--timeout-ms=1000", NS, "s", "k"));
        assertTrue(err.toString().contains("UNAVAILABLE"), err.toString());
    }
}
