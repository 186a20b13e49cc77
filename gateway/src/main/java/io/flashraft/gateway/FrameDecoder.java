package io.flashraft.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Cuts the byte stream of a gateway connection into frames ({@code length:u32} then that many
 * bytes; the frame passed on excludes the length). The largest frame accepted starts at the
 * client limit and is raised once the connection proves to be a peer: a client can never make
 * the node buffer more than a client frame.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    private int maxFrameBytes;

    FrameDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    void maxFrameBytes(int max) {
        this.maxFrameBytes = max;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws TooLongFrameException {
        if (in.readableBytes() < 4) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length > maxFrameBytes) {
            in.skipBytes(in.readableBytes());
            throw new TooLongFrameException("frame of " + length + " bytes exceeds " + maxFrameBytes);
        }
        if (in.readableBytes() < 4 + length) {
            return;
        }
        in.skipBytes(4);
        out.add(in.readRetainedSlice((int) length));
    }
}
