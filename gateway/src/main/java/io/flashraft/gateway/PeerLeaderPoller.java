package io.flashraft.gateway;

import io.flashraft.consensus.NodeAddress;
import io.flashraft.consensus.NodeServer;
import io.flashraft.protocol.ByteReader;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node's partition map whole: every interval it asks each peer that hosts a group this
 * node does not host for the leaders of its groups (LEADERS on the peer's gateway port) and
 * hands the answers to {@link NodeServer#learnLeaders}. A node that hosts every group asks
 * nobody.
 */
public final class PeerLeaderPoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLeaderPoller.class);
    private static final long ANSWER_TIMEOUT_MS = 5_000;

    private final NodeServer node;
    private final long intervalMs;
    private final EventLoopGroup loops = Transport.eventLoops(1);
    private final PeerConnector connector;
    private final Set<NodeAddress> peers = new LinkedHashSet<>();
    private final Thread thread;
    private volatile boolean running = true;

    private PeerLeaderPoller(NodeServer node, long intervalMs) {
        this.node = node;
        this.intervalMs = intervalMs;
        this.connector = new PeerConnector(node.cluster(), node.self().id(), loops);
        for (int group = 0; group < node.placement().groupCount(); group++) {
            if (!node.hosts(group)) {
                peers.addAll(node.placement().replicas(group));
            }
        }
        this.thread = new Thread(this::run, "leader-poll-" + node.self().id());
        this.thread.setDaemon(true);
    }

    /** Starts polling (or nothing, when the node hosts every group). */
    public static PeerLeaderPoller start(NodeServer node, long intervalMs) {
        PeerLeaderPoller poller = new PeerLeaderPoller(node, intervalMs);
        if (!poller.peers.isEmpty()) {
            poller.thread.start();
        }
        return poller;
    }

    private void run() {
        while (running) {
            for (NodeAddress peer : peers) {
                try {
                    CompletableFuture<Map<Integer, NodeServer.LeaderTerm>> answer = ask(peer);
                    try {
                        node.learnLeaders(answer.get(ANSWER_TIMEOUT_MS, TimeUnit.MILLISECONDS));
                    } finally {
                        answer.cancel(false);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    LOG.debug("node {}: no leaders from {}: {}", node.self().id(), peer.id(), e.toString());
                }
            }
            try {
                Thread.sleep(intervalMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One LEADERS round trip. */
    CompletableFuture<Map<Integer, NodeServer.LeaderTerm>> ask(NodeAddress peer) {
        CompletableFuture<Map<Integer, NodeServer.LeaderTerm>> answer = new CompletableFuture<>();
        io.netty.channel.ChannelFuture connection = connector.connect(peer, true, new SimpleChannelInboundHandler<ByteBuf>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
                PeerFrames.Received received = PeerFrames.Received.of(frame);
                ByteReader in = received.body();
                if (received.kind() == PeerFrames.LEADERS_REPLY) {
                    Map<Integer, NodeServer.LeaderTerm> leaders = new HashMap<>();
                    int count = in.readCount(11, "leaders");
                    for (int i = 0; i < count; i++) {
                        int group = in.readUnsignedShort();
                        long term = in.readLong();
                        leaders.put(group, new NodeServer.LeaderTerm(in.readString(), term));
                    }
                    answer.complete(leaders);
                    ctx.close();
                } else if (received.kind() == PeerFrames.ERROR) {
                    answer.completeExceptionally(new IllegalStateException(in.readString()));
                    ctx.close();
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                answer.completeExceptionally(new IllegalStateException("connection closed"));
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                answer.completeExceptionally(cause);
                ctx.close();
            }
        }).addListener((ChannelFutureListener) connected -> {
            if (!connected.isSuccess()) {
                answer.completeExceptionally(connected.cause());
                return;
            }
            connected.channel().write(connector.hello());
            connected.channel().writeAndFlush(PeerFrames.frame(PeerFrames.LEADERS, 2));
        });
        // However the question ends (answer, error, the caller's timeout), the connection closes.
        answer.whenComplete((leaders, failure) -> connection.channel().close());
        return answer;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
