package io.flashraft.loadgen.flashraft;

import io.flashraft.consensus.TestCluster;
import io.flashraft.gateway.GatewayServices;
import io.flashraft.loadgen.Driver;
import io.flashraft.loadgen.DriverContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The FlashRaft driver against a 3-node in-JVM cluster; each test writes a set of its own. */
class FlashRaftDriverTest extends DriverContract {
    @TempDir
    static Path dir;
    private static TestCluster cluster;
    private static final AtomicInteger sets = new AtomicInteger();
    private final List<FlashRaftDriver> drivers = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = TestCluster.in(dir).nodes(3).services(GatewayServices.INSTANCE).start();
        cluster.awaitLeaders();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        cluster.close();
    }

    @Override
    protected Driver driver() {
        String seed = "127.0.0.1:" + cluster.config().nodes().get(0).gatewayPort();
        FlashRaftDriver driver = FlashRaftDriver.connect(List.of(seed), TestCluster.NAMESPACE, "contract" + sets.incrementAndGet());
        drivers.add(driver);
        return driver;
    }

    @AfterEach
    void closeDrivers() {
        drivers.forEach(FlashRaftDriver::close);
    }
}
