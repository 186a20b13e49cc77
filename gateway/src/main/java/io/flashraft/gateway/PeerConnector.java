package io.flashraft.gateway;

import io.flashraft.consensus.ClusterConfig;
import io.flashraft.consensus.NodeAddress;
import io.flashraft.protocol.ByteWriter;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.util.concurrent.TimeUnit;

/** Opens connections to peers' gateway ports: one framing, one timeout, one handshake. */
final class PeerConnector {
    private static final int READ_TIMEOUT_SECONDS = 120;
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final ClusterConfig cluster;
    private final String selfId;
    private final EventLoopGroup loops;

    PeerConnector(ClusterConfig cluster, String selfId, EventLoopGroup loops) {
        this.cluster = cluster;
        this.selfId = selfId;
        this.loops = loops;
    }

    ClusterConfig cluster() {
        return cluster;
    }

    /**
     * Connects to a peer's gateway port; the handler sees whole frames (length prefix removed).
     *
     * @param autoRead false to read one frame per {@code channel.read()}: the caller paces the peer
     */
    ChannelFuture connect(NodeAddress peer, boolean autoRead, ChannelHandler handler) {
        return new Bootstrap().group(loops).channel(Transport.channel())
                .option(ChannelOption.AUTO_READ, autoRead)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(READ_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                                new LengthFieldBasedFrameDecoder(PeerFrames.MAX_FRAME_BYTES, 0, 4, 0, 4), handler);
                    }
                })
                .connect(peer.host(), peer.gatewayPort());
    }

    /** The HELLO frame that opens every peer connection: the cluster config hash and this node's id. */
    ByteBuf hello() {
        ByteWriter hello = new ByteWriter(128);
        hello.writeString(cluster.hash());
        hello.writeString(selfId);
        return PeerFrames.frame(PeerFrames.HELLO, 1, hello);
    }
}
