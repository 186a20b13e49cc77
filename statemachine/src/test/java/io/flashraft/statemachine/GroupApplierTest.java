package io.flashraft.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.flashraft.device.RecordStore;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.Reply;
import io.flashraft.protocol.ReplyCodec;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Apply rules of one group: exactly-once sessions, time, ownership, operate, faults. */
class GroupApplierTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final Digest KEY = ReplicaDeterminismTest.key(3, 1);

    @TempDir
    Path dir;

    private RecordStore store;
    private GroupApplier applier;
    private long raftIndex;

    @BeforeEach
    void open() {
        store = Stores.memory(dir);
        applier = new GroupApplier(1, Stores.partitionsOf(1, 4), Map.of("test", store), new SessionConfig(2, 60_000, 10));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aRetriedIncrementIsAppliedOnceAndAnsweredWithItsFirstReply() {
        Request increment = increment();
        List<Reply> first = apply(T0, new Command(7, 1, increment), new Command(7, 1, increment));
        assertEquals(first.get(0), first.get(1));
        List<Reply> retried = apply(T0 + 1_000, new Command(7, 1, increment));
        assertEquals(first.get(0), retried.get(0));
        apply(T0 + 2_000, new Command(7, 2, increment));
        assertEquals(Value.of(2L), counter());
    }

    @Test
    void aRetryOlderThanTheWindowIsInDoubtAndNotApplied() {
        for (int sequence = 1; sequence <= 3; sequence++) {
            apply(T0, new Command(7, sequence, increment()));
        }
        Reply retried = apply(T0, new Command(7, 1, increment())).get(0);
        assertEquals(ResultCode.IN_DOUBT, retried.code());
        assertEquals(Value.of(3L), counter());
    }

    @Test
    void aRetryWhoseSessionTheGroupForgotIsRefusedNotAppliedAgain() {
        apply(T0, new Command(7, 1, true, increment()));
        apply(T0 + 61_000, new Command(8, 1, true, increment()));
        assertEquals(1, applier.sessionCount(), "session 7 expired after 60 s of log time");

        Reply retried = apply(T0 + 61_000, new Command(7, 1, false, increment())).get(0);
        assertEquals(ResultCode.SESSION_UNKNOWN, retried.code(), "the group cannot tell a forgotten retry from a new write");
        Reply next = apply(T0 + 61_000, new Command(7, 2, false, increment())).get(0);
        assertEquals(ResultCode.SESSION_UNKNOWN, next.code(), "nor does a refusal open the session");
        assertEquals(Value.of(2L), counter(), "neither was applied");

        assertEquals(ResultCode.OK, apply(T0 + 62_000, new Command(7, 2, true, increment())).get(0).code(),
                "a write that may open the session opens it again");
        assertEquals(ResultCode.OK, apply(T0 + 62_000, new Command(7, 3, false, increment())).get(0).code());
        assertEquals(Value.of(4L), counter());
    }

    @Test
    void sessionsExpireByLogTimeNotByTheClock() {
        apply(T0, new Command(7, 1, increment()));
        apply(T0 + 59_000, new Command(8, 1, increment()));
        assertEquals(2, applier.sessionCount());
        apply(T0 + 61_000, new Command(8, 2, increment()));
        assertEquals(1, applier.sessionCount(), "session 7 idle for more than 60 s of log time");
    }

    @Test
    void entryTimeNeverRunsBackwards() {
        apply(T0, new Command(0, 0, new Request.Put("test", "", KEY, Bins.of("a", Value.of(1L)),
                WritePolicy.DEFAULT.withTtlSec(1))));
        apply(T0 + 5_000, new Command(0, 0, new Request.Get("test", KEY, BinSelection.ALL)));
        Reply afterLaggingLeader = apply(T0, new Command(0, 0, new Request.Get("test", KEY, BinSelection.ALL))).get(0);
        assertEquals(ResultCode.NOT_FOUND, afterLaggingLeader.code(), "a lagging clock must not revive an expired record");
        assertEquals(ResultCode.NOT_FOUND, applier.query(new Request.Exists("test", KEY), T0).code());
    }

    @Test
    void requestsForAnotherGroupOrAnUnknownNamespaceAreRefusedAndWriteNothing() {
        Digest foreign = ReplicaDeterminismTest.key(3, 2);
        List<Reply> replies = apply(T0,
                new Command(0, 0, new Request.Put("test", "", foreign, Bins.of("a", Value.of(1L)), WritePolicy.DEFAULT)),
                new Command(0, 0, new Request.Put("nope", "", KEY, Bins.of("a", Value.of(1L)), WritePolicy.DEFAULT)),
                new Command(0, 0, new Request.Put("test", "bad\u0000set", KEY, Bins.of("a", Value.of(1L)), WritePolicy.DEFAULT)));
        replies.forEach(reply -> assertEquals(ResultCode.BAD_REQUEST, reply.code()));
        assertEquals(0, store.stats().records());
    }

    @Test
    void operateAppliesItsStepsInOrderAndAllOrNothing() {
        Request build = new Request.Operate("test", "", KEY, WritePolicy.DEFAULT, List.of(
                BinOp.write("s", Value.of("b")), BinOp.prepend("s", Value.of("a")), BinOp.append("s", Value.of("c")),
                BinOp.listAppend("l", Value.of(1L)), BinOp.listAppend("l", Value.of(2L)),
                BinOp.mapPut("m", Value.of("k"), Value.of(9L)), BinOp.add("n", Value.of(2.5))));
        assertEquals(ResultCode.OK, apply(T0, new Command(0, 0, build)).get(0).code());
        Reply.Single read = (Reply.Single) applier.query(new Request.Operate("test", "", KEY, WritePolicy.DEFAULT, List.of(
                BinOp.read("s"), BinOp.mapGet("m", Value.of("k")), BinOp.read("n"))), T0);
        assertEquals(Bins.of(Map.of("s", Value.of("abc"), "m", Value.of(9L), "n", Value.of(2.5))), read.bins());

        Reply.Single popped = (Reply.Single) apply(T0, new Command(0, 0, new Request.Operate("test", "", KEY,
                WritePolicy.DEFAULT, List.of(BinOp.listPop("l", -1))))).get(0);
        assertEquals(Value.of(2L), popped.bins().get("l"));
        assertEquals(2, popped.meta().generation());

        Reply typeError = apply(T0, new Command(0, 0, new Request.Operate("test", "", KEY, WritePolicy.DEFAULT,
                List.of(BinOp.write("x", Value.of(1L)), BinOp.add("s", Value.of(1L)))))).get(0);
        assertEquals(ResultCode.BIN_TYPE_ERROR, typeError.code());
        Reply outOfRange = apply(T0, new Command(0, 0, new Request.Operate("test", "", KEY, WritePolicy.DEFAULT,
                List.of(BinOp.listPop("l", 5))))).get(0);
        assertEquals(ResultCode.OP_NOT_APPLICABLE, outOfRange.code());
        Reply.Single after = (Reply.Single) applier.query(new Request.Get("test", KEY, BinSelection.ALL), T0);
        assertEquals(2, after.meta().generation(), "rejected operates write nothing");
        assertEquals(null, after.bins().get("x"));
    }

    @Test
    void aStoreFailureIsAFaultAndTheSameEntryAppliesOnceItIsFixed() {
        AtomicBoolean failing = new AtomicBoolean(true);
        RecordStore flaky = (RecordStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {RecordStore.class}, (proxy, method, args) -> {
                    if (failing.get() && method.getName().equals("operate")) {
                        throw new UncheckedIOException(new java.io.IOException("injected EIO"));
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        applier = new GroupApplier(1, Stores.partitionsOf(1, 4), Map.of("test", flaky), SessionConfig.DEFAULT);
        LogEntry entry = new LogEntry(T0, T0 << 16, List.of(new Command(7, 1, increment()), new Command(7, 2, increment())));
        assertThrows(ApplyFault.class, () -> applier.apply(1, entry));
        assertThrows(ApplyFault.class, () -> applier.apply(1, entry));
        failing.set(false);
        List<byte[]> replies = applier.apply(1, entry);
        assertEquals(2, replies.size());
        assertEquals(Value.of(2L), counter());
    }

    private static Request increment() {
        return new Request.Operate("test", "", KEY, WritePolicy.DEFAULT, List.of(BinOp.add("n", Value.of(1L))));
    }

    private Value counter() {
        Reply.Single reply = (Reply.Single) applier.query(new Request.Get("test", KEY, BinSelection.ALL), T0);
        return reply.bins().get("n");
    }

    private List<Reply> apply(long nowMs, Command... commands) {
        return applier.apply(++raftIndex, new LogEntry(nowMs, nowMs << 16, List.of(commands))).stream()
                .map(ReplyCodec::decode).toList();
    }
}
