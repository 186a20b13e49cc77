package io.flashraft.client;

import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ClientFrames;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.SendFailure;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One connection to a node's gateway port, with any number of requests in flight on it; answers
 * are matched to requests by request id, in whatever order they come.
 */
final class NodeConnection extends SimpleChannelInboundHandler<ByteBuf> {
    /** An answer frame: its header and its body, not yet decoded. */
    record Frame(ClientFrames.Header header, ByteReader body) {
    }



    private final String address;
    private final ChannelFuture connected;
    private final Map<Long, CompletableFuture<Frame>> pending = new ConcurrentHashMap<>();
    private volatile boolean broken;

    NodeConnection(EventLoopGroup loops, String host, int port, int connectTimeoutMs) {
        this.address = host + ":" + port;
        this.connected = new Bootstrap().group(loops).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(ClientFrames.MAX_REPLY_FRAME_BYTES, 0, 4, 0, 4),
                                NodeConnection.this);
                    }
                })
                .connect(host, port);
        connected.addListener((ChannelFutureListener) done -> {
            if (!done.isSuccess()) {
                fail(SendFailure.notSent("cannot connect to " + address, done.cause()));
            }
        });
    }

    boolean broken() {
        return broken;
    }

    /** Sends one whole frame (its request id already in it) and answers with the frame that comes back. */
    CompletableFuture<Frame> send(long requestId, byte[] frame) {
        CompletableFuture<Frame> answer = new CompletableFuture<>();
        if (broken) {
            answer.completeExceptionally(SendFailure.notSent("the connection to " + address + " is closed", null));
            return answer;
        }
        pending.put(requestId, answer);
        connected.addListener((ChannelFutureListener) done -> {
            if (done.isSuccess()) {
                done.channel().writeAndFlush(Unpooled.wrappedBuffer(frame)).addListener((ChannelFutureListener) written -> {
                    if (!written.isSuccess()) {
                        complete(requestId, null, SendFailure.notSent("could not send to " + address, written.cause()));
                    }
                });
            }
        });
        if (broken) {
            complete(requestId, null, SendFailure.notSent("the connection to " + address + " is closed", null));
        }
        return answer;
    }

    /** Forgets a request whose caller gave up on it (its answer, if any, is dropped). */
    void forget(long requestId) {
        pending.remove(requestId);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes);
        ByteReader in = new ByteReader(bytes, 0, bytes.length);
        try {
            ClientFrames.Header header = ClientFrames.readHeader(in);
            if (header.kind() == ClientFrames.ERROR) {
                String message = in.readString();
                ctx.close();
                fail(SendFailure.lost("node " + address + " refused the connection: " + message));
                return;
            }
            complete(header.requestId(), new Frame(header, in), null);
        } catch (DecodeException e) {
            ctx.close();
            fail(SendFailure.lost("malformed answer from " + address + ": " + e.getMessage()));
        }
    }

    private void complete(long requestId, Frame frame, SendFailure error) {
        CompletableFuture<Frame> answer = pending.remove(requestId);
        if (answer == null) {
            return;
        }
        if (error != null) {
            answer.completeExceptionally(error);
        } else {
            answer.complete(frame);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(SendFailure.lost("the connection to " + address + " closed"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
        fail(SendFailure.lost("the connection to " + address + " failed: " + cause));
    }

    private void fail(SendFailure cause) {
        broken = true;
        for (Long id : pending.keySet()) {
            complete(id, null, cause);
        }
    }

    void close() {
        broken = true;
        connected.channel().close();
    }
}
