package io.flashraft.client.cli;

import io.flashraft.client.FlashRaftClient;
import io.flashraft.protocol.ClientFrames;
import io.flashraft.protocol.ClusterMap;
import io.flashraft.protocol.Partitions;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The CLI commands about the cluster: status and metrics. */
final class ClusterCommands {
    private ClusterCommands() {
    }

    @Command(name = "status", description = "The cluster's nodes, and each partition group's replicas, leader and partitions.")
    static final class Status extends ClientCommand {
        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            ClusterMap map = client.clusterMap();
            List<ClientFrames.NodeInfo> infos = client.clusterInfo();
            Map<String, ClientFrames.NodeInfo> byNode = new HashMap<>();
            infos.forEach(info -> byNode.put(info.nodeId(), info));
            int groups = map.groups().size();
            if (json) {
                StringBuilder line = new StringBuilder("{\"version\":").append(map.version()).append(",\"nodes\":[");
                for (int n = 0; n < map.nodes().size(); n++) {
                    ClusterMap.Node node = map.nodes().get(n);
                    line.append(n == 0 ? "" : ",").append("{\"id\":").append(ValueSyntax.quote(node.id()))
                            .append(",\"address\":").append(ValueSyntax.quote(node.address()))
                            .append(",\"up\":").append(byNode.containsKey(node.id()))
                            .append(",\"leads\":").append(leads(map, n)).append('}');
                }
                line.append("],\"groups\":[");
                for (int g = 0; g < groups; g++) {
                    ClusterMap.Route route = map.groups().get(g);
                    ClusterMap.Node leader = map.leaderOf(g);
                    line.append(g == 0 ? "" : ",").append("{\"group\":").append(g)
                            .append(",\"leader\":").append(leader == null ? "null" : ValueSyntax.quote(leader.id()))
                            .append(",\"term\":").append(route.term())
                            .append(",\"replicas\":[");
                    for (int r = 0; r < route.replicas().size(); r++) {
                        line.append(r == 0 ? "" : ",").append(ValueSyntax.quote(map.nodes().get(route.replicas().get(r)).id()));
                    }
                    line.append("],\"partitions\":").append(partitions(g, groups))
                            .append(",\"appliedIndex\":").append(appliedIndex(byNode, leader, g)).append('}');
                }
                out.println(line.append("]}"));
                return allUp(map, byNode) ? 0 : UNAVAILABLE;
            }
            Table nodes = new Table("node", "address", "state", "leads");
            for (int n = 0; n < map.nodes().size(); n++) {
                ClusterMap.Node node = map.nodes().get(n);
                nodes.row(node.id(), node.address(), byNode.containsKey(node.id()) ? "up" : "unreachable", leads(map, n));
            }
            nodes.print(out);
            out.println();
            Table table = new Table("group", "leader", "term", "replicas", "partitions", "applied");
            for (int g = 0; g < groups; g++) {
                ClusterMap.Route route = map.groups().get(g);
                ClusterMap.Node leader = map.leaderOf(g);
                table.row(g, leader == null ? "(none)" : leader.id(), route.term(),
                        String.join(",", route.replicas().stream().map(r -> map.nodes().get(r).id()).toList()),
                        partitions(g, groups), appliedIndex(byNode, leader, g));
            }
            table.print(out);
            return allUp(map, byNode) ? 0 : UNAVAILABLE;
        }

        private static int leads(ClusterMap map, int node) {
            int count = 0;
            for (ClusterMap.Route route : map.groups()) {
                count += route.leader() == node ? 1 : 0;
            }
            return count;
        }

        /** How many of the partitions belong to group g: those p with p mod G = g. */
        private static int partitions(int group, int groups) {
            return Partitions.COUNT / groups + (group < Partitions.COUNT % groups ? 1 : 0);
        }

        private static long appliedIndex(Map<String, ClientFrames.NodeInfo> byNode, ClusterMap.Node leader, int group) {
            if (leader == null || !byNode.containsKey(leader.id())) {
                return -1;
            }
            return byNode.get(leader.id()).groups().stream().filter(info -> info.group() == group)
                    .mapToLong(ClientFrames.GroupInfo::appliedIndex).findFirst().orElse(-1);
        }

        private static boolean allUp(ClusterMap map, Map<String, ClientFrames.NodeInfo> byNode) {
            return map.nodes().stream().allMatch(node -> byNode.containsKey(node.id()))
                    && map.groups().stream().allMatch(route -> route.leader() != ClusterMap.Route.NO_LEADER);
        }
    }

    @Command(name = "metrics", description = "Every node's metrics (Prometheus text from its metrics port), filtered.")
    static final class Metrics extends ClientCommand {
        @Option(names = "--match", paramLabel = "TEXT", description = "Only metrics whose line contains TEXT (e.g. gateway_op).")
        String match;

        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            int failures = 0;
            boolean first = true;
            if (json) {
                out.print("[");
            }
            for (ClusterMap.Node node : client.currentMap().nodes()) {
                String body;
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                    URI.create("http://" + node.host() + ":" + node.metricsPort() + "/metrics"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    body = response.statusCode() == 200 ? response.body() : null;
                } catch (IOException e) {
                    body = null;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return UNAVAILABLE;
                }
                if (body == null) {
                    spec.commandLine().getErr().println("flashraft: node " + node.id() + " did not serve its metrics");
                    failures++;
                    continue;
                }
                for (String line : body.split("\n")) {
                    if (line.isEmpty() || line.startsWith("#") || match != null && !line.contains(match)) {
                        continue;
                    }
                    if (json) {
                        int space = line.lastIndexOf(' ');
                        out.print((first ? "" : ",") + "{\"metric\":" + ValueSyntax.quote(line.substring(0, space))
                                + ",\"value\":" + ValueSyntax.quote(line.substring(space + 1)) + "}");
                        first = false;
                    } else {
                        out.println(line);
                    }
                }
            }
            if (json) {
                out.println("]");
            }
            spec.commandLine().getErr().flush();
            return failures == 0 ? 0 : UNAVAILABLE;
        }
    }
}
