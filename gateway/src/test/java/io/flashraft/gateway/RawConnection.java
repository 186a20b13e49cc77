package io.flashraft.gateway;

import io.flashraft.protocol.ClientFrames;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;

/** A plain socket to a gateway port that writes any bytes at all and reads frames back. */
final class RawConnection implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    RawConnection(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next frame without its length prefix, or null when the node closed the connection. */
    byte[] readFrame() throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException | java.net.SocketException closed) {
            return null;
        }
        byte[] frame = new byte[length];
        in.readFully(frame);
        return frame;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A frame with a correct length prefix around any version, kind, request id and body. */
    static byte[] frame(int version, int kind, long requestId, byte[] body) {
        ByteBuffer frame = ByteBuffer.allocate(4 + ClientFrames.HEADER_BYTES + body.length);
        frame.putInt(ClientFrames.HEADER_BYTES + body.length);
        frame.put((byte) version).put((byte) kind).putLong(requestId).put(body);
        return frame.array();
    }
}
