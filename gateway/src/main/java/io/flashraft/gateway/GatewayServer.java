package io.flashraft.gateway;

import io.flashraft.consensus.DaemonThreads;
import io.flashraft.consensus.NodeServer;
import io.flashraft.device.RecordVersion;
import io.flashraft.device.StoreSnapshot;
import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.protocol.ClientFrames;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.ResultCode;
import io.flashraft.statemachine.GroupExport;
import io.flashraft.statemachine.PartitionGroupStateMachine;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's gateway port, for clients and peers alike (docs/protocol.md, sections 11 and 12).
 * Clients send requests (pipelined, answered in any order), ask for the cluster map and the
 * node's group states; peers open with a handshake that refuses another cluster config, then
 * forward requests, ask for leaders, and stream a group's state to a replica being rebuilt.
 *
 * <p>Every queue is bounded: a frame's size (a client's smaller than a peer's), the requests in
 * flight per connection and per node (more are answered OVERLOADED), and the answers waiting to
 * be written (a connection that does not read them is not read from). Event loops only decode
 * and hand off: requests run in Ratis, exports on a separate bounded pool.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
    /** Exports run at most this many at a time; more wait their turn. */
    private static final int EXPORT_THREADS = 2;
    private static final int IDLE_SECONDS = 120;
    /** Requests one connection may have in flight; more are answered OVERLOADED. */
    static final int MAX_IN_FLIGHT_PER_CONNECTION = 256;
    /** Requests the whole node may have in flight; more are answered OVERLOADED. */
    static final int MAX_IN_FLIGHT_PER_NODE = 4096;

    private final NodeServer node;
    private final String clusterHash;
    private final EventLoopGroup bossLoop = Transport.eventLoops(1);
    private final EventLoopGroup workerLoops = Transport.eventLoops(2);
    private final ExecutorService exports = Executors.newFixedThreadPool(EXPORT_THREADS, DaemonThreads.named("gateway-export"));
    private final AtomicInteger nodeInFlight = new AtomicInteger();
    private final com.codahale.metrics.Counter pipelineErrors;
    private final PeerForwarder forwarder;
    private final RequestRouter router;
    private final Channel channel;

    private GatewayServer(NodeServer node) throws InterruptedException {
        this.node = node;
        this.clusterHash = node.cluster().hash();
        this.forwarder = new PeerForwarder(new PeerConnector(node.cluster(), node.self().id(), workerLoops));
        this.router = new RequestRouter(node, forwarder);
        this.pipelineErrors = node.metricRegistry().counter("gateway.pipeline_errors");
        node.metricRegistry().register("gateway.in_flight", (com.codahale.metrics.Gauge<Integer>) nodeInFlight::get);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossLoop, workerLoops)
                .channel(Transport.serverChannel())
                .childOption(io.netty.channel.ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FrameDecoder decoder = new FrameDecoder(ClientFrames.MAX_REQUEST_FRAME_BYTES);
                        ch.pipeline().addLast(new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS), decoder,
                                new ConnectionHandler(decoder));
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

    /**
     * One connection: a peer's when it opens with HELLO, else a client's. Decodes on the event
     * loop and hands the work to the router; answers go back as they complete, in any order.
     */
    private final class ConnectionHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final FrameDecoder decoder;
        private boolean identified;
        private boolean peer;
        /** Requests of this connection in flight; touched on its event loop only. */
        private int inFlight;

        ConnectionHandler(FrameDecoder decoder) {
            this.decoder = decoder;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            ByteReader in = new ByteReader(bytes, 0, bytes.length);
            ClientFrames.Header header;
            try {
                header = ClientFrames.readHeader(in);
            } catch (DecodeException malformed) {
                refuse(ctx, 0, "malformed frame: " + malformed.getMessage());
                return;
            }
            if (!identified) {
                identified = true;
                if (header.kind() == PeerFrames.HELLO) {
                    greet(ctx, header, in);
                    return;
                }
            }
            try {
                if (peer) {
                    peerFrame(ctx, header, in, bytes);
                } else {
                    clientFrame(ctx, header, in, bytes);
                }
            } catch (DecodeException malformed) {
                answer(ctx, ClientFrames.Result.failure(header.requestId(), ResultCode.BAD_REQUEST, false,
                        "malformed frame: " + malformed.getMessage()));
            }
        }

        private void clientFrame(ChannelHandlerContext ctx, ClientFrames.Header header, ByteReader in, byte[] bytes) {
            switch (header.kind()) {
                case ClientFrames.REQUEST -> operation(ctx, header, in, bytes, false);
                case ClientFrames.MAP -> {
                    in.expectEnd("map request");
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(ClientFrames.encode(header.requestId(), router.clusterMap())));
                }
                case ClientFrames.INFO -> {
                    in.expectEnd("info request");
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(ClientFrames.encode(header.requestId(), router.nodeInfo())));
                }
                default -> throw new DecodeException("unknown frame kind 0x" + Integer.toHexString(header.kind()));
            }
        }

        private void peerFrame(ChannelHandlerContext ctx, ClientFrames.Header header, ByteReader in, byte[] bytes) {
            if (header.kind() == PeerFrames.FORWARD) {
                operation(ctx, header, in, bytes, true);
            } else if (header.kind() == PeerFrames.LEADERS) {
                in.expectEnd("leaders");
                ctx.writeAndFlush(leaders(header.requestId()));
            } else if (header.kind() == PeerFrames.SNAPSHOT_FETCH) {
                int group = in.readUnsignedShort();
                in.expectEnd("snapshot fetch");
                // The replica sends nothing while it ingests: the read timeout must not cut the export.
                ctx.pipeline().remove(ReadTimeoutHandler.class);
                exports.execute(() -> export(ctx.channel(), header.requestId(), group));
            } else {
                refuse(ctx, header.requestId(), "unknown peer operation 0x" + Integer.toHexString(header.kind()));
            }
        }

        /** A REQUEST from a client or a FORWARD from a peer: admitted if there is room, then routed. */
        private void operation(ChannelHandlerContext ctx, ClientFrames.Header header, ByteReader in, byte[] bytes,
                               boolean fromPeer) {
            int bodyStart = in.position();
            ClientFrames.OperationRequest op = ClientFrames.readRequest(header, in);
            if (inFlight >= MAX_IN_FLIGHT_PER_CONNECTION || nodeInFlight.incrementAndGet() > MAX_IN_FLIGHT_PER_NODE) {
                if (inFlight < MAX_IN_FLIGHT_PER_CONNECTION) {
                    nodeInFlight.decrementAndGet();
                }
                answer(ctx, ClientFrames.Result.failure(header.requestId(), ResultCode.OVERLOADED, false,
                        "node " + node.self().id() + " has too many requests in flight"));
                return;
            }
            inFlight++;
            router.execute(op, new RequestRouter.Body(bytes, bodyStart), fromPeer).whenComplete((result, error) -> {
                nodeInFlight.decrementAndGet();
                ClientFrames.Result answer = result;
                if (error != null) {
                    LOG.error("node {}: request {} failed inside the node", node.self().id(), op, error);
                    answer = ClientFrames.Result.failure(op.requestId(), ResultCode.UNAVAILABLE, op.request().isWrite(),
                            "internal error: " + error);
                }
                // One hand-off to the connection's event loop for both the count and the answer.
                ClientFrames.Result reply = answer;
                Runnable done = () -> {
                    inFlight--;
                    answer(ctx, reply);
                };
                if (ctx.executor().inEventLoop()) {
                    done.run();
                } else {
                    ctx.executor().execute(done);
                }
            });
        }

        private void answer(ChannelHandlerContext ctx, ClientFrames.Result result) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(ClientFrames.encode(result)));
        }

        private void greet(ChannelHandlerContext ctx, ClientFrames.Header hello, ByteReader in) {
            try {
                String hash = in.readString();
                String peerId = in.readString();
                in.expectEnd("hello");
                if (!hash.equals(clusterHash)) {
                    LOG.warn("node {}: refusing peer {} at {}: its cluster config hash {} differs from ours {}",
                            node.self().id(), peerId, ctx.channel().remoteAddress(), hash, clusterHash);
                    refuse(ctx, hello.requestId(), "cluster config hash " + hash + " differs from " + clusterHash
                            + " of node " + node.self().id());
                    return;
                }
            } catch (DecodeException malformed) {
                refuse(ctx, hello.requestId(), "malformed hello: " + malformed.getMessage());
                return;
            }
            peer = true;
            decoder.maxFrameBytes(PeerFrames.MAX_FRAME_BYTES);
            ctx.writeAndFlush(PeerFrames.frame(PeerFrames.HELLO_OK, hello.requestId()));
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // A client that does not read its answers stops being read from: its answers never pile up.
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof DecoderException) {
                refuse(ctx, 0, cause.getMessage());
                return;
            }
            if (!(cause instanceof java.io.IOException || cause instanceof ReadTimeoutException)) {
                // Not the network: something in the pipeline threw. Counted, so tests can demand zero.
                pipelineErrors.inc();
                LOG.error("node {}: connection {} failed in the pipeline", node.self().id(), ctx.channel().remoteAddress(), cause);
            } else {
                LOG.debug("node {}: connection {} failed: {}", node.self().id(), ctx.channel().remoteAddress(), cause.toString());
            }
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
            body.writeString(leaderTerm.leader());
        });
        return PeerFrames.frame(PeerFrames.LEADERS_REPLY, requestId, body);
    }

    /** Answers with an error and closes: the connection's framing or handshake is broken. */
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
        body.writeString(namespace);
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
        forwarder.close();
        exports.shutdownNow();
        workerLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        bossLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
