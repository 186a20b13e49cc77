package io.flashraft.gateway;

import io.flashraft.consensus.ClusterConfig;
import io.flashraft.consensus.DaemonThreads;
import io.flashraft.consensus.NodeAddress;
import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ByteWriter;
import io.flashraft.statemachine.SnapshotInstaller;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a replica's group from the leader over the leader's gateway port: handshake, fetch,
 * then the streamed versions go into the replica's stores on a thread of their own. The
 * connection reads one frame at a time (auto-read off), so a slow store slows the leader's
 * export instead of filling this node's memory.
 */
public final class PeerSnapshotClient implements SnapshotInstaller, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PeerSnapshotClient.class);

    private final EventLoopGroup loops = Transport.eventLoops(1);
    private final PeerConnector connector;

    public PeerSnapshotClient(ClusterConfig cluster, String selfId) {
        this.connector = new PeerConnector(cluster, selfId, loops);
    }

    @Override
    public CompletableFuture<Long> install(String leaderNodeId, int group, Target target) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        NodeAddress leader;
        try {
            leader = connector.cluster().node(leaderNodeId);
        } catch (IllegalArgumentException unknown) {
            result.completeExceptionally(unknown);
            return result;
        }
        ExecutorService ingest = Executors.newSingleThreadExecutor(DaemonThreads.named("snapshot-install-group-" + group));
        result.whenComplete((index, failure) -> ingest.shutdown());
        connector.connect(leader, false, new InstallHandler(target, result, ingest))
                .addListener((io.netty.channel.ChannelFutureListener) connected -> {
                    if (!connected.isSuccess()) {
                        result.completeExceptionally(new IOException("cannot reach " + leaderNodeId + " at "
                                + leader.host() + ":" + leader.gatewayPort(), connected.cause()));
                        return;
                    }
                    connected.channel().write(connector.hello());
                    ByteWriter fetch = new ByteWriter(2);
                    fetch.writeShort(group);
                    connected.channel().writeAndFlush(PeerFrames.frame(PeerFrames.SNAPSHOT_FETCH, 2, fetch));
                    connected.channel().read();
                });
        return result;
    }

    private static final class InstallHandler extends SimpleChannelInboundHandler<ByteBuf> {
        private final Target target;
        private final CompletableFuture<Long> result;
        private final ExecutorService ingest;
        private long term = -1;
        private long index = -1;
        private java.io.ByteArrayOutputStream state;
        private long stateBytes;

        InstallHandler(Target target, CompletableFuture<Long> result, ExecutorService ingest) {
            this.target = target;
            this.result = result;
            this.ingest = ingest;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            PeerFrames.Received received = PeerFrames.Received.of(frame);
            ingest.execute(() -> {
                if (result.isDone()) {
                    return; // frames that were queued behind a failure are ignored
                }
                try {
                    handle(received);
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
                if (result.isDone()) {
                    ctx.close();
                } else {
                    ctx.channel().read();
                }
            });
        }

        private void handle(PeerFrames.Received frame) {
            ByteReader in = frame.body();
            switch (frame.kind()) {
                case PeerFrames.HELLO_OK:
                    break;
                case PeerFrames.SNAPSHOT_BEGIN:
                    term = in.readLong();
                    index = in.readLong();
                    stateBytes = in.readLong();
                    if (stateBytes < 0 || stateBytes > PeerFrames.MAX_STATE_BYTES) {
                        throw new IllegalStateException("a group state of " + stateBytes + " bytes");
                    }
                    state = new java.io.ByteArrayOutputStream((int) Math.min(stateBytes, PeerFrames.STATE_CHUNK_BYTES));
                    target.begin();
                    break;
                case PeerFrames.SNAPSHOT_STATE:
                    if (state == null || state.size() + in.remaining() > stateBytes) {
                        throw new IllegalStateException("group state beyond the announced " + stateBytes + " bytes");
                    }
                    state.writeBytes(in.readBytes(in.remaining()));
                    break;
                case PeerFrames.SNAPSHOT_VERSIONS: {
                    if (state == null || state.size() != stateBytes) {
                        throw new IllegalStateException("versions arrived before the group state");
                    }
                    String namespace = in.readString();
                    int count = in.readCount(1, "versions");
                    for (int i = 0; i < count; i++) {
                        target.accept(namespace, PeerFrames.readVersion(in));
                    }
                    break;
                }
                case PeerFrames.SNAPSHOT_END:
                    if (state == null || state.size() != stateBytes) {
                        throw new IllegalStateException("the snapshot ended before its state arrived");
                    }
                    target.finish(term, index, state.toByteArray());
                    result.complete(index);
                    break;
                case PeerFrames.ERROR:
                    result.completeExceptionally(new IOException("the leader refused: " + in.readString()));
                    break;
                default:
                    throw new IllegalStateException("unexpected peer frame 0x" + Integer.toHexString(frame.kind()));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            failAfterQueuedFrames(new IOException("the leader closed the connection"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!result.isDone()) {
                LOG.warn("snapshot install connection failed: {}", cause.toString());
            }
            failAfterQueuedFrames(cause);
            ctx.close();
        }

        /** Fails the install once the frame being ingested is done, unless that frame finished it. */
        private void failAfterQueuedFrames(Throwable cause) {
            try {
                ingest.execute(() -> result.completeExceptionally(cause));
            } catch (RejectedExecutionException finished) {
                // The install already ended and its thread is gone: nothing is left to fail.
            }
        }
    }

    @Override
    public void close() {
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
