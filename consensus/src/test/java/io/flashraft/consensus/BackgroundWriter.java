package io.flashraft.consensus;

import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Reply;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A thread that puts key i = value i, for i = first, first + 1, ..., through a {@link TestClient}
 * (which retries each write until its outcome is known) while a test breaks the cluster, and
 * remembers which writes were acknowledged.
 */
public final class BackgroundWriter implements AutoCloseable {
    private final TestCluster cluster;
    private final List<Integer> acknowledged = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;

    public BackgroundWriter(TestCluster cluster, long sessionId, int first) {
        this.cluster = cluster;
        this.thread = new Thread(() -> {
            TestClient client = new TestClient(cluster, sessionId);
            try {
                for (int i = first; !stop.get(); i++) {
                    Reply reply = client.write(new Request.Put(TestCluster.NAMESPACE, "", key(i),
                            Bins.of("v", Value.of((long) i)), WritePolicy.DEFAULT));
                    if (reply.code() != ResultCode.OK) {
                        throw new AssertionError("write " + i + " answered " + reply.code());
                    }
                    acknowledged.add(i);
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "background-writer");
        thread.start();
    }

    /** The digest that key i is written under. */
    public static Digest key(int i) {
        return KeyDigest.of("", Value.of((long) i));
    }

    /** How many writes were acknowledged so far. */
    public int acknowledgedCount() {
        return acknowledged.size();
    }

    /** Waits until {@code count} more writes are acknowledged (or the writer failed). */
    public void awaitMore(int count, String what) {
        int before = acknowledged.size();
        TestCluster.await(count + " more acknowledged writes " + what, Duration.ofSeconds(60),
                () -> acknowledged.size() >= before + count || failure.get() != null);
    }

    /** Stops the writer and fails if any write failed. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join();
        if (failure.get() != null) {
            throw new AssertionError("a background write failed", failure.get());
        }
    }

    /** Reads back every acknowledged write, spreading the reads over the running nodes. */
    public void assertEveryAcknowledgedWriteReadable() {
        TestClient reader = new TestClient(cluster, 0x7EAD);
        List<Integer> written;
        synchronized (acknowledged) {
            written = List.copyOf(acknowledged);
        }
        for (int i : written) {
            Reply.Single got = (Reply.Single) reader.read(new Request.Get(TestCluster.NAMESPACE, key(i), BinSelection.ALL));
            if (!Value.of((long) i).equals(got.bins().get("v"))) {
                throw new AssertionError("acknowledged write " + i + " reads back as " + got);
            }
        }
    }
}
