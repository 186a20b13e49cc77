package io.flashraft.loadgen.peers;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.flashraft.loadgen.Driver;
import io.flashraft.loadgen.DriverContract;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The etcd driver against a real etcd: Debian's etcd-server, one member started by this test on
 * free loopback ports (.ci/run installs the package). Each test writes under a prefix of its own.
 */
class EtcdDriverTest extends DriverContract {
    private static final Path ETCD = Path.of("/usr/bin/etcd");
    @TempDir
    static Path dir;
    private static Process etcd;
    private static String endpoint;
    private static final AtomicInteger prefixes = new AtomicInteger();
    private final List<EtcdDriver> drivers = new ArrayList<>();

    @BeforeAll
    static void startEtcd() throws Exception {
        assertTrue(Files.isExecutable(ETCD), ETCD + " is missing: apt-get install etcd-server");
        int clientPort = freePort();
        int peerPort = freePort();
        endpoint = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        etcd = new ProcessBuilder(ETCD.toString(), "--name", "e1", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "e1=" + peer, "--initial-cluster-state", "new")
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!healthy()) {
            if (!etcd.isAlive() || System.nanoTime() > deadline) {
                fail("etcd did not become healthy:\n" + Files.readString(dir.resolve("etcd.log")));
            }
            Thread.sleep(100); // polling a process we do not control: no event to wait on
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static boolean healthy() {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create(endpoint + "/health").toURL().openConnection();
            connection.setConnectTimeout(1_000);
            connection.setReadTimeout(1_000);
            return connection.getResponseCode() == 200
                    && new String(connection.getInputStream().readAllBytes()).contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        }
    }

    @AfterAll
    static void stopEtcd() throws InterruptedException {
        if (etcd != null) {
            etcd.destroy();
            etcd.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Override
    protected Driver driver() {
        EtcdDriver driver = EtcdDriver.connect(List.of(endpoint), 2, "contract" + prefixes.incrementAndGet());
        drivers.add(driver);
        return driver;
    }

    @AfterEach
    void closeDrivers() {
        drivers.forEach(EtcdDriver::close);
    }
}
