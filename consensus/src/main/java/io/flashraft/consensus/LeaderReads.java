package io.flashraft.consensus;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.util.LifeCycle;

/**
 * Confirms, for each linearizable read on a group's leader, that a majority still follows this
 * leader after the read arrived: every follower counted must have answered, in this leader's
 * term, an AppendEntries request that its log appender made after the read began (a call id at
 * or past the one the appender was at). The read index is the commit index when the read began;
 * once confirmed, the read waits until that index is applied.
 *
 * <p>Ratis' own read index is not used: it answers at once when the index is at or below one a
 * majority confirmed earlier ({@code ReadIndexHeartbeats.addAppendEntriesListener}, its
 * {@code ackedCommitIndex}), and a read may join a confirmation begun before it arrived. A leader
 * cut off from the others keeps its commit index, so it kept answering reads without hearing
 * from anyone until it stepped down, while the others could elect a leader and commit writes
 * those reads missed (seen once in CI; docs/consistency.md).
 *
 * <p>The hook is Ratis' gRPC transport with its own log appender ({@link Transport}): each
 * appender reports the replies it gets, and keeps a heartbeat asked for while a request was
 * being made ({@link Asks}). Ratis' appender clears the ask as it sends each request, so an ask
 * that arrived while a request was being made (its call id taken before the read began) was
 * cleared by that request, whose reply does not count, and the read then waited for the
 * periodic heartbeat (half the shortest election timeout).
 */
public final class LeaderReads {
    /** The key under which the node's instance travels to the transport in Ratis' parameters. */
    private static final String PARAMETER = LeaderReads.class.getName();

    private final Map<RaftGroupId, Leadership> leaderships = new ConcurrentHashMap<>();

    /** Ratis' server parameters that hand this instance to the transport. */
    Parameters parameters() {
        Parameters parameters = new Parameters();
        parameters.put(PARAMETER, this, LeaderReads.class);
        return parameters;
    }

    /**
     * Completes once a majority of the group's voters (this leader included) has answered this
     * leader after the call; fails with {@link NotLeading} if this node does not lead the group
     * in its current term, or stops leading it before that.
     */
    CompletableFuture<Void> confirm(RaftServer.Division division) {
        if (!division.getInfo().isLeader()) {
            return CompletableFuture.failedFuture(new NotLeading(division.getMemberId() + " does not lead its group now"));
        }
        Leadership leadership = leaderships.get(division.getMemberId().getGroupId());
        if (leadership == null || leadership.term != division.getInfo().getCurrentTerm()) {
            // No appender of this term: only a group of one confirms itself.
            return new PendingRead(division.getRaftConf(), division.getId(), Map.of()).confirmed()
                    ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(new NotLeading(division.getMemberId() + " has no followers' answers in term "
                            + division.getInfo().getCurrentTerm() + " yet"));
        }
        return leadership.confirm(division.getRaftConf(), division.getId());
    }

    private Leadership leadershipOf(RaftServer.Division server, LeaderState state) {
        Leadership[] replaced = new Leadership[1];
        Leadership current = leaderships.compute(server.getMemberId().getGroupId(), (id, old) -> {
            if (old != null && old.state == state) {
                return old;
            }
            replaced[0] = old;
            return new Leadership(state, server.getInfo().getCurrentTerm());
        });
        if (replaced[0] != null) {
            replaced[0].end();
        }
        return current;
    }

    /** Why a read could not be confirmed: this node does not lead the group (any more). */
    static final class NotLeading extends Exception {
        NotLeading(String message) {
            super(message, null, false, false);
        }
    }

    /** One term of this node's leadership of one group: its appenders and the reads waiting on them. */
    private static final class Leadership {
        final LeaderState state;
        final long term;
        private final Map<RaftPeerId, Appender> appenders = new ConcurrentHashMap<>();
        private final List<PendingRead> pending = new ArrayList<>();
        /**
         * Per appender, the call id from which a reply answers its outstanding heartbeat ask. One
         * ask at a time: reads that arrive meanwhile wait for its answer, and the reply that
         * answers it asks again for them (as etcd runs one read-index round at a time). While an
         * ask stands Ratis' appender sends requests without entries, so asking for every read
         * held the writes' entries back (docs/benchmarks.md).
         */
        private final Map<Appender, Long> asking = new HashMap<>();
        private boolean ended;

        Leadership(LeaderState state, long term) {
            this.state = state;
            this.term = term;
        }

        CompletableFuture<Void> confirm(RaftConfiguration conf, RaftPeerId self) {
            Map<Appender, Long> firstCallIds = new HashMap<>();
            for (Appender appender : appenders.values()) {
                firstCallIds.put(appender, appender.getCallId());
            }
            PendingRead read = new PendingRead(conf, self, firstCallIds);
            List<Appender> ask = new ArrayList<>();
            synchronized (this) {
                if (ended) {
                    return CompletableFuture.failedFuture(new NotLeading("the leadership of term " + term + " ended"));
                }
                if (read.confirmed()) {
                    return CompletableFuture.completedFuture(null);
                }
                pending.add(read);
                for (Map.Entry<Appender, Long> first : firstCallIds.entrySet()) {
                    if (asking.putIfAbsent(first.getKey(), first.getValue()) == null) {
                        ask.add(first.getKey());
                    }
                }
            }
            ask.forEach(Appender::triggerHeartbeat);
            return read.done;
        }

        void onReply(Appender appender, AppendEntriesReplyProto reply) {
            // INCONSISTENCY too says the follower took this leader's term; NOT_LEADER does not.
            if (reply.getResult() == AppendEntriesReplyProto.AppendResult.NOT_LEADER) {
                return;
            }
            long callId = reply.getServerReply().getCallId();
            List<PendingRead> confirmed = new ArrayList<>();
            boolean askAgain = false;
            synchronized (this) {
                pending.removeIf(read -> read.answered(appender, callId) && confirmed.add(read));
                Long askedFrom = asking.get(appender);
                if (askedFrom != null && appender.getCallIdComparator().compare(callId, askedFrom) >= 0) {
                    asking.remove(appender);
                    if (pending.stream().anyMatch(read -> read.waitsFor(appender))) {
                        asking.put(appender, appender.getCallId());
                        askAgain = true;
                    }
                }
            }
            confirmed.forEach(read -> read.done.complete(null));
            if (askAgain) {
                appender.triggerHeartbeat();
            }
        }

        void register(Appender appender) {
            appenders.put(appender.getFollowerId(), appender);
        }

        void stopped(Appender appender) {
            appenders.remove(appender.getFollowerId(), appender);
            synchronized (this) {
                asking.remove(appender);
            }
            RaftServer.Division server = appender.getServer();
            if (!server.getInfo().isLeader() || server.getInfo().getCurrentTerm() != term) {
                end();
            }
        }

        void end() {
            List<PendingRead> failed;
            synchronized (this) {
                ended = true;
                failed = new ArrayList<>(pending);
                pending.clear();
            }
            NotLeading cause = new NotLeading("the leadership of term " + term + " ended before a majority confirmed it");
            failed.forEach(read -> read.done.completeExceptionally(cause));
        }
    }

    /** A read waiting for a majority to answer requests made after it began. */
    private static final class PendingRead {
        private final RaftConfiguration conf;
        private final Map<Appender, Long> firstCallIds;
        private final Set<RaftPeerId> answered = new HashSet<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();

        PendingRead(RaftConfiguration conf, RaftPeerId self, Map<Appender, Long> firstCallIds) {
            this.conf = conf;
            this.firstCallIds = firstCallIds;
            answered.add(self);
        }

        /** Counts a reply; true once a majority answered. */
        boolean answered(Appender appender, long callId) {
            Long first = firstCallIds.get(appender);
            if (first != null && appender.getCallIdComparator().compare(callId, first) >= 0) {
                answered.add(appender.getFollowerId());
            }
            return confirmed();
        }

        /** Whether this read still waits for the follower of this appender. */
        boolean waitsFor(Appender appender) {
            return firstCallIds.containsKey(appender) && !answered.contains(appender.getFollowerId());
        }

        boolean confirmed() {
            return majority(conf.getCurrentPeers()) && (conf.getPreviousPeers().isEmpty() || majority(conf.getPreviousPeers()));
        }

        private boolean majority(Collection<RaftPeer> voters) {
            int yes = 0;
            for (RaftPeer voter : voters) {
                if (answered.contains(voter.getId())) {
                    yes++;
                }
            }
            return 2 * yes > voters.size();
        }
    }

    /**
     * Ratis' gRPC transport with the log appender below. Ratis makes a transport from the class
     * name set as {@code raft.rpc.type}, so this class needs its public no-argument constructor;
     * the node's {@link LeaderReads} reaches it through the server's parameters.
     */
    public static final class Transport implements RpcType {
        @Override
        public String name() {
            return Transport.class.getName();
        }

        @Override
        public RpcFactory newFactory(Parameters parameters) {
            LeaderReads reads = parameters.getNonNull(PARAMETER, LeaderReads.class);
            return new GrpcFactory(parameters) {
                @Override
                public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
                    Leadership leadership = reads.leadershipOf(server, state);
                    Appender appender = new Appender(server, new ReplyTap(state, leadership), follower, leadership);
                    leadership.register(appender);
                    return appender;
                }
            };
        }
    }

    /** Ratis' gRPC log appender, whose replies reach the leadership and which keeps unanswered heartbeat asks. */
    private static final class Appender extends GrpcLogAppender {
        private final Leadership leadership;
        private final Asks asks = new Asks();

        Appender(RaftServer.Division server, LeaderState state, FollowerInfo follower, Leadership leadership) {
            super(server, state, follower);
            this.leadership = leadership;
        }

        @Override
        public void triggerHeartbeat() {
            asks.ask(getCallId());
            super.triggerHeartbeat();
        }

        @Override
        protected void resetHeartbeatTrigger() {
            super.resetHeartbeatTrigger();
            // The request going out took the call id before the current one, on this thread; if
            // it was made before an ask, a heartbeat follows it.
            if (!asks.answeredBy(getCallId() - 1)) {
                super.triggerHeartbeat();
            }
        }

        @Override
        public CompletableFuture<LifeCycle.State> stopAsync() {
            CompletableFuture<LifeCycle.State> stopping = super.stopAsync();
            leadership.stopped(this);
            return stopping;
        }
    }

    /**
     * The heartbeat asks of one appender. An ask is answered by any request whose call id the
     * appender takes after it; Ratis' appender clears the ask as each request goes out, so a
     * request made before the ask and sent after it must leave the ask standing. No more: a
     * standing ask makes every request a heartbeat without entries.
     */
    static final class Asks {
        private final AtomicLong askedFrom = new AtomicLong(-1);

        /** A read asks, when the appender's next call id is {@code nextCallId}. */
        void ask(long nextCallId) {
            askedFrom.accumulateAndGet(nextCallId, Math::max);
        }

        /** Whether a request with this call id answers every ask so far. */
        boolean answeredBy(long callId) {
            return callId >= askedFrom.get();
        }
    }

    /** The leader's state as Ratis made it, telling the leadership of each AppendEntries reply. */
    private record ReplyTap(LeaderState state, Leadership leadership) implements LeaderState {
        @Override
        public void onAppendEntriesReply(LogAppender appender, AppendEntriesReplyProto reply) {
            state.onAppendEntriesReply(appender, reply);
            leadership.onReply((Appender) appender, reply);
        }

        @Override
        public void restart(LogAppender appender) {
            state.restart(appender);
        }

        @Override
        public AppendEntriesRequestProto newAppendEntriesRequestProto(FollowerInfo follower, List<LogEntryProto> entries,
                                                                      TermIndex previous, long callId) {
            return state.newAppendEntriesRequestProto(follower, entries, previous, callId);
        }

        @Override
        public void checkHealth(FollowerInfo follower) {
            state.checkHealth(follower);
        }

        @Override
        public boolean onFollowerTerm(FollowerInfo follower, long followerTerm) {
            return state.onFollowerTerm(follower, followerTerm);
        }

        @Override
        public void onFollowerCommitIndex(FollowerInfo follower, long commitIndex) {
            state.onFollowerCommitIndex(follower, commitIndex);
        }

        @Override
        public void onFollowerSuccessAppendEntries(FollowerInfo follower) {
            state.onFollowerSuccessAppendEntries(follower);
        }

        @Override
        public boolean isFollowerBootstrapping(FollowerInfo follower) {
            return state.isFollowerBootstrapping(follower);
        }
    }
}
