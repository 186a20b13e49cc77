package io.flashraft.protocol;

import static io.flashraft.protocol.TestTheories.theory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.SourceDSL;

class ClientFramesTest {
    @Test
    void requestFramesRoundTrip() {
        theory().forAll(RequestCodecTest.requests().assuming(r -> r.op() != Request.OpCode.EVICT),
                SourceDSL.longs().all(), SourceDSL.integers().between(0, ClientFrames.MAX_TIMEOUT_MS))
                .checkAssert((request, requestId, timeoutMs) -> {
                    ClientFrames.OperationRequest op = new ClientFrames.OperationRequest(requestId, 7, 42, 3, timeoutMs,
                            ClientFrames.ReadMode.LINEARIZABLE, timeoutMs % 2 == 0, request);
                    byte[] frame = ClientFrames.encode(op);
                    ByteReader in = body(frame);
                    ClientFrames.Header header = ClientFrames.readHeader(in);
                    assertEquals(new ClientFrames.Header(ClientFrames.REQUEST, requestId), header);
                    assertEquals(op, ClientFrames.readRequest(header, in));
                });
    }

    @Test
    void resultFramesRoundTrip() {
        theory().forAll(RequestCodecTest.replies(), SourceDSL.booleans().all()).checkAssert((reply, inDoubt) -> {
            ClientFrames.Result result = new ClientFrames.Result(9, reply.code(), inDoubt, "n2", "127.0.0.1:7202", "",
                    ReplyCodec.encode(reply));
            ByteReader in = body(ClientFrames.encode(result));
            ClientFrames.Result back = ClientFrames.readResult(ClientFrames.readHeader(in), in);
            assertEquals(result.code(), back.code());
            assertEquals(inDoubt, back.inDoubt());
            assertEquals("n2", back.leaderId());
            assertArrayEquals(result.reply(), back.reply());
            assertEquals(reply.code(), ReplyCodec.codeOf(back.reply()), "the code can be read without decoding");
        });
    }

    @Test
    void theClusterMapRoundTripsAndNamesLeaders() {
        ClusterMap map = new ClusterMap(12, List.of(new ClusterMap.Node("n1", "127.0.0.1", 7201, 7301),
                new ClusterMap.Node("n2", "127.0.0.1", 7202, 7302)),
                List.of(new ClusterMap.Route(0, List.of(0, 1), 1, 5), new ClusterMap.Route(1, List.of(1, 0),
                        ClusterMap.Route.NO_LEADER, 0)));
        ByteReader in = body(ClientFrames.encode(3, map));
        assertEquals(ClientFrames.MAP_REPLY, ClientFrames.readHeader(in).kind());
        ClusterMap back = ClientFrames.readMap(in);
        assertEquals(map, back);
        assertEquals("n2", back.leaderOf(0).id());
        assertEquals(null, back.leaderOf(1));
        assertEquals(1, back.groupOf(4095), "partition p belongs to group p mod G");
        assertEquals("n1", back.withLeader(1, "n1").leaderOf(1).id());
    }

    @Test
    void aRequestThatBreaksTheRulesIsADecodeError() {
        Request get = new Request.Get("ns", KeyDigest.of("s", 1), BinSelection.ALL);
        byte[] frame = ClientFrames.encode(new ClientFrames.OperationRequest(1, 0, 0, 0, 0,
                ClientFrames.ReadMode.LINEARIZABLE, false, get));
        byte[] badMode = frame.clone();
        badMode[4 + ClientFrames.HEADER_BYTES + 2 + 8 + 8 + 4] = 1;
        assertThrows(DecodeException.class, () -> decodeRequest(badMode));
        byte[] sequenceWithoutSession = frame.clone();
        sequenceWithoutSession[4 + ClientFrames.HEADER_BYTES + 2 + 8 + 7] = 5;
        DecodeException e = assertThrows(DecodeException.class, () -> decodeRequest(sequenceWithoutSession));
        assertEquals("session 0 with sequence 5", e.getMessage());
        byte[] unknownFlag = frame.clone();
        unknownFlag[4 + ClientFrames.HEADER_BYTES + 2 + 8 + 8 + 4 + 1] = 2;
        assertThrows(DecodeException.class, () -> decodeRequest(unknownFlag));
        byte[] openWithoutSession = frame.clone();
        openWithoutSession[4 + ClientFrames.HEADER_BYTES + 2 + 8 + 8 + 4 + 1] = 1;
        assertThrows(DecodeException.class, () -> decodeRequest(openWithoutSession));
        byte[] version = frame.clone();
        version[4] = 2;
        assertThrows(DecodeException.class, () -> ClientFrames.readHeader(body(version)));
    }

    @Test
    void mutatedFramesDecodeOrAreRefusedWithADecodeError() {
        Gen<byte[]> frames = RequestCodecTest.requests().assuming(r -> r.op() != Request.OpCode.EVICT)
                .map(r -> ClientFrames.encode(new ClientFrames.OperationRequest(5, 1, 9, 9, 100,
                        ClientFrames.ReadMode.LINEARIZABLE, true, r)))
                .map(frame -> Arrays.copyOfRange(frame, 4, frame.length));
        theory().forAll(DecoderFuzzTest.mutated(frames)).checkAssert(body -> {
            for (int kind : new int[] {ClientFrames.REQUEST, ClientFrames.RESULT, ClientFrames.MAP_REPLY, ClientFrames.INFO_REPLY}) {
                try {
                    ByteReader in = new ByteReader(body, 0, body.length);
                    ClientFrames.Header header = ClientFrames.readHeader(in);
                    switch (kind) {
                        case ClientFrames.REQUEST -> ClientFrames.readRequest(header, in);
                        case ClientFrames.RESULT -> ClientFrames.readResult(header, in);
                        case ClientFrames.MAP_REPLY -> ClientFrames.readMap(in);
                        default -> ClientFrames.readInfo(in);
                    }
                } catch (DecodeException refused) {
                    // The one way a decoder may fail.
                }
            }
        });
    }

    private static Object decodeRequest(byte[] frame) {
        ByteReader in = body(frame);
        return ClientFrames.readRequest(ClientFrames.readHeader(in), in);
    }

    /** The frame after its length prefix, which must be right. */
    private static ByteReader body(byte[] frame) {
        int length = (frame[0] & 0xFF) << 24 | (frame[1] & 0xFF) << 16 | (frame[2] & 0xFF) << 8 | (frame[3] & 0xFF);
        assertEquals(frame.length - 4, length, "the length prefix counts what follows it");
        return new ByteReader(frame, 4, frame.length - 4);
    }
}
