package io.flashraft.protocol;

import static io.flashraft.protocol.TestTheories.theory;
import static io.flashraft.protocol.ValueGenerators.draw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;

/**
 * Requests and replies survive their encoding, and their decoders refuse garbage with a
 * {@link DecodeException} and nothing else.
 */
class RequestCodecTest {

    @Test
    void everyRequestDecodesToItself() {
        theory().forAll(requests()).checkAssert(request ->
                assertEquals(request, RequestCodec.decode(RequestCodec.encode(request))));
    }

    @Test
    void everyReplyDecodesToItself() {
        theory().forAll(replies()).checkAssert(reply ->
                assertEquals(reply, ReplyCodec.decode(ReplyCodec.encode(reply))));
    }

    @Test
    void mutatedRequestsDecodeToAValidRequestOrAreRefused() {
        theory().forAll(DecoderFuzzTest.mutated(requests().map(RequestCodec::encode)))
                .checkAssert(bytes -> decodesOrIsRefused(bytes, RequestCodec::decode, RequestCodec::encode));
    }

    @Test
    void mutatedRepliesDecodeToAValidReplyOrAreRefused() {
        theory().forAll(DecoderFuzzTest.mutated(replies().map(ReplyCodec::encode)))
                .checkAssert(bytes -> decodesOrIsRefused(bytes, ReplyCodec::decode, ReplyCodec::encode));
    }

    @Test
    void aBatchCountLargerThanTheInputIsRefusedBeforeAllocating() {
        ByteWriter out = new ByteWriter(16);
        out.writeByte(Request.OpCode.BATCH_GET.code());
        RequestCodec.writeName(out, "ns");
        out.writeByte(0);
        out.writeVarint(Integer.MAX_VALUE);
        DecodeException refused = assertThrows(DecodeException.class, () -> RequestCodec.decode(out.toByteArray()));
        assertEquals(true, refused.getMessage().contains("batch of digests"), refused.getMessage());
    }

    @Test
    void aNegativeExpectedGenerationIsRefused() {
        Request put = new Request.Put("ns", "s", digest(1), Bins.empty(), WritePolicy.DEFAULT);
        byte[] bytes = RequestCodec.encode(put);
        int generationAt = 1 + 1 + 2 + 1 + 1 + Digest.LENGTH + 1;
        bytes[generationAt] = (byte) 0x80;
        assertThrows(DecodeException.class, () -> RequestCodec.decode(bytes));
    }

    /** A decoded input is valid: encoding it again decodes to the same thing. */
    private static <T> void decodesOrIsRefused(byte[] bytes, Function<byte[], T> decoder, Function<T, byte[]> encoder) {
        T decoded;
        try {
            decoded = decoder.apply(bytes);
        } catch (DecodeException refused) {
            return;
        } catch (RuntimeException e) {
            throw new AssertionError("decoding " + Hex.encode(bytes) + " threw " + e, e);
        }
        assertEquals(decoded, decoder.apply(encoder.apply(decoded)));
    }

    static Gen<Request> requests() {
        return in -> {
            String ns = draw(in, 0, 1) == 0 ? "test" : "ns" + draw(in, 0, 9);
            String set = draw(in, 0, 2) == 0 ? "" : "set" + draw(in, 0, 3);
            Digest digest = digest(draw(in, 0, 1000));
            switch (draw(in, 0, 9)) {
                case 0:
                    return new Request.Put(ns, set, digest, ValueGenerators.bins().generate(in), policy(in));
                case 1:
                    return new Request.Get(ns, digest, selection(in));
                case 2:
                    return new Request.Exists(ns, digest);
                case 3:
                    return new Request.Delete(ns, digest, policy(in));
                case 4:
                    return new Request.Touch(ns, digest, policy(in));
                case 5: {
                    int count = draw(in, 1, 6);
                    List<BinOp> ops = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        ops.add(binOp(in));
                    }
                    return new Request.Operate(ns, set, digest, policy(in), ops);
                }
                case 6: {
                    int count = draw(in, 1, 5);
                    List<Digest> digests = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        digests.add(digest(draw(in, 0, 1000)));
                    }
                    return new Request.BatchGet(ns, digests, selection(in));
                }
                case 7:
                    return new Request.Scan(ns, draw(in, 0, Partitions.COUNT - 1),
                            draw(in, 0, 1) == 0 ? null : digest, draw(in, 1, Request.Scan.MAX_RECORDS), selection(in));
                case 8:
                    return new Request.Truncate(ns, set);
                default:
                    return new Request.Evict(ns, digest, draw(in, 1, 1 << 20));
            }
        };
    }

    static Gen<Reply> replies() {
        return in -> {
            switch (draw(in, 0, 3)) {
                case 0:
                    return single(in);
                case 1: {
                    List<Reply.Single> parts = new ArrayList<>();
                    for (int i = draw(in, 0, 4); i > 0; i--) {
                        parts.add(single(in));
                    }
                    return new Reply.Batch(parts);
                }
                case 2: {
                    List<StoredRecord> records = new ArrayList<>();
                    for (int i = draw(in, 0, 4); i > 0; i--) {
                        records.add(new StoredRecord(digest(draw(in, 0, 1000)), "s", meta(in),
                                ValueGenerators.bins().generate(in)));
                    }
                    return new Reply.Scan(records, draw(in, 0, 1) == 1);
                }
                default:
                    return new Reply.Count(draw(in, 0, Integer.MAX_VALUE));
            }
        };
    }

    private static Reply.Single single(RandomnessSource in) {
        ResultCode[] codes = ResultCode.values();
        ResultCode code = codes[draw(in, 0, codes.length - 1)];
        return draw(in, 0, 2) == 0 ? Reply.Single.of(code)
                : new Reply.Single(code, meta(in), ValueGenerators.bins().generate(in));
    }

    private static RecordMeta meta(RandomnessSource in) {
        return new RecordMeta(draw(in, 1, 1000), draw(in, 0, Integer.MAX_VALUE), draw(in, 0, Integer.MAX_VALUE));
    }

    private static BinOp binOp(RandomnessSource in) {
        String bin = ValueGenerators.binNames().generate(in);
        BinOp.Type type = BinOp.Type.values()[draw(in, 0, BinOp.Type.values().length - 1)];
        Value value = type.hasValue() ? ValueGenerators.values(2).generate(in) : null;
        Value mapValue = type.hasMapValue() ? ValueGenerators.scalars().generate(in) : null;
        return new BinOp(type, bin, value, mapValue);
    }

    private static WritePolicy policy(RandomnessSource in) {
        RecordExistsAction action = RecordExistsAction.values()[draw(in, 0, RecordExistsAction.values().length - 1)];
        return new WritePolicy(action, draw(in, 0, 3), draw(in, -2, 100_000));
    }

    private static BinSelection selection(RandomnessSource in) {
        switch (draw(in, 0, 2)) {
            case 0:
                return BinSelection.ALL;
            case 1:
                return BinSelection.HEADER;
            default:
                return BinSelection.of(ValueGenerators.binNames().generate(in), ValueGenerators.binNames().generate(in));
        }
    }

    static Digest digest(int n) {
        byte[] bytes = new byte[Digest.LENGTH];
        bytes[0] = (byte) n;
        bytes[1] = (byte) (n >> 8);
        bytes[19] = (byte) (n * 31);
        return Digest.of(bytes);
    }
}
