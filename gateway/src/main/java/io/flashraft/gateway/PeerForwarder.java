package io.flashraft.gateway;

import io.flashraft.consensus.NodeAddress;
import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ClientFrames;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.SendFailure;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends requests this node cannot serve to the node that can (a group's leader), over one
 * pipelined peer connection per node, opened on first use and again after it is lost.
 *
 * <p>A forwarded request travels as a FORWARD frame whose body is the client's REQUEST body,
 * unchanged; the peer answers with a RESULT frame as it would answer a client, and never
 * forwards a forwarded request again (one hop at most).
 */
final class PeerForwarder implements AutoCloseable {


    private final PeerConnector connector;
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();
    private final AtomicLong requestIds = new AtomicLong(1);
    private volatile boolean closed;

    PeerForwarder(PeerConnector connector) {
        this.connector = connector;
    }

    /**
     * Forwards one request body to a peer.
     *
     * @param body the REQUEST body (after the frame header) as the client sent it
     */
    CompletableFuture<ClientFrames.Result> forward(NodeAddress peer, RequestRouter.Body body) {
        if (closed) {
            return CompletableFuture.failedFuture(SendFailure.notSent("the gateway is closing", null));
        }
        return connections.compute(peer.id(), (id, old) -> old == null || old.broken() ? new Connection(peer) : old)
                .send(requestIds.incrementAndGet(), body);
    }

    private final class Connection extends SimpleChannelInboundHandler<ByteBuf> {
        private final NodeAddress peer;
        private final ChannelFuture connected;
        private final Map<Long, CompletableFuture<ClientFrames.Result>> pending = new ConcurrentHashMap<>();
        private volatile boolean broken;

        Connection(NodeAddress peer) {
            this.peer = peer;
            this.connected = connector.connect(peer, true, this);
            connected.addListener((ChannelFutureListener) done -> {
                if (done.isSuccess()) {
                    done.channel().writeAndFlush(connector.hello());
                } else {
                    fail(SendFailure.notSent("cannot reach " + peer.id() + " at " + peer.host() + ":" + peer.gatewayPort(),
                            done.cause()));
                }
            });
        }

        boolean broken() {
            return broken;
        }

        CompletableFuture<ClientFrames.Result> send(long requestId, RequestRouter.Body body) {
            CompletableFuture<ClientFrames.Result> answer = new CompletableFuture<>();
            pending.put(requestId, answer);
            int length = body.frame().length - body.offset();
            ByteBuf frame = Unpooled.buffer(4 + PeerFrames.HEADER_BYTES + length);
            frame.writeInt(PeerFrames.HEADER_BYTES + length);
            frame.writeByte(PeerFrames.VERSION);
            frame.writeByte(PeerFrames.FORWARD);
            frame.writeLong(requestId);
            frame.writeBytes(body.frame(), body.offset(), length);
            connected.addListener((ChannelFutureListener) done -> {
                if (!done.isSuccess()) {
                    frame.release();
                    return;
                }
                done.channel().writeAndFlush(frame).addListener((ChannelFutureListener) written -> {
                    if (!written.isSuccess()) {
                        CompletableFuture<ClientFrames.Result> lost = pending.remove(requestId);
                        if (lost != null) {
                            lost.completeExceptionally(SendFailure.notSent("could not send to " + peer.id(), written.cause()));
                        }
                    }
                });
            });
            if (broken) {
                // The connection broke while this request was being queued: it never reaches the peer.
                CompletableFuture<ClientFrames.Result> gone = pending.remove(requestId);
                if (gone != null) {
                    gone.completeExceptionally(SendFailure.notSent("the connection to " + peer.id() + " is closed", null));
                }
            }
            return answer;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            ByteReader in = new ByteReader(bytes, 0, bytes.length);
            try {
                ClientFrames.Header header = ClientFrames.readHeader(in);
                if (header.kind() == PeerFrames.HELLO_OK) {
                    return;
                }
                if (header.kind() == PeerFrames.ERROR) {
                    throw new DecodeException("the peer refused: " + in.readString());
                }
                if (header.kind() != ClientFrames.RESULT) {
                    throw new DecodeException("unexpected frame kind 0x" + Integer.toHexString(header.kind()));
                }
                ClientFrames.Result result = ClientFrames.readResult(header, in);
                CompletableFuture<ClientFrames.Result> answer = pending.remove(header.requestId());
                if (answer != null) {
                    answer.complete(result);
                }
            } catch (DecodeException e) {
                ctx.close();
                fail(SendFailure.lost("bad answer from " + peer.id() + ": " + e.getMessage()));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(SendFailure.lost("the connection to " + peer.id() + " closed"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
            fail(SendFailure.lost("the connection to " + peer.id() + " failed: " + cause));
        }

        private void fail(SendFailure cause) {
            broken = true;
            pending.keySet().forEach(id -> {
                CompletableFuture<ClientFrames.Result> answer = pending.remove(id);
                if (answer != null) {
                    answer.completeExceptionally(cause);
                }
            });
        }

        void close() {
            Channel channel = connected.channel();
            if (channel != null) {
                channel.close();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        connections.values().forEach(Connection::close);
    }
}
