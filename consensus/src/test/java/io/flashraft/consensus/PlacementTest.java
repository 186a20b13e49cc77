package io.flashraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flashraft.protocol.Partitions;
import io.flashraft.statemachine.SessionConfig;
import java.util.BitSet;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PlacementTest {
    private static final List<NodeAddress> NODES = IntStream.rangeClosed(1, 5)
            .mapToObj(n -> new NodeAddress("n" + n, "127.0.0.1", 7100 + n, 7200 + n, 7300 + n)).toList();

    private static Placement placement(int nodes, int groups) {
        return new Placement(new ClusterConfig(NODES.subList(0, nodes), groups, 3,
                List.of(new NamespaceConfig("test", NamespaceConfig.Consistency.STRONG, 0, 1 << 20)), SessionConfig.DEFAULT));
    }

    @Test
    void everyPartitionBelongsToExactlyOneGroupWhateverG() {
        for (int groups : new int[] {1, 2, 3, 12, Partitions.COUNT}) {
            Placement placement = placement(3, groups);
            BitSet seen = new BitSet(Partitions.COUNT);
            for (int g = 0; g < groups; g++) {
                BitSet owned = placement.partitionsOf(g);
                assertEquals(0, cardinalityOfAnd(seen, owned), "G=" + groups + ": group " + g + " shares a partition");
                seen.or(owned);
            }
            assertEquals(Partitions.COUNT, seen.cardinality(), "G=" + groups);
            for (int p = 0; p < Partitions.COUNT; p++) {
                assertTrue(placement.partitionsOf(placement.groupOf(p)).get(p), "G=" + groups + ", partition " + p);
            }
        }
    }

    @Test
    void oneGroupOnThreeNodesLivesOnAllOfThemAndPrefersTheFirst() {
        Placement placement = placement(3, 1);
        assertEquals(List.of("n1", "n2", "n3"), placement.replicas(0).stream().map(NodeAddress::id).toList());
        assertEquals("n1", placement.preferredLeader(0).id());
        for (String node : List.of("n1", "n2", "n3")) {
            assertEquals(List.of(0), placement.groupsOf(node));
        }
    }

    @Test
    void groupsThatAreAMultipleOfTheNodesSpreadTheirPreferredLeadersEvenly() {
        Placement placement = placement(5, 10);
        int[] preferred = new int[5];
        for (int g = 0; g < 10; g++) {
            preferred[Integer.parseInt(placement.preferredLeader(g).id().substring(1)) - 1]++;
            assertEquals(3, placement.replicas(g).stream().distinct().count(), "group " + g + " has three distinct replicas");
        }
        assertEquals(List.of(2, 2, 2, 2, 2), IntStream.of(preferred).boxed().toList());
        for (NodeAddress node : NODES) {
            assertEquals(6, placement.groupsOf(node.id()).size(), node.id() + " hosts 10 x 3 / 5 replicas");
        }
    }

    @Test
    void aGroupCountOutsideOneToTheNumberOfPartitionsIsRefused() {
        for (int groups : new int[] {0, -1, Partitions.COUNT + 1}) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> placement(3, groups));
            assertEquals("partition groups must be 1..4096, got " + groups, refused.getMessage());
        }
    }

    private static int cardinalityOfAnd(BitSet a, BitSet b) {
        BitSet both = (BitSet) a.clone();
        both.and(b);
        return both.cardinality();
    }
}
