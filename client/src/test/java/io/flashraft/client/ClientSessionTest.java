package io.flashraft.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.consensus.TestCluster;
import io.flashraft.gateway.GatewayServices;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import io.flashraft.statemachine.SessionConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client whose session a group forgot opens it again, and its writes still apply once. */
class ClientSessionTest {
    @TempDir
    Path dir;

    @Test
    void aClientWhoseSessionWasPushedOutOpensItAgainAndItsWriteAppliesOnce() {
        // One session per group: every other client's first write pushes the previous session out.
        try (TestCluster cluster = TestCluster.in(dir).nodes(1).replicationFactor(1)
                .sessions(new SessionConfig(16, 600_000, 1)).services(GatewayServices.INSTANCE).start();
             FlashRaftClient first = FlashRaftClient.connect(ClientPolicy.DEFAULT, ClientClusterTest.seeds(cluster, 0));
             FlashRaftClient second = FlashRaftClient.connect(ClientPolicy.DEFAULT, ClientClusterTest.seeds(cluster, 0))) {
            cluster.awaitLeaders();
            Key counter = Key.of(TestCluster.NAMESPACE, "s", "counter");
            List<BinOp> increment = List.of(BinOp.add("n", Value.of(1)));
            first.operate(counter, WritePolicy.DEFAULT, increment);
            second.operate(counter, WritePolicy.DEFAULT, increment);
            long refusedBefore = sessionUnknownCount(cluster);

            first.operate(counter, WritePolicy.DEFAULT, increment);
            assertTrue(sessionUnknownCount(cluster) > refusedBefore,
                    "the group refused the write of a session it no longer knew before the client opened it again");
            assertEquals(Value.of(3), first.get(counter, BinSelection.ALL).bins().get("n"), "every increment applied once");
        }
    }

    private static long sessionUnknownCount(TestCluster cluster) {
        return cluster.node(0).metricRegistry().counter("gateway.result.session_unknown").getCount();
    }
}
