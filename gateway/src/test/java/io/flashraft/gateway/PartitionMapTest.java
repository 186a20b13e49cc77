package io.flashraft.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.consensus.PartitionMap;
import io.flashraft.consensus.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every node answers the whole partition map, learning the leaders of groups it does not host from their hosts. */
class PartitionMapTest {
    @TempDir
    Path dir;

    @Test
    void aNodeKnowsTheLeaderOfEveryGroupAndTheVersionGrowsWhenOneChanges() {
        try (TestCluster cluster = TestCluster.in(dir).nodes(5).replicationFactor(3).services(GatewayServices.INSTANCE).start()) {
            cluster.awaitLeaders();
            int foreign = -1;
            for (int g = 0; g < 5; g++) {
                if (!cluster.node(0).hosts(g)) {
                    foreign = g;
                }
            }
            assertTrue(foreign >= 0, "with 5 nodes and 3 replicas node 0 hosts only some groups");
            TestCluster.await("node 0 knowing every group's leader", Duration.ofSeconds(60), () -> agrees(cluster));
            PartitionMap before = cluster.node(0).partitionMap();
            assertEquals(5, before.groups().size());
            assertEquals(before.routeOf(foreign + 5).group(), foreign, "partition p belongs to group p mod G");

            int group = foreign;
            int oldLeader = cluster.awaitLeader(group);
            assertFalse(oldLeader == 0);
            cluster.halt(oldLeader);
            TestCluster.await("a new leader of group " + group, Duration.ofSeconds(60), () -> cluster.leaderIndex(group) >= 0);
            TestCluster.await("node 0 learning the new leader of group " + group, Duration.ofSeconds(60), () -> {
                PartitionMap now = cluster.node(0).partitionMap();
                return now.version() > before.version()
                        && cluster.config().nodes().get(cluster.leaderIndex(group)).id().equals(now.groups().get(group).leader());
            });
        }
    }

    /** Whether node 0's map names each group's actual leader. */
    private static boolean agrees(TestCluster cluster) {
        PartitionMap map = cluster.node(0).partitionMap();
        for (PartitionMap.GroupRoute route : map.groups()) {
            int leader = cluster.leaderIndex(route.group());
            if (leader < 0 || !cluster.config().nodes().get(leader).id().equals(route.leader())) {
                return false;
            }
        }
        return true;
    }
}
