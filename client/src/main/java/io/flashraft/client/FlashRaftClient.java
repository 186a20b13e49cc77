package io.flashraft.client;

import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ClientFrames;
import io.flashraft.protocol.ClusterMap;
import io.flashraft.protocol.DecodeException;
import io.flashraft.protocol.Digest;
import io.flashraft.protocol.Partitions;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.Reply;
import io.flashraft.protocol.SendFailure;
import io.flashraft.protocol.ReplyCodec;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.StoredRecord;
import io.flashraft.protocol.WritePolicy;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The FlashRaft client: every operation, asynchronous ({@code *Async}, a CompletableFuture) and
 * blocking, sent straight to the leader of the record's partition group (one hop).
 *
 * <p>It learns the cluster map from any seed node and corrects it from every answer, which
 * names the group's current leader. It retries what is safe to retry until the policy's total
 * time runs out: a group without a leader, an overloaded node, a lost connection, a timeout. A
 * retried write keeps its session and sequence, so the nodes apply it once however many times
 * it is sent. What cannot be retried fails with a {@link FlashRaftException} that says whether
 * the write may have been applied ({@link FlashRaftException#inDoubt()}).
 *
 * <p>Thread-safe; one client per application is enough. Close it to release its connections.
 */
public final class FlashRaftClient implements AutoCloseable {
    private final ClientPolicy policy;
    private final List<String> seeds;
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<String, NodeConnection[]> pools = new ConcurrentHashMap<>();
    private final AtomicReference<ClusterMap> map = new AtomicReference<>();
    private final AtomicReference<CompletableFuture<ClusterMap>> refreshing = new AtomicReference<>();
    private final AtomicLong requestIds = new AtomicLong();
    private final AtomicLong sequences = new AtomicLong();
    private final AtomicLong roundRobin = new AtomicLong();
    private final Semaphore inFlight;
    private final long sessionId;
    /** The groups that have answered a write of this session: the session is open there. */
    private final java.util.Set<Integer> openedGroups = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private FlashRaftClient(ClientPolicy policy, List<String> seeds) {
        this.policy = policy;
        this.seeds = List.copyOf(seeds);
        this.inFlight = new Semaphore(policy.maxInFlight());
        long id = 0;
        SecureRandom random = new SecureRandom();
        while (id == 0) {
            id = random.nextLong();
        }
        this.sessionId = id;
    }

    /**
     * Connects to a cluster through any of its nodes and fetches the cluster map.
     *
     * @param seeds gateway addresses {@code host:port}; one reachable node is enough
     * @throws FlashRaftException UNAVAILABLE when no seed answers within the policy's total time
     */
    public static FlashRaftClient connect(ClientPolicy policy, String... seeds) {
        if (seeds.length == 0) {
            throw new IllegalArgumentException("at least one seed node host:port is needed");
        }
        for (String seed : seeds) {
            parseAddress(seed);
        }
        FlashRaftClient client = new FlashRaftClient(policy, Arrays.asList(seeds));
        try {
            client.clusterMap();
            return client;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** This client's session id: the nodes recognise its retried writes by it. */
    public long sessionId() {
        return sessionId;
    }

    // ---- record operations -------------------------------------------------------------

    /** Writes bins; answers with the record's metadata after the write. */
    public CompletableFuture<RecordMeta> putAsync(Key key, Bins bins, WritePolicy writePolicy) {
        return single(key, new Request.Put(key.namespace(), key.set(), key.digest(), bins, writePolicy))
                .thenApply(reply -> expect(reply, ResultCode.OK).meta());
    }

    public RecordMeta put(Key key, Bins bins, WritePolicy writePolicy) {
        return join(putAsync(key, bins, writePolicy));
    }

    /** Reads a record's bins (all, named, or none with {@link BinSelection#HEADER}); null when not found. */
    public CompletableFuture<Record> getAsync(Key key, BinSelection selection) {
        return single(key, new Request.Get(key.namespace(), key.digest(), selection))
                .thenApply(reply -> reply.code() == ResultCode.NOT_FOUND ? null : record(expect(reply, ResultCode.OK)));
    }

    public Record get(Key key, BinSelection selection) {
        return join(getAsync(key, selection));
    }

    /** A record's metadata, or null when it does not exist. */
    public CompletableFuture<RecordMeta> existsAsync(Key key) {
        return single(key, new Request.Exists(key.namespace(), key.digest()))
                .thenApply(reply -> reply.code() == ResultCode.NOT_FOUND ? null : expect(reply, ResultCode.OK).meta());
    }

    public RecordMeta exists(Key key) {
        return join(existsAsync(key));
    }

    /** Deletes a record; answers whether it existed. */
    public CompletableFuture<Boolean> deleteAsync(Key key, WritePolicy writePolicy) {
        return single(key, new Request.Delete(key.namespace(), key.digest(), writePolicy))
                .thenApply(reply -> reply.code() != ResultCode.NOT_FOUND && expect(reply, ResultCode.OK) != null);
    }

    public boolean delete(Key key, WritePolicy writePolicy) {
        return join(deleteAsync(key, writePolicy));
    }

    /** Rewrites a record with a new generation and TTL; NOT_FOUND when it does not exist. */
    public CompletableFuture<RecordMeta> touchAsync(Key key, WritePolicy writePolicy) {
        return single(key, new Request.Touch(key.namespace(), key.digest(), writePolicy))
                .thenApply(reply -> expect(reply, ResultCode.OK).meta());
    }

    public RecordMeta touch(Key key, WritePolicy writePolicy) {
        return join(touchAsync(key, writePolicy));
    }

    /** Runs bin operations on one record as one atomic step; answers with what the read steps returned. */
    public CompletableFuture<Record> operateAsync(Key key, WritePolicy writePolicy, List<BinOp> ops) {
        return single(key, new Request.Operate(key.namespace(), key.set(), key.digest(), writePolicy, ops))
                .thenApply(reply -> record(expect(reply, ResultCode.OK)));
    }

    public Record operate(Key key, WritePolicy writePolicy, List<BinOp> ops) {
        return join(operateAsync(key, writePolicy, ops));
    }

    /**
     * Reads many records of one namespace, each batch sent to its group's leader; answers in the
     * order of {@code keys}, null for a record not found.
     */
    public CompletableFuture<List<Record>> batchGetAsync(List<Key> keys, BinSelection selection) {
        if (keys.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        String namespace = keys.get(0).namespace();
        ClusterMap current = map.get();
        Map<Integer, List<Integer>> byGroup = new LinkedHashMap<>();
        Digest[] digests = new Digest[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            Key key = keys.get(i);
            if (!key.namespace().equals(namespace)) {
                throw new IllegalArgumentException("a batch reads one namespace: " + namespace + " and " + key.namespace());
            }
            digests[i] = key.digest();
            byGroup.computeIfAbsent(current.groupOf(digests[i].partition()), g -> new ArrayList<>()).add(i);
        }
        Record[] out = new Record[keys.size()];
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        byGroup.forEach((group, indexes) -> {
            for (int from = 0; from < indexes.size(); from += Request.MAX_BATCH) {
                List<Integer> slice = indexes.subList(from, Math.min(indexes.size(), from + Request.MAX_BATCH));
                List<Digest> sliceDigests = slice.stream().map(i -> digests[i]).toList();
                parts.add(execute(group, new Request.BatchGet(namespace, sliceDigests, selection)).thenAccept(reply -> {
                    List<Reply.Single> answers = ((Reply.Batch) reply).replies();
                    if (answers.size() != slice.size()) {
                        throw new FlashRaftException(ResultCode.BAD_REQUEST, false, "a batch of " + slice.size()
                                + " got " + answers.size() + " answers");
                    }
                    for (int k = 0; k < slice.size(); k++) {
                        Reply.Single answer = answers.get(k);
                        out[slice.get(k)] = answer.code() == ResultCode.NOT_FOUND ? null : record(expect(answer, ResultCode.OK));
                    }
                }));
            }
        });
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> Arrays.asList(out));
    }

    public List<Record> batchGet(List<Key> keys, BinSelection selection) {
        return join(batchGetAsync(keys, selection));
    }

    /**
     * One page of a partition's live records in digest order, after {@code afterDigest} (null
     * for the start).
     */
    public CompletableFuture<Reply.Scan> scanPageAsync(String namespace, int partition, Digest afterDigest, int maxRecords,
                                                       BinSelection selection) {
        Request.Scan scan = new Request.Scan(namespace, partition, afterDigest, maxRecords, selection);
        return execute(map.get().groupOf(partition), scan).thenApply(reply -> (Reply.Scan) reply);
    }

    /** Partitions whose first page a scan asks for at once, so a sparse namespace costs few round trips. */
    private static final int SCAN_WINDOW = 64;
    private static final int SCAN_PAGE_RECORDS = 1_000;

    /**
     * Reads every live record of a namespace (of one set, unless {@code set} is null), partition
     * by partition in partition order, page by page; stops early when {@code limit} records were
     * passed on. The first pages of {@value #SCAN_WINDOW} partitions are asked for at once.
     *
     * @return how many records were passed to {@code consumer}
     */
    public long scan(String namespace, String set, BinSelection selection, long limit, Consumer<StoredRecord> consumer) {
        long passed = 0;
        for (int from = 0; from < Partitions.COUNT && passed < limit; from += SCAN_WINDOW) {
            List<CompletableFuture<Reply.Scan>> firstPages = new ArrayList<>(SCAN_WINDOW);
            for (int partition = from; partition < Math.min(Partitions.COUNT, from + SCAN_WINDOW); partition++) {
                firstPages.add(scanPageAsync(namespace, partition, null, SCAN_PAGE_RECORDS, selection));
            }
            for (int i = 0; i < firstPages.size() && passed < limit; i++) {
                Reply.Scan page = join(firstPages.get(i));
                while (true) {
                    Digest after = null;
                    for (StoredRecord record : page.records()) {
                        after = record.digest();
                        if ((set == null || set.equals(record.set())) && passed < limit) {
                            consumer.accept(record);
                            passed++;
                        }
                    }
                    if (!page.more() || after == null || passed >= limit) {
                        break;
                    }
                    page = join(scanPageAsync(namespace, from + i, after, SCAN_PAGE_RECORDS, selection));
                }
            }
            firstPages.forEach(page -> page.cancel(false));
        }
        return passed;
    }

    /** Removes every record of a set written before the truncate, in every group; answers how many. */
    public CompletableFuture<Long> truncateAsync(String namespace, String set) {
        long sequence = sequences.incrementAndGet();
        List<CompletableFuture<Reply>> parts = new ArrayList<>();
        for (int group = 0; group < map.get().groups().size(); group++) {
            parts.add(execute(group, new Request.Truncate(namespace, set), sequence));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                .thenApply(done -> parts.stream().mapToLong(part -> ((Reply.Count) part.join()).count()).sum());
    }

    public long truncate(String namespace, String set) {
        return join(truncateAsync(namespace, set));
    }

    // ---- cluster ---------------------------------------------------------------------

    /** The cluster map as this client knows it now (fetched at connect, corrected by answers). */
    public ClusterMap currentMap() {
        return map.get();
    }

    /** Fetches the cluster map again from the nodes. */
    public CompletableFuture<ClusterMap> clusterMapAsync() {
        CompletableFuture<ClusterMap> mine = new CompletableFuture<>();
        CompletableFuture<ClusterMap> running = refreshing.compareAndExchange(null, mine);
        if (running != null) {
            return running;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(policy.totalTimeoutMs());
        fetchMap(0, deadline, mine);
        return mine.whenComplete((fresh, error) -> refreshing.compareAndSet(mine, null));
    }

    public ClusterMap clusterMap() {
        return join(clusterMapAsync());
    }

    /** What each node says of the groups it hosts; a node that does not answer is left out. */
    public CompletableFuture<List<ClientFrames.NodeInfo>> clusterInfoAsync() {
        List<CompletableFuture<ClientFrames.NodeInfo>> answers = new ArrayList<>();
        for (ClusterMap.Node node : map.get().nodes()) {
            long id = requestIds.incrementAndGet();
            answers.add(send(node.address(), id, ClientFrames.encodeEmpty(ClientFrames.INFO, id))
                    .thenApply(frame -> {
                        expectKind(frame, ClientFrames.INFO_REPLY);
                        return ClientFrames.readInfo(frame.body());
                    })
                    .orTimeout(policy.attemptTimeoutMs(), TimeUnit.MILLISECONDS)
                    .exceptionally(e -> null));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(done -> answers.stream()
                .map(CompletableFuture::join).filter(Objects::nonNull).toList());
    }

    public List<ClientFrames.NodeInfo> clusterInfo() {
        return join(clusterInfoAsync());
    }

    // ---- routing and retries ----------------------------------------------------------

    private CompletableFuture<Reply.Single> single(Key key, Request request) {
        return execute(map.get().groupOf(key.digest().partition()), request).thenApply(reply -> (Reply.Single) reply);
    }

    private CompletableFuture<Reply> execute(int group, Request request) {
        return execute(group, request, request.isWrite() ? sequences.incrementAndGet() : 0);
    }

    private CompletableFuture<Reply> execute(int group, Request request, long sequence) {
        if (closed) {
            return CompletableFuture.failedFuture(new FlashRaftException(ResultCode.UNAVAILABLE, false, "the client is closed"));
        }
        if (!inFlight.tryAcquire()) {
            return CompletableFuture.failedFuture(new FlashRaftException(ResultCode.OVERLOADED, false,
                    "the client has " + policy.maxInFlight() + " operations in flight"));
        }
        Attempts attempts = new Attempts(group, request, request.isWrite() ? sessionId : 0, sequence);
        attempts.next();
        return attempts.result.whenComplete((reply, error) -> inFlight.release());
    }

    /** One operation's attempts: where to send it next, what the last one taught, when to give up. */
    private final class Attempts {
        final int group;
        final Request request;
        final long session;
        final long sequence;
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(policy.totalTimeoutMs());
        final CompletableFuture<Reply> result = new CompletableFuture<>();
        /** Whether some attempt of this write may have been applied. */
        boolean inDoubt;
        int pauses;
        /** Attempts sent straight on to a leader an answer named; past a few, nodes disagree: pause. */
        int redirects;
        FlashRaftException last = new FlashRaftException(ResultCode.TIMEOUT, false, "no attempt finished");

        Attempts(int group, Request request, long session, long sequence) {
            this.group = group;
            this.request = request;
            this.session = session;
            this.sequence = sequence;
        }

        void next() {
            long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
            if (remainingMs <= 0 || closed) {
                result.completeExceptionally(new FlashRaftException(last.code(), inDoubt || last.inDoubt(),
                        "gave up after " + policy.totalTimeoutMs() + " ms; last: " + last.getMessage()));
                return;
            }
            ClusterMap.Node node = target();
            long id = requestIds.incrementAndGet();
            int timeoutMs = (int) Math.max(1, Math.min(policy.attemptTimeoutMs(), remainingMs));
            boolean opens = session != 0 && !openedGroups.contains(group);
            byte[] frame = ClientFrames.encode(new ClientFrames.OperationRequest(id, group, session, sequence, timeoutMs,
                    ClientFrames.ReadMode.LINEARIZABLE, opens, request));
            send(node.address(), id, frame)
                    // The node answers TIMEOUT itself when the attempt's time runs out; this covers a node that stalls.
                    .orTimeout(timeoutMs + 1_000L, TimeUnit.MILLISECONDS)
                    .whenComplete((answer, error) -> {
                        try {
                            if (error != null) {
                                failed(node, unwrap(error));
                            } else {
                                answered(node, answer);
                            }
                        } catch (FlashRaftException e) {
                            result.completeExceptionally(e);
                        } catch (RuntimeException e) {
                            // A garbled answer: whatever the node did, a write may have been applied.
                            result.completeExceptionally(new FlashRaftException(ResultCode.UNAVAILABLE,
                                    inDoubt || request.isWrite(), "bad answer from " + node.id() + ": " + e));
                        }
                    });
        }

        /** Where the next attempt goes: the group's leader, else its first replica (which forwards). */
        private ClusterMap.Node target() {
            ClusterMap current = map.get();
            ClusterMap.Node leader = current.leaderOf(group);
            if (leader != null) {
                return leader;
            }
            List<Integer> replicas = current.groups().get(group).replicas();
            int pick = replicas.isEmpty() ? (int) (roundRobin.getAndIncrement() % current.nodes().size())
                    : replicas.get((int) (roundRobin.getAndIncrement() % replicas.size()));
            return current.nodes().get(pick);
        }

        private void answered(ClusterMap.Node node, NodeConnection.Frame frame) {
            expectKind(frame, ClientFrames.RESULT);
            ClientFrames.Result answer = ClientFrames.readResult(frame.header(), frame.body());
            if (!answer.leaderId().isEmpty()) {
                // Also when it is the node asked: a map fetched before the group had a leader knows none.
                map.updateAndGet(m -> m.withLeader(group, answer.leaderId()));
            }
            if (answer.answered()) {
                Reply reply = ReplyCodec.decode(answer.reply());
                if (session != 0 && reply.code() == ResultCode.SESSION_UNKNOWN) {
                    // The group forgot this session, or never had it: this attempt did nothing.
                    openedGroups.remove(group);
                    if (!inDoubt) {
                        next();
                    } else {
                        result.completeExceptionally(new FlashRaftException(ResultCode.SESSION_UNKNOWN, true,
                                "the group forgot this session while an earlier attempt was in doubt"));
                    }
                    return;
                } else if (session != 0) {
                    openedGroups.add(group);
                }
                result.complete(reply);
                return;
            }
            last = new FlashRaftException(answer.code(), answer.inDoubt(), answer.message());
            inDoubt |= answer.inDoubt();
            switch (answer.code()) {
                case NOT_LEADER -> {
                    if (answer.leaderId().isEmpty() || answer.leaderId().equals(node.id()) || redirects++ >= 3) {
                        refreshMap();
                        pause();
                    } else {
                        next();
                    }
                }
                case UNAVAILABLE, TIMEOUT, IN_DOUBT -> {
                    // The node may be a leader cut off from its majority: the next attempt tries
                    // another replica, which runs the request or names the leader it knows.
                    suspect(node);
                    refreshMap();
                    pause();
                }
                case OVERLOADED -> pause();
                default -> result.completeExceptionally(new FlashRaftException(answer.code(), inDoubt, answer.message()));
            }
        }

        private void failed(ClusterMap.Node node, Throwable error) {
            boolean sent = !(error instanceof SendFailure failure) || failure.sent();
            boolean write = request.isWrite();
            inDoubt |= sent && write;
            ResultCode code = error instanceof java.util.concurrent.TimeoutException ? ResultCode.TIMEOUT : ResultCode.UNAVAILABLE;
            last = new FlashRaftException(code, sent && write, "node " + node.id() + " at " + node.address() + ": " + error.getMessage());
            if (error instanceof DecodeException || error instanceof FlashRaftException) {
                // A garbled answer: the node may have run the request.
                result.completeExceptionally(error instanceof FlashRaftException ? error
                        : new FlashRaftException(ResultCode.UNAVAILABLE, inDoubt, "bad answer from " + node.id() + ": " + error.getMessage()));
                return;
            }
            suspect(node);
            refreshMap();
            pause();
        }

        /** Stops taking {@code node} for the group's leader, if the map does. */
        private void suspect(ClusterMap.Node node) {
            map.updateAndGet(m -> m.leaderOf(group) != null && m.leaderOf(group).id().equals(node.id()) ? forgetLeader(m, group) : m);
        }

        /** Waits before the next attempt, longer each time, never past the deadline. */
        private void pause() {
            long backoffMs = (long) policy.retryBackoffMs() << Math.min(pauses++, 4);
            loops.schedule(this::nextOrFail, backoffMs, TimeUnit.MILLISECONDS);
        }

        /** {@link #next} from a scheduled task: nothing it throws may leave the caller waiting for ever. */
        private void nextOrFail() {
            try {
                next();
            } catch (RuntimeException e) {
                result.completeExceptionally(e instanceof FlashRaftException ? e
                        : new FlashRaftException(ResultCode.UNAVAILABLE, inDoubt, "could not send: " + e));
            }
        }
    }

    private static ClusterMap forgetLeader(ClusterMap m, int group) {
        List<ClusterMap.Route> routes = new ArrayList<>(m.groups());
        ClusterMap.Route old = routes.get(group);
        routes.set(group, new ClusterMap.Route(group, old.replicas(), ClusterMap.Route.NO_LEADER, old.term()));
        return new ClusterMap(m.version(), m.nodes(), routes);
    }

    /** Fetches the map in the background; answers that arrive meanwhile keep correcting the old one. */
    private void refreshMap() {
        if (map.get() != null) {
            clusterMapAsync();
        }
    }

    /** Asks the known nodes, then the seeds, in turn, until one answers or the time is up. */
    private void fetchMap(int attempt, long deadlineNs, CompletableFuture<ClusterMap> answer) {
        List<String> addresses = new ArrayList<>();
        ClusterMap known = map.get();
        if (known != null) {
            known.nodes().forEach(node -> addresses.add(node.address()));
        }
        seeds.stream().filter(seed -> !addresses.contains(seed)).forEach(addresses::add);
        // Start at a different node each refresh: one stale node must not answer every time.
        String address = addresses.get((int) ((attempt + roundRobin.get()) % addresses.size()));
        long id = requestIds.incrementAndGet();
        send(address, id, ClientFrames.encodeEmpty(ClientFrames.MAP, id))
                .orTimeout(policy.attemptTimeoutMs(), TimeUnit.MILLISECONDS)
                .whenComplete((frame, error) -> {
                    if (error == null) {
                        try {
                            expectKind(frame, ClientFrames.MAP_REPLY);
                            ClusterMap fresh = ClientFrames.readMap(frame.body());
                            answer.complete(map.updateAndGet(old -> old == null || fresh.version() >= old.version() ? fresh : old));
                            return;
                        } catch (RuntimeException e) {
                            error = e;
                        }
                    }
                    if (System.nanoTime() > deadlineNs || closed) {
                        answer.completeExceptionally(new FlashRaftException(ResultCode.UNAVAILABLE, false,
                                "no node answered with the cluster map; last tried " + address + ": " + unwrap(error)));
                        return;
                    }
                    long pauseMs = (attempt + 1) % addresses.size() == 0 ? policy.retryBackoffMs() * 8L : 0;
                    loops.schedule(() -> fetchMap(attempt + 1, deadlineNs, answer), pauseMs, TimeUnit.MILLISECONDS);
                });
    }

    private CompletableFuture<NodeConnection.Frame> send(String address, long requestId, byte[] frame) {
        NodeConnection[] pool = pools.computeIfAbsent(address, a -> new NodeConnection[policy.connectionsPerNode()]);
        int slot = (int) (roundRobin.getAndIncrement() % pool.length);
        NodeConnection connection;
        synchronized (pool) {
            connection = pool[slot];
            if (connection == null || connection.broken()) {
                String[] hostPort = parseAddress(address);
                connection = new NodeConnection(loops, hostPort[0], Integer.parseInt(hostPort[1]), policy.connectTimeoutMs());
                pool[slot] = connection;
            }
        }
        NodeConnection used = connection;
        return used.send(requestId, frame).whenComplete((answer, error) -> {
            if (error != null) {
                used.forget(requestId);
            }
        });
    }

    private static void expectKind(NodeConnection.Frame frame, int kind) {
        if (frame.header().kind() != kind) {
            throw new DecodeException("expected frame kind 0x" + Integer.toHexString(kind) + ", got 0x"
                    + Integer.toHexString(frame.header().kind()));
        }
    }

    private static String[] parseAddress(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("a node address is host:port, got " + address);
        }
        int port = Integer.parseInt(address.substring(colon + 1));
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port " + port + " in " + address);
        }
        return new String[] {address.substring(0, colon), Integer.toString(port)};
    }

    private static Reply.Single expect(Reply.Single reply, ResultCode wanted) {
        if (reply.code() != wanted) {
            // An answer from the log is definite, except IN_DOUBT and SESSION_UNKNOWN after an
            // attempt in doubt: the session no longer knows this write's fate.
            boolean inDoubt = reply.code() == ResultCode.IN_DOUBT || reply.code() == ResultCode.SESSION_UNKNOWN;
            throw new FlashRaftException(reply.code(), inDoubt, "");
        }
        return reply;
    }

    private static Record record(Reply.Single reply) {
        return new Record(reply.meta() == null ? new RecordMeta(0, 0, 0) : reply.meta(), reply.bins());
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlashRaftException(ResultCode.TIMEOUT, true, "interrupted");
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new FlashRaftException(ResultCode.UNAVAILABLE, false, String.valueOf(cause));
        }
    }

    @Override
    public void close() {
        closed = true;
        pools.values().forEach(pool -> {
            synchronized (pool) {
                for (NodeConnection connection : pool) {
                    if (connection != null) {
                        connection.close();
                    }
                }
            }
        });
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
