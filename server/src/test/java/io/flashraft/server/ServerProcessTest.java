package io.flashraft.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.consensus.TestCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flashraft server} as a real process: it starts, serves its status, and stops on SIGTERM with exit 0. */
class ServerProcessTest {
    @TempDir
    Path dir;

    @Test
    void aNodeRunsUntilSigtermThenStopsCleanlyAndStartsAgain() throws Exception {
        int metricsPort = TestCluster.freePort();
        Path config = dir.resolve("node1.yaml");
        Files.writeString(config, """
                node-id: n1
                data-dir: data
                cluster:
                  partition-groups: 2
                  nodes:
                    - {id: n1, host: 127.0.0.1, raft-port: %d, gateway-port: %d, metrics-port: %d}
                raft:
                  election-timeout-min-ms: 1000
                  election-timeout-max-ms: 2000
                namespaces:
                  - name: test
                    storage:
                      devices: [test.dat]
                      device-size-bytes: 16777216
                      write-block-size-bytes: 65536
                """.formatted(TestCluster.freePort(), TestCluster.freePort(), metricsPort));
        for (int run = 1; run <= 2; run++) {
            Path log = dir.resolve("run" + run + ".log");
            Process server = launch(log, "server", "--config", config.toString());
            try {
                String status = awaitLeaders(metricsPort, server, log);
                assertTrue(status.contains("node n1"), status);
                assertTrue(http(metricsPort, "/metrics").contains("flashraft_group_appliedIndex{group=\"0\",node=\"n1\"}"));
            } finally {
                server.destroy(); // SIGTERM
            }
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), "the node stops within a minute of SIGTERM");
            assertEquals(0, server.exitValue(), () -> "exit code after SIGTERM; log:\n" + read(log));
            assertTrue(read(log).contains("node n1: stopped"), () -> read(log));
        }
    }

    @Test
    void aBadConfigStopsStartUpWithTheFileAndKeyNamed() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "node-id: n1\ndata-dir: data\n");
        Path log = dir.resolve("bad.log");
        Process server = launch(log, "server", "--config", config.toString());
        assertTrue(server.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, server.exitValue());
        assertTrue(read(log).contains(config + ": cluster: missing (required)"), () -> read(log));
    }

    private static Process launch(Path log, String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), FlashRaftCommand.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String awaitLeaders(int metricsPort, Process server, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new AssertionError("the node exited with " + server.exitValue() + ":\n" + read(log));
            }
            try {
                last = http(metricsPort, "/status");
                if (last.lines().skip(2).count() == 2 && last.lines().skip(2).noneMatch(line -> line.split("\\s+")[2].equals("-"))) {
                    return last;
                }
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no leader for every group within 90 s; last status: " + last + "\n" + read(log));
    }

    private static String http(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(path + " answered " + response.statusCode());
        }
        return response.body();
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }
}
