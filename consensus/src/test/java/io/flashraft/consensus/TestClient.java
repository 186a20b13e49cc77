package io.flashraft.consensus;

import io.flashraft.protocol.Reply;
import io.flashraft.protocol.ReplyCodec;
import io.flashraft.protocol.Request;
import io.flashraft.statemachine.Command;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What the gateway and client will do, in one JVM: route a request to its group's leader, and
 * retry a write with the same session and sequence until its outcome is known.
 */
public final class TestClient {
    private final TestCluster cluster;
    private final long sessionId;
    private long sequence;

    public TestClient(TestCluster cluster, long sessionId) {
        this.cluster = cluster;
        this.sessionId = sessionId;
    }

    /** The next sequence number of this session. */
    public long nextSequence() {
        return ++sequence;
    }

    /** Writes once, retrying through whichever node leads until the outcome is known. */
    public Reply write(Request request) {
        return submit(new Command(sessionId, nextSequence(), request), Duration.ofSeconds(60));
    }

    /** Submits a command (a retry keeps its sequence) until some leader answers it. */
    public Reply submit(Command command, Duration timeout) {
        return submit(group(command.request()), command, timeout);
    }

    /** Submits a command to a chosen group (a truncate goes to every group). */
    public Reply submit(int group, Command command, Duration timeout) {
        return onLeader(group, timeout, node -> node.submit(group, command));
    }

    /** Reads through the group's leader (only a leader answers reads), retrying while there is none. */
    public Reply read(Request request) {
        int group = group(request);
        return onLeader(group, Duration.ofSeconds(60), node -> node.read(group, request));
    }

    /** Asks whichever node leads the group, again and again, until one answers OK. */
    private Reply onLeader(int group, Duration timeout, Function<NodeServer, CompletableFuture<GroupResult>> ask) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastFailure = "no attempt";
        while (System.nanoTime() < deadline) {
            int leader = cluster.leaderIndex(group);
            if (leader >= 0) {
                GroupResult result = join(ask.apply(cluster.node(leader)));
                if (result.ok()) {
                    return ReplyCodec.decode(result.replies().get(0));
                }
                lastFailure = result.status() + ": " + result.reason();
            }
            pause();
        }
        throw new AssertionError("no leader of group " + group + " answered within " + timeout + ": " + lastFailure);
    }

    public int group(Request request) {
        int partition;
        if (request instanceof Request.SingleRecord single) {
            partition = single.digest().partition();
        } else if (request instanceof Request.BatchGet batch) {
            partition = batch.digests().get(0).partition();
        } else {
            partition = ((Request.Scan) request).partition();
        }
        return cluster.node(firstRunning()).placement().groupOf(partition);
    }

    private int firstRunning() {
        for (int i = 0; i < cluster.size(); i++) {
            if (cluster.running(i)) {
                return i;
            }
        }
        throw new IllegalStateException("no node runs");
    }

    private static GroupResult join(CompletableFuture<GroupResult> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            return new GroupResult(GroupResult.Status.IN_DOUBT, null, null, e.toString());
        }
    }

    /** Back-off between attempts while a group has no leader: a retry policy, not synchronisation. */
    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }
}
