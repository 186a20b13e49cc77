package io.flashraft.loadgen.flashraft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.client.ClientPolicy;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.Key;
import io.flashraft.consensus.TestCluster;
import io.flashraft.gateway.GatewayServices;
import io.flashraft.protocol.BinSelection;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code flashraft bench} against a 3-node in-JVM cluster: it loads the keys, runs the mix, and reports it. */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void aBenchLoadsTheKeysRunsTheMixAndWritesItsResult() throws Exception {
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).services(GatewayServices.INSTANCE).start()) {
            cluster.awaitLeaders();
            String seed = "127.0.0.1:" + cluster.config().nodes().get(0).gatewayPort();
            Path json = dir.resolve("result.json");
            int code = new CommandLine(new BenchCommand()).execute("--seed", seed, "--namespace", TestCluster.NAMESPACE,
                    "--threads", "4", "--warmup", "0", "--duration", "2", "--keys", "200", "--load", "--workload", "A",
                    "--value-size", "100", "--json", json.toString());

            assertEquals(0, code, "no operation failed");
            String result = Files.readString(json);
            assertTrue(result.contains("\"system\":\"flashraft\"") && result.contains("\"errors\":0"), result);
            assertTrue(result.contains("\"read\":{\"count\":") && result.contains("\"update\":{\"count\":"), result);
            try (FlashRaftClient client = FlashRaftClient.connect(ClientPolicy.DEFAULT, seed)) {
                for (long key = 0; key < 200; key += 37) {
                    assertTrue(client.get(Key.of(TestCluster.NAMESPACE, "bench", key), BinSelection.ALL) != null,
                            "the load wrote key " + key);
                }
            }
        }
    }

    @Test
    void aMalformedMixIsABadUsage() {
        int code = new CommandLine(new BenchCommand()).execute("--seed", "127.0.0.1:1", "--workload", "read=lots");
        assertEquals(2, code);
    }
}
