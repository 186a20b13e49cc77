package io.flashraft.loadgen.peers;

import io.flashraft.loadgen.Driver;
import io.flashraft.loadgen.DriverContract;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The ZooKeeper driver against a real ZooKeeper server (standalone, in this JVM, on loopback); each test under a root of its own. */
class ZooKeeperDriverTest extends DriverContract {
    @TempDir
    static Path dir;
    private static ZooKeeperServer server;
    private static ServerCnxnFactory factory;
    private static final AtomicInteger roots = new AtomicInteger();
    private final List<ZooKeeperDriver> drivers = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        server = new ZooKeeperServer(dir.resolve("snap").toFile(), dir.resolve("log").toFile(), 2000);
        factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 100);
        factory.startup(server);
    }

    @AfterAll
    static void stopServer() {
        factory.shutdown();
        server.shutdown();
    }

    @Override
    protected Driver driver() throws Exception {
        ZooKeeperDriver driver = ZooKeeperDriver.connect(List.of("127.0.0.1:" + factory.getLocalPort()), 2,
                "/contract" + roots.incrementAndGet());
        drivers.add(driver);
        return driver;
    }

    @AfterEach
    void closeDrivers() throws InterruptedException {
        for (ZooKeeperDriver driver : drivers) {
            driver.close();
        }
    }
}
