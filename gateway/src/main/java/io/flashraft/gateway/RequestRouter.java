package io.flashraft.gateway;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.flashraft.consensus.GroupResult;
import io.flashraft.consensus.NodeAddress;
import io.flashraft.consensus.NodeServer;
import io.flashraft.consensus.PartitionMap;
import io.flashraft.protocol.ClientFrames;
import io.flashraft.protocol.ClientFrames.OperationRequest;
import io.flashraft.protocol.ClientFrames.Result;
import io.flashraft.protocol.ClusterMap;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.ReplyCodec;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.SendFailure;
import io.flashraft.protocol.ResultCode;
import io.flashraft.statemachine.Command;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a client's request on its partition group: on this node when it can (a write when this
 * node leads the group, a linearizable read when it hosts it), else on the group's leader,
 * forwarded over the peer gateway port. Every result names the group's leader as this node
 * knows it, so a partition-aware client sends the next request straight there.
 *
 * <p>How each outcome is classed (docs/protocol.md, section 12): a write that was proposed and
 * whose answer did not come back is in doubt; everything refused before proposing is definite.
 */
final class RequestRouter {
    private static final byte[] NO_REPLY = new byte[0];
    private final NodeServer node;
    private final PeerForwarder forwarder;
    private final Map<Request.OpCode, Timer> latency = new EnumMap<>(Request.OpCode.class);
    private final Map<ResultCode, com.codahale.metrics.Counter> results = new EnumMap<>(ResultCode.class);
    private final com.codahale.metrics.Counter forwarded;

    RequestRouter(NodeServer node, PeerForwarder forwarder) {
        this.node = node;
        this.forwarder = forwarder;
        MetricRegistry metrics = node.metricRegistry();
        for (Request.OpCode op : Request.OpCode.values()) {
            latency.put(op, metrics.timer("gateway.op." + op.name().toLowerCase()));
        }
        for (ResultCode code : ResultCode.values()) {
            results.put(code, metrics.counter("gateway.result." + code.name().toLowerCase()));
        }
        this.forwarded = metrics.counter("gateway.forwarded");
    }

    /** The frame a request arrived in and where its REQUEST body starts: forwarded as it is, never re-encoded. */
    record Body(byte[] frame, int offset) {
    }

    /**
     * Runs one request.
     *
     * @param body      the REQUEST body as it arrived, forwarded unchanged when another node must run it
     * @param fromPeer  whether a peer forwarded it here: then it is never forwarded again
     */
    CompletableFuture<Result> execute(OperationRequest op, Body body, boolean fromPeer) {
        long startNs = System.nanoTime();
        String invalid = validate(op);
        CompletableFuture<Result> outcome;
        if (invalid != null) {
            outcome = CompletableFuture.completedFuture(failure(op, ResultCode.BAD_REQUEST, false, invalid));
        } else {
            outcome = route(op, body, fromPeer);
        }
        return outcome.thenApply(result -> {
            latency.get(op.request().op()).update(System.nanoTime() - startNs, TimeUnit.NANOSECONDS);
            results.get(result.code()).inc();
            return result;
        });
    }

    /** Why the request cannot run anywhere, or null. */
    private String validate(OperationRequest op) {
        Request request = op.request();
        if (op.group() >= node.placement().groupCount()) {
            return "group " + op.group() + " does not exist: the cluster has " + node.placement().groupCount();
        }
        if (node.cluster().namespace(request.namespace()) == null) {
            return "unknown namespace " + request.namespace();
        }
        for (int partition : partitionsOf(request)) {
            if (node.placement().groupOf(partition) != op.group()) {
                return "partition " + partition + " belongs to group " + node.placement().groupOf(partition)
                        + ", not to group " + op.group();
            }
        }
        return null;
    }

    private static List<Integer> partitionsOf(Request request) {
        if (request instanceof Request.SingleRecord single) {
            return List.of(single.digest().partition());
        }
        if (request instanceof Request.BatchGet batch) {
            List<Integer> partitions = new ArrayList<>(batch.digests().size());
            for (Digest digest : batch.digests()) {
                partitions.add(digest.partition());
            }
            return partitions;
        }
        if (request instanceof Request.Scan scan) {
            return List.of(scan.partition());
        }
        return List.of();
    }

    private CompletableFuture<Result> route(OperationRequest op, Body body, boolean fromPeer) {
        int group = op.group();
        boolean write = op.request().isWrite();
        if (write ? node.leads(group) : node.servesReads(group)) {
            CompletableFuture<GroupResult> running = write
                    ? node.submit(group, new Command(op.sessionId(), op.sequence(), op.opensSession(), op.request()))
                    : node.read(group, op.request());
            return running
                    .orTimeout(op.effectiveTimeoutMs(), TimeUnit.MILLISECONDS)
                    .handle((result, error) -> error != null ? timedOut(op, error) : fromGroup(op, result));
        }
        String leader = leaderOf(group);
        if (fromPeer || leader == null || leader.equals(node.self().id())) {
            // A forwarded request is not sent on again; a leader known to be this node is not ready yet.
            return CompletableFuture.completedFuture(leader == null || leader.equals(node.self().id())
                    ? failure(op, ResultCode.UNAVAILABLE, false, "group " + group + " has no leader ready")
                    : failure(op, ResultCode.NOT_LEADER, false, "node " + node.self().id() + " does not lead group " + group));
        }
        forwarded.inc();
        return forwarder.forward(node.cluster().node(leader), body)
                .orTimeout(op.effectiveTimeoutMs(), TimeUnit.MILLISECONDS)
                .handle((result, error) -> {
                    if (error == null) {
                        return new Result(op.requestId(), result.code(), result.inDoubt(), result.leaderId(),
                                result.leaderAddress(), result.message(), result.reply());
                    }
                    Throwable cause = unwrap(error);
                    if (cause instanceof SendFailure failure && !failure.sent()) {
                        return failure(op, ResultCode.UNAVAILABLE, false, cause.getMessage());
                    }
                    return timedOut(op, cause);
                });
    }

    /** The leader of a group as this node knows it: its own division's view, or what peers said. */
    private String leaderOf(int group) {
        if (node.hosts(group)) {
            return node.leaderOf(group);
        }
        PartitionMap.GroupRoute route = node.partitionMap().groups().get(group);
        return route.leader();
    }

    private Result fromGroup(OperationRequest op, GroupResult result) {
        return switch (result.status()) {
            case OK -> {
                byte[] reply = result.replies().get(0);
                ResultCode code;
                try {
                    code = ReplyCodec.codeOf(reply);
                } catch (DecodeException e) {
                    throw new IllegalStateException("the state machine answered with a malformed reply", e);
                }
                yield result(op, code, false, "", reply, null);
            }
            case NOT_LEADER -> result(op, ResultCode.NOT_LEADER, false, result.reason(), NO_REPLY, result.leader());
            case DEVICE_FULL -> failure(op, ResultCode.DEVICE_FULL, false, result.reason());
            case UNAVAILABLE -> failure(op, ResultCode.UNAVAILABLE, false, result.reason());
            case IN_DOUBT -> op.request().isWrite()
                    ? result(op, ResultCode.IN_DOUBT, true, result.reason(), NO_REPLY, result.leader())
                    : failure(op, ResultCode.UNAVAILABLE, false, result.reason());
        };
    }

    /** The request's time ran out, or the answer was lost: a write is in doubt, a read is not. */
    private Result timedOut(OperationRequest op, Throwable error) {
        Throwable cause = unwrap(error);
        boolean write = op.request().isWrite();
        if (cause instanceof TimeoutException) {
            return failure(op, ResultCode.TIMEOUT, write, "no answer within " + op.effectiveTimeoutMs() + " ms");
        }
        return failure(op, write ? ResultCode.IN_DOUBT : ResultCode.UNAVAILABLE, write, String.valueOf(cause.getMessage()));
    }

    private Result failure(OperationRequest op, ResultCode code, boolean inDoubt, String message) {
        return result(op, code, inDoubt, message, NO_REPLY, null);
    }

    /**
     * A result naming the group's leader: {@code leaderHint} when the group's answer named one,
     * else the leader as this node knows it.
     */
    private Result result(OperationRequest op, ResultCode code, boolean inDoubt, String message, byte[] reply,
                          String leaderHint) {
        boolean groupExists = op.group() < node.placement().groupCount();
        String leader = leaderHint != null ? leaderHint : groupExists ? leaderOf(op.group()) : null;
        NodeAddress address = leader == null ? null : findNode(leader);
        return new Result(op.requestId(), code, inDoubt, address == null ? "" : address.id(),
                address == null ? "" : address.host() + ":" + address.gatewayPort(), message == null ? "" : message, reply);
    }

    private NodeAddress findNode(String id) {
        for (NodeAddress address : node.cluster().nodes()) {
            if (address.id().equals(id)) {
                return address;
            }
        }
        return null;
    }

    /** The cluster map a client routes by: every node's gateway, every group's replicas and leader. */
    ClusterMap clusterMap() {
        PartitionMap map = node.partitionMap();
        List<NodeAddress> nodes = node.cluster().nodes();
        List<ClusterMap.Node> entries = new ArrayList<>(nodes.size());
        for (NodeAddress address : nodes) {
            entries.add(new ClusterMap.Node(address.id(), address.host(), address.gatewayPort(), address.metricsPort()));
        }
        List<ClusterMap.Route> routes = new ArrayList<>(map.groups().size());
        for (PartitionMap.GroupRoute route : map.groups()) {
            List<Integer> replicas = route.replicas().stream().map(id -> indexOf(nodes, id)).toList();
            int leader = route.leader() == null ? ClusterMap.Route.NO_LEADER : indexOf(nodes, route.leader());
            routes.add(new ClusterMap.Route(route.group(), replicas, leader, route.term()));
        }
        return new ClusterMap(map.version(), entries, routes);
    }

    /** What this node says of the groups it hosts. */
    ClientFrames.NodeInfo nodeInfo() {
        List<ClientFrames.GroupInfo> groups = new ArrayList<>();
        for (NodeServer.GroupStatus status : node.status()) {
            groups.add(new ClientFrames.GroupInfo(status.group(), status.role(), status.leader() == null ? "" : status.leader(),
                    status.term(), status.appliedIndex(), status.commitIndex(), status.fault() == null ? "" : status.fault()));
        }
        return new ClientFrames.NodeInfo(node.self().id(), groups);
    }

    private static int indexOf(List<NodeAddress> nodes, String id) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).id().equals(id)) {
                return i;
            }
        }
        throw new IllegalStateException("node " + id + " is not in the cluster config");
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
