package io.flashraft.gateway;

import io.flashraft.consensus.NodeServer;
import io.flashraft.device.RecordVersion;
import io.flashraft.device.StoreSnapshot;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.DecodeException;
import io.flashraft.statemachine.GroupExport;
import io.flashraft.statemachine.PartitionGroupStateMachine;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's gateway port. For now it serves the operations between nodes: the handshake that
 * refuses a peer with another cluster config, and streaming a group's state to a replica being
 * rebuilt. Event loops only decode and hand off: exports run on a separate bounded pool.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
    /** Exports run at most this many at a time; more wait their turn. */
    private static final int EXPORT_THREADS = 2;
    private static final int IDLE_SECONDS = 120;

    private final NodeServer node;
    private final String clusterHash;
    private final EventLoopGroup bossLoop = Transport.eventLoops(1);
    private final EventLoopGroup workerLoops = Transport.eventLoops(2);
    private final ExecutorService exports = Executors.newFixedThreadPool(EXPORT_THREADS, runnable -> {
        Thread thread = new Thread(runnable, "gateway-export");
        thread.setDaemon(true);
        return thread;
    });
    private final Channel channel;

    private GatewayServer(NodeServer node) throws InterruptedException {
        this.node = node;
        this.clusterHash = node.cluster().hash();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossLoop, workerLoops)
                .channel(Transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS),
                                new LengthFieldBasedFrameDecoder(PeerFrames.MAX_FRAME_BYTES, 0, 4, 0, 4),
                                new PeerHandler());
                    }
                });
        this.channel = bootstrap.bind(node.self().host(), node.self().gatewayPort()).sync().channel();
        LOG.info("node {}: gateway listening on {}:{} ({})", node.self().id(), node.self().host(),
                node.self().gatewayPort(), Transport.epoll() ? "epoll" : "nio");
    }

    /** Binds the node's gateway port. */
    public static GatewayServer start(NodeServer node) throws InterruptedException {
        return new GatewayServer(node);
    }

    private final class PeerHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private boolean greeted;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            PeerFrames.Received received;
            try {
                received = PeerFrames.Received.of(frame);
            } catch (DecodeException malformed) {
                refuse(ctx, 0, "malformed frame: " + malformed.getMessage());
                return;
            }
            try {
                if (!greeted) {
                    greet(ctx, received);
                    return;
                }
                if (received.kind() == PeerFrames.LEADERS) {
                    received.body().expectEnd("leaders");
                    ctx.writeAndFlush(leaders(received.requestId()));
                } else if (received.kind() == PeerFrames.SNAPSHOT_FETCH) {
                    int group = received.body().readUnsignedShort();
                    received.body().expectEnd("snapshot fetch");
                    // The replica sends nothing while it ingests: the read timeout must not cut the export.
                    ctx.pipeline().remove(ReadTimeoutHandler.class);
                    exports.execute(() -> export(ctx.channel(), received.requestId(), group));
                } else {
                    refuse(ctx, received.requestId(), "unknown peer operation 0x" + Integer.toHexString(received.kind()));
                }
            } catch (DecodeException malformed) {
                refuse(ctx, received.requestId(), "malformed frame: " + malformed.getMessage());
            }
        }

        private void greet(ChannelHandlerContext ctx, PeerFrames.Received hello) {
            if (hello.kind() != PeerFrames.HELLO) {
                refuse(ctx, hello.requestId(), "a peer connection must open with HELLO");
                return;
            }
            String hash = PeerFrames.readString(hello.body());
            String peer = PeerFrames.readString(hello.body());
            hello.body().expectEnd("hello");
            if (!hash.equals(clusterHash)) {
                LOG.warn("node {}: refusing peer {} at {}: its cluster config hash {} differs from ours {}",
                        node.self().id(), peer, ctx.channel().remoteAddress(), hash, clusterHash);
                refuse(ctx, hello.requestId(), "cluster config hash " + hash + " differs from " + clusterHash
                        + " of node " + node.self().id());
                return;
            }
            greeted = true;
            ctx.writeAndFlush(PeerFrames.frame(PeerFrames.HELLO_OK, hello.requestId()));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warn("node {}: peer connection {} failed: {}", node.self().id(), ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** The leaders of the groups this node hosts: cheap, answered on the event loop. */
    private io.netty.buffer.ByteBuf leaders(long requestId) {
        Map<Integer, NodeServer.LeaderTerm> leaders = node.hostedLeaders();
        ByteWriter body = new ByteWriter(16 + 32 * leaders.size());
        body.writeVarint(leaders.size());
        leaders.forEach((group, leaderTerm) -> {
            body.writeShort(group);
            body.writeLong(leaderTerm.term());
            PeerFrames.writeString(body, leaderTerm.leader());
        });
        return PeerFrames.frame(PeerFrames.LEADERS_REPLY, requestId, body);
    }

    private static void refuse(ChannelHandlerContext ctx, long requestId, String message) {
        ctx.writeAndFlush(PeerFrames.error(requestId, message)).addListener(f -> ctx.close());
    }

    /** Streams a group's export, one frame in flight at a time (the peer's reading paces it). */
    private void export(Channel channel, long requestId, int group) {
        PartitionGroupStateMachine machine = node.stateMachine(group);
        if (machine == null) {
            channel.writeAndFlush(PeerFrames.error(requestId, "node " + node.self().id() + " does not host group " + group));
            return;
        }
        long sent = 0;
        try (GroupExport export = machine.export()) {
            LOG.info("node {}: streaming group {} at log index {} to {}", node.self().id(), group, export.index(),
                    channel.remoteAddress());
            ByteWriter begin = new ByteWriter(24);
            begin.writeLong(export.term());
            begin.writeLong(export.index());
            begin.writeLong(export.state().length);
            send(channel, PeerFrames.frame(PeerFrames.SNAPSHOT_BEGIN, requestId, begin));
            for (int at = 0; at < export.state().length; at += PeerFrames.STATE_CHUNK_BYTES) {
                int length = Math.min(PeerFrames.STATE_CHUNK_BYTES, export.state().length - at);
                ByteWriter chunk = new ByteWriter(length);
                chunk.writeBytes(export.state(), at, length);
                send(channel, PeerFrames.frame(PeerFrames.SNAPSHOT_STATE, requestId, chunk));
            }
            for (Map.Entry<String, StoreSnapshot> store : export.stores().entrySet()) {
                ByteWriter batch = new ByteWriter(PeerFrames.VERSIONS_FRAME_BYTES + 4096);
                int count = 0;
                while (store.getValue().hasNext()) {
                    RecordVersion version = store.getValue().next();
                    PeerFrames.writeVersion(batch, version);
                    count++;
                    sent++;
                    if (batch.size() >= PeerFrames.VERSIONS_FRAME_BYTES) {
                        send(channel, versions(requestId, store.getKey(), count, batch));
                        batch.reset();
                        count = 0;
                    }
                }
                if (count > 0) {
                    send(channel, versions(requestId, store.getKey(), count, batch));
                }
            }
            ByteWriter end = new ByteWriter(8);
            end.writeLong(sent);
            send(channel, PeerFrames.frame(PeerFrames.SNAPSHOT_END, requestId, end));
            LOG.info("node {}: streamed {} versions of group {}", node.self().id(), sent, group);
        } catch (RuntimeException e) {
            LOG.warn("node {}: streaming group {} failed after {} versions: {}", node.self().id(), group, sent, e.toString());
            if (channel.isActive()) {
                channel.writeAndFlush(PeerFrames.error(requestId, "export of group " + group + " failed: " + e));
            }
        }
    }

    private static io.netty.buffer.ByteBuf versions(long requestId, String namespace, int count, ByteWriter batch) {
        ByteWriter body = new ByteWriter(batch.size() + 64);
        PeerFrames.writeString(body, namespace);
        body.writeVarint(count);
        body.writeBytes(batch.array(), 0, batch.size());
        return PeerFrames.frame(PeerFrames.SNAPSHOT_VERSIONS, requestId, body);
    }

    private static void send(Channel channel, io.netty.buffer.ByteBuf frame) {
        if (!channel.writeAndFlush(frame).awaitUninterruptibly().isSuccess()) {
            throw new IllegalStateException("the peer " + channel.remoteAddress() + " went away");
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        exports.shutdownNow();
        workerLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        bossLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
