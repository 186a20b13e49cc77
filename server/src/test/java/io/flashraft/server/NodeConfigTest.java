package io.flashraft.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.consensus.RaftTuning;
import io.flashraft.device.StoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node config files: the shipped ones load, and every kind of mistake names its file and key. */
class NodeConfigTest {
    private static final String VALID = """
            node-id: n1
            data-dir: data
            cluster:
              nodes:
                - {id: n1, host: 127.0.0.1, raft-port: 7101, gateway-port: 7201, metrics-port: 7301}
            namespaces:
              - name: test
                storage:
                  devices: [test.dat]
                  device-size-bytes: 16777216
            """;

    @TempDir
    Path dir;

    @Test
    void theConfigsClusterShWritesLoadAndAgreeOnTheCluster() throws Exception {
        for (int count : new int[] {3, 5}) {
            Path run = dir.resolve("run" + count);
            Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("scripts").resolve("cluster.sh");
            ProcessBuilder builder = new ProcessBuilder("bash", script.toString(), "configure", "--nodes", String.valueOf(count))
                    .redirectErrorStream(true);
            builder.environment().put("FLASHRAFT_RUN", run.toString());
            Process configure = builder.start();
            String output = new String(configure.getInputStream().readAllBytes());
            assertEquals(0, configure.waitFor(), output);
            NodeConfig first = NodeConfig.load(run.resolve("conf").resolve("n1.yaml"));
            for (int n = 2; n <= count; n++) {
                NodeConfig other = NodeConfig.load(run.resolve("conf").resolve("n" + n + ".yaml"));
                assertEquals("n" + n, other.nodeId());
                assertEquals(first.cluster().hash(), other.cluster().hash(), "n" + n + ".yaml describes the same cluster");
                assertEquals(run.resolve("data").resolve("n" + n).normalize(), other.dataDir().normalize());
            }
            assertEquals(count, first.cluster().groupCount());
            assertEquals(3, first.cluster().replicationFactor());
        }
    }

    @Test
    void leftOutKeysTakeTheirDefaultsAndPathsResolveAgainstTheFile() throws Exception {
        NodeConfig config = NodeConfig.load(write(VALID));
        assertEquals(dir.resolve("data"), config.dataDir());
        assertEquals(1, config.cluster().groupCount(), "one group per node");
        assertEquals(1, config.cluster().replicationFactor(), "capped by the number of nodes");
        assertEquals(RaftTuning.DEFAULT, config.raft());
        StoreConfig store = config.stores().get("test");
        assertEquals(StoreConfig.Engine.DEVICE, store.engine());
        assertEquals(dir.resolve("data/test/test.dat"), store.devices().get(0));
        assertEquals(1 << 20, store.writeBlockSizeBytes());
    }

    @Test
    void aMissingKeyIsNamed() throws IOException {
        assertRefused(VALID.replace("node-id: n1\n", ""), "node-id: missing (required)");
    }

    @Test
    void aValueOfTheWrongTypeIsNamedWithItsPath() throws IOException {
        assertRefused(VALID.replace("raft-port: 7101", "raft-port: seven"), "cluster.nodes[0].raft-port: expected an integer");
    }

    @Test
    void aValueOutOfRangeIsNamed() throws IOException {
        assertRefused(VALID.replace("raft-port: 7101", "raft-port: 70000"), "cluster.nodes[0].raft-port: expected an integer in 1..65535");
    }

    @Test
    void aStoreSettingOutOfTheStoresRangeIsNamed() throws IOException {
        assertRefused(VALID.replace("      device-size-bytes: 16777216\n", "      device-size-bytes: 16777216\n      flush-interval-ms: 0\n"),
                "namespaces[0]: flush-interval-ms 0 outside 1..60000");
    }

    @Test
    void anUnknownKeyIsRefusedAsAProbableMisspelling() throws IOException {
        assertRefused(VALID.replace("cluster:\n", "cluster:\n  replication-factr: 3\n"),
                "cluster.replication-factr: unknown setting");
    }

    @Test
    void aNodeIdOutsideTheClusterIsRefused() throws IOException {
        assertRefused(VALID.replace("node-id: n1", "node-id: n9"), "node-id: 'n9' is not the id of any of cluster.nodes");
    }

    @Test
    void aDeviceEngineWithoutDevicesIsRefused() throws IOException {
        assertRefused(VALID.replace("      devices: [test.dat]\n", ""), "namespaces[0].storage.devices: missing");
    }

    @Test
    void brokenYamlIsRefused() throws IOException {
        assertRefused("node-id: [unclosed\n", "not valid YAML");
    }

    private void assertRefused(String yaml, String expected) throws IOException {
        Path file = write(yaml);
        ConfigException refused = assertThrows(ConfigException.class, () -> NodeConfig.load(file));
        assertTrue(refused.getMessage().startsWith(file + ": "), refused.getMessage());
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("node.yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
