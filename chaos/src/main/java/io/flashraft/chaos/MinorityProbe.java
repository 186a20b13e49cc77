package io.flashraft.chaos;

import io.flashraft.client.Key;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ClientFrames;
import io.flashraft.protocol.ClusterMap;
import io.flashraft.protocol.Reply;
import io.flashraft.protocol.ReplyCodec;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.ResultCode;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * Asks one node, and only that node, for a linearizable read of one group: no redirect, no
 * retry, which the client would do. A node cut off from the majority must refuse it (UNAVAILABLE,
 * NOT_LEADER or TIMEOUT; no answer counts as TIMEOUT): the proof that a partition took effect.
 */
public final class MinorityProbe {
    /** What the node gets to answer before the probe answers TIMEOUT for it. */
    private static final int NODE_TIMEOUT_MS = 2_000;
    private static final int SOCKET_TIMEOUT_MS = NODE_TIMEOUT_MS + 2_000;

    private MinorityProbe() {
    }

    /** The code node {@code address} answers for a read of a key of {@code group}. */
    static ResultCode read(String address, ClusterMap map, int group, String namespace) {
        return get(address, group, keyOf(map, group, namespace), BinSelection.HEADER).code();
    }

    /**
     * Node {@code address}'s answer to a linearizable read of {@code key} (of {@code group}):
     * TIMEOUT when it gives none in time, UNAVAILABLE when it cannot be reached.
     */
    public static Reply.Single get(String address, int group, Key key, BinSelection bins) {
        int colon = address.lastIndexOf(':');
        Request.Get get = new Request.Get(key.namespace(), key.digest(), bins);
        byte[] frame = ClientFrames.encode(new ClientFrames.OperationRequest(1, group, 0, 0, NODE_TIMEOUT_MS,
                ClientFrames.ReadMode.LINEARIZABLE, false, get));
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                    SOCKET_TIMEOUT_MS);
            socket.setSoTimeout(SOCKET_TIMEOUT_MS);
            socket.getOutputStream().write(frame);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            ByteReader reader = new ByteReader(body, 0, body.length);
            ClientFrames.Header header = ClientFrames.readHeader(reader);
            if (header.kind() != ClientFrames.RESULT) {
                return Reply.Single.of(ResultCode.BAD_REQUEST);
            }
            ClientFrames.Result result = ClientFrames.readResult(header, reader);
            return result.answered() ? (Reply.Single) ReplyCodec.decode(result.reply()) : Reply.Single.of(result.code());
        } catch (SocketTimeoutException e) {
            return Reply.Single.of(ResultCode.TIMEOUT);
        } catch (IOException e) {
            return Reply.Single.of(ResultCode.UNAVAILABLE);
        }
    }

    /** A key (of set "probe") whose partition belongs to the group. */
    public static Key keyOf(ClusterMap map, int group, String namespace) {
        for (long k = 0; ; k++) {
            Key key = Key.of(namespace, "probe", k);
            if (map.groupOf(key.digest().partition()) == group) {
                return key;
            }
        }
    }
}
