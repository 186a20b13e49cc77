package io.flashraft.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;

import io.flashraft.consensus.TestClient;
import io.flashraft.consensus.TestCluster;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ByteReader;
import io.flashraft.protocol.ClientFrames;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Reply;
import io.flashraft.protocol.ReplyCodec;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.QuickTheory;

/**
 * What a client sends cannot hurt a node: every malformed frame is answered BAD_REQUEST or closes
 * its own connection, nothing throws out of the pipeline, other clients go on, no data changes.
 */
class BadInputTest {
    private static final String NS = TestCluster.NAMESPACE;
    private static final int EXAMPLES = Integer.getInteger("flashraft.test.examples", 60) * 5;
    private static final long SEED = Long.getLong("flashraft.test.seed", 0x5EED_BAD1L);
    private static final int PRELOADED = 100;

    @TempDir
    static Path dir;
    private static TestCluster cluster;
    private static int port;

    @BeforeAll
    static void start() {
        cluster = TestCluster.in(dir).nodes(1).replicationFactor(1).services(GatewayServices.INSTANCE).start();
        cluster.awaitLeaders();
        port = cluster.config().nodes().get(0).gatewayPort();
        TestClient writer = new TestClient(cluster, 5);
        for (int i = 0; i < PRELOADED; i++) {
            writer.write(new Request.Put(NS, "pre", KeyDigest.of("pre", i), Bins.of("i", Value.of(i)), WritePolicy.DEFAULT));
        }
    }

    @AfterAll
    static void stop() {
        assertEquals(0, pipelineErrors(), "nothing threw out of the gateway's pipeline");
        cluster.close();
    }

    private static long pipelineErrors() {
        return cluster.node(0).metricRegistry().counter("gateway.pipeline_errors").getCount();
    }

    /** Bodies of valid REQUEST frames of every operation. */
    private static List<byte[]> validBodies() {
        Digest d = KeyDigest.of("fz", 1);
        List<Request> requests = List.of(
                new Request.Put(NS, "fz", d, Bins.of("a", Value.of(1)), WritePolicy.DEFAULT),
                new Request.Get(NS, d, BinSelection.ALL),
                new Request.Exists(NS, d),
                new Request.Delete(NS, KeyDigest.of("fz", 2), WritePolicy.DEFAULT),
                new Request.Touch(NS, d, WritePolicy.DEFAULT),
                new Request.Operate(NS, "fz", d, WritePolicy.DEFAULT, List.of(BinOp.add("n", Value.of(1)), BinOp.read("n"))),
                new Request.BatchGet(NS, List.of(d, KeyDigest.of("fz", 3)), BinSelection.of("a")),
                new Request.Scan(NS, d.partition(), null, 10, BinSelection.ALL));
        List<byte[]> bodies = new ArrayList<>();
        long sequence = 1;
        for (Request request : requests) {
            byte[] frame = ClientFrames.encode(new ClientFrames.OperationRequest(0, 0, 99, sequence++, 5_000,
                    ClientFrames.ReadMode.LINEARIZABLE, true, request));
            bodies.add(Arrays.copyOfRange(frame, 4 + ClientFrames.HEADER_BYTES, frame.length));
        }
        return bodies;
    }

    @Test
    void everyMutatedFrameIsAnsweredOrClosesItsConnectionAndTheConnectionOtherwiseGoesOn() {
        List<byte[]> valid = validBodies();
        QuickTheory.qt().withExamples(EXAMPLES).withFixedSeed(SEED)
                .forAll(integers().between(0, valid.size() - 1), integers().between(0, 5), integers().allPositive(),
                        integers().between(0, 255))
                .checkAssert((base, mutation, position, value) -> {
                    try {
                        sendMutated(valid.get(base), mutation, position, value);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    private static void sendMutated(byte[] validBody, int mutation, int position, int value) throws IOException {
        byte[] body = validBody.clone();
        int version = ClientFrames.VERSION;
        int kind = ClientFrames.REQUEST;
        Random random = new Random(position);
        switch (mutation) {
            case 0 -> body[position % body.length] = (byte) value;
            case 1 -> body = Arrays.copyOf(body, position % body.length);
            case 2 -> {
                byte[] extra = new byte[1 + position % 32];
                random.nextBytes(extra);
                body = concat(body, extra);
            }
            case 3 -> {
                body = new byte[position % 64];
                random.nextBytes(body);
            }
            case 4 -> kind = value;
            default -> version = value == ClientFrames.VERSION ? 2 : value;
        }
        boolean closes = version != ClientFrames.VERSION || kind == PeerFrames.HELLO;
        boolean decodes = !closes && decodesLocally(kind, body);
        long requestId = 7_000 + position;
        try (RawConnection connection = new RawConnection(port)) {
            connection.write(RawConnection.frame(version, kind, requestId, body));
            byte[] answer = connection.readFrame();
            if (closes) {
                assertTrue(answer == null || (answer[1] & 0xFF) == ClientFrames.ERROR, "an ERROR frame before closing");
                assertNull(connection.readFrame(), "the node closes a connection whose framing or handshake is broken");
                return;
            }
            assertNotNull(answer, "the node answers a well-framed request instead of closing");
            ByteReader in = new ByteReader(answer, 0, answer.length);
            ClientFrames.Header header = ClientFrames.readHeader(in);
            assertEquals(requestId, header.requestId());
            if (!decodes) {
                assertEquals(ClientFrames.RESULT, header.kind());
                assertEquals(ResultCode.BAD_REQUEST, ClientFrames.readResult(header, in).code());
            }
            connection.write(ClientFrames.encodeEmpty(ClientFrames.INFO, 1));
            byte[] probe = connection.readFrame();
            assertNotNull(probe, "the connection still serves after a bad frame");
            assertEquals(ClientFrames.INFO_REPLY, probe[1] & 0xFF);
        }
    }

    /** Whether the node could act on the frame: a request, map or info request that decodes. */
    private static boolean decodesLocally(int kind, byte[] body) {
        try {
            ByteReader in = new ByteReader(body, 0, body.length);
            if (kind == ClientFrames.REQUEST) {
                ClientFrames.readRequest(new ClientFrames.Header(kind, 0), in);
                return true;
            }
            return (kind == ClientFrames.MAP || kind == ClientFrames.INFO) && body.length == 0;
        } catch (DecodeException e) {
            return false;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aHundredThousandMalformedFramesChangeNothingAndDisturbNoOtherClient() throws Exception {
        long nowMs = System.currentTimeMillis();
        String before = cluster.contentDigest(0, 0, nowMs);
        long heapBefore = usedHeapAfterGc();
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong goodReads = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        Thread reader = new Thread(() -> readPreloadedUntil(flooding, goodReads, failures), "good-client");
        reader.start();

        int connections = 20;
        int framesEach = 5_000;
        List<byte[]> valid = validBodies();
        Thread[] flooders = new Thread[connections];
        AtomicLong refused = new AtomicLong();
        for (int c = 0; c < connections; c++) {
            int seed = c;
            flooders[c] = new Thread(() -> {
                try {
                    flood(new Random(seed), valid, framesEach, refused);
                } catch (IOException | RuntimeException | AssertionError e) {
                    failures.add("flooder " + seed + ": " + e);
                }
            }, "flooder-" + c);
            flooders[c].start();
        }
        for (Thread flooder : flooders) {
            flooder.join();
        }
        flooding.set(false);
        reader.join();

        assertTrue(failures.isEmpty(), "failures: " + failures);
        assertEquals((long) connections * framesEach, refused.get(), "every malformed frame was refused");
        assertTrue(goodReads.get() > 0, "the other client kept reading during the flood");
        assertEquals(before, cluster.contentDigest(0, 0, nowMs), "no stored data changed");
        TestCluster.await("no request left in flight", Duration.ofSeconds(10),
                () -> ((Integer) cluster.node(0).metricRegistry().getGauges().get("gateway.in_flight").getValue()) == 0);
        long grownBytes = usedHeapAfterGc() - heapBefore;
        assertTrue(grownBytes < 128L << 20, "the heap grew by " + grownBytes + " bytes");
    }

    /**
     * Sends malformed frames in batches, reading every answer: most are answered BAD_REQUEST on a
     * connection that goes on; one in a hundred breaks the framing and must close the connection.
     */
    private static void flood(Random random, List<byte[]> valid, int frames, AtomicLong refused) throws IOException {
        RawConnection connection = new RawConnection(port);
        try {
            int sent = 0;
            while (sent < frames) {
                int batch = Math.min(500, frames - sent);
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                for (int i = 0; i < batch; i++) {
                    bytes.write(malformed(random, valid, sent + i));
                }
                boolean breaking = random.nextInt(100) == 0;
                if (breaking) {
                    bytes.write(random.nextBoolean()
                            ? RawConnection.frame(9, ClientFrames.REQUEST, 1, valid.get(0))
                            : new byte[] {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
                }
                connection.write(bytes.toByteArray());
                for (int i = 0; i < batch; i++) {
                    byte[] answer = connection.readFrame();
                    assertNotNull(answer, "a malformed request is answered, not a reason to close");
                    ByteReader in = new ByteReader(answer, 0, answer.length);
                    ClientFrames.Result result = ClientFrames.readResult(ClientFrames.readHeader(in), in);
                    assertEquals(ResultCode.BAD_REQUEST, result.code(), result.message());
                    refused.incrementAndGet();
                }
                sent += batch;
                if (breaking) {
                    byte[] error = connection.readFrame();
                    assertTrue(error == null || (error[1] & 0xFF) == ClientFrames.ERROR);
                    assertNull(connection.readFrame(), "a broken framing closes the connection");
                    connection.close();
                    connection = new RawConnection(port);
                }
            }
        } finally {
            connection.close();
        }
    }

    /** A well-framed request the node must refuse; checked here to fail decoding or to name a wrong group. */
    private static byte[] malformed(Random random, List<byte[]> valid, long requestId) {
        byte[] body = valid.get(random.nextInt(valid.size())).clone();
        int kind = ClientFrames.REQUEST;
        switch (random.nextInt(8)) {
            case 0 -> body = Arrays.copyOf(body, random.nextInt(body.length));
            case 1 -> body[24] = (byte) 200;
            case 7 -> body[23] = (byte) 0x80;
            case 2 -> body[22] = 7;
            case 3 -> kind = 0x7E;
            case 4 -> body = concat(body, new byte[] {1, 2, 3});
            case 5 -> body[1] = 5;
            case 6 -> {
                Arrays.fill(body, 2, 10, (byte) 0);
                body[17] = 5;
                body[23] = 0;
            }
            default -> throw new IllegalStateException();
        }
        boolean wrongGroup = kind == ClientFrames.REQUEST && body.length >= 2 && (body[0] != 0 || body[1] != 0);
        if (!wrongGroup && decodesLocally(kind, body)) {
            throw new AssertionError("meant to be malformed: " + Arrays.toString(body));
        }
        return RawConnection.frame(ClientFrames.VERSION, kind, requestId, body);
    }

    /** The other client: reads preloaded records through the gateway and checks each answer. */
    private static void readPreloadedUntil(AtomicBoolean flooding, AtomicLong goodReads, ConcurrentLinkedQueue<String> failures) {
        try (RawConnection connection = new RawConnection(port)) {
            for (int i = 0; flooding.get(); i++) {
                int k = i % PRELOADED;
                connection.write(ClientFrames.encode(new ClientFrames.OperationRequest(i, 0, 0, 0, 5_000,
                        ClientFrames.ReadMode.LINEARIZABLE, false, new Request.Get(NS, KeyDigest.of("pre", k), BinSelection.ALL))));
                byte[] answer = connection.readFrame();
                ByteReader in = new ByteReader(answer, 0, answer.length);
                ClientFrames.Result result = ClientFrames.readResult(ClientFrames.readHeader(in), in);
                Reply.Single reply = (Reply.Single) ReplyCodec.decode(result.reply());
                if (reply.code() != ResultCode.OK || !Value.of(k).equals(reply.bins().get("i"))) {
                    failures.add("read " + k + " answered " + result.code() + " " + reply);
                    return;
                }
                goodReads.incrementAndGet();
            }
        } catch (IOException | RuntimeException e) {
            failures.add("the good client failed: " + e);
        }
    }

    private static long usedHeapAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        System.gc();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    @Test
    void aFrameLargerThanTheClientLimitClosesOnlyItsConnection() throws IOException {
        try (RawConnection big = new RawConnection(port); RawConnection other = new RawConnection(port)) {
            byte[] body = new byte[ClientFrames.MAX_REQUEST_FRAME_BYTES];
            try {
                big.write(RawConnection.frame(ClientFrames.VERSION, ClientFrames.REQUEST, 1, body));
                byte[] error = big.readFrame();
                assertTrue(error == null || (error[1] & 0xFF) == ClientFrames.ERROR);
                assertNull(big.readFrame());
            } catch (SocketException reset) {
                // The node closed the connection while the frame was still arriving: the rest of
                // it met a reset. Also a close (a node that kept it open would time the read out).
            }
            other.write(ClientFrames.encodeEmpty(ClientFrames.MAP, 2));
            byte[] map = other.readFrame();
            assertNotNull(map);
            ByteReader in = new ByteReader(map, 0, map.length);
            assertEquals(ClientFrames.MAP_REPLY, ClientFrames.readHeader(in).kind());
            assertEquals(1, ClientFrames.readMap(in).groups().size());
        }
    }
}
