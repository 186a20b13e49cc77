package io.flashraft.consensus;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.apache.ratis.util.ProtoUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds back a leader's InstallSnapshot to a group while this node is still adding that group.
 *
 * <p>Ratis 3.3.0 accepts an InstallSnapshot for a group whose division is STARTING: the request
 * makes the division a follower and starts its follower state, and then the division's own start
 * sets the role again, finds a follower state already there and fails with
 * {@code IllegalStateException: previous != null}. The group add then fails and leaves the
 * half-started division behind, holding its storage lock, so the node cannot add it again
 * until the process restarts. A leader sends exactly that request to a replica rebuilt from
 * scratch, whose groups are added while the leaders already retry their installs to it.
 * Appends and votes are safe: Ratis refuses them until the division has started.
 *
 * <p>The only hook Ratis offers on that path is its code-injection point at the start of every
 * InstallSnapshot; this guard registers there once for the whole JVM, and makes a request for a
 * group that some node of this JVM is adding wait (bounded) until the add has finished. The
 * request then meets a started division and goes on as usual.
 */
final class GroupAddGuard {
    /** The name of Ratis' injection point, {@code RaftServerImpl.INSTALL_SNAPSHOT}. */
    static final String INSTALL_SNAPSHOT_POINT = "RaftServerImpl.installSnapshot";
    /** Longer than any group start; the request goes on anyway when it passes. */
    private static final long MAX_WAIT_MS = 30_000;
    private static final Logger LOG = LoggerFactory.getLogger(GroupAddGuard.class);
    private static final ConcurrentMap<String, CompletableFuture<Void>> ADDING = new ConcurrentHashMap<>();

    static {
        CodeInjectionForTesting.put(INSTALL_SNAPSHOT_POINT, GroupAddGuard::beforeInstallSnapshot);
    }

    private GroupAddGuard() {
    }

    /** An add in progress; closing it lets the held-back requests for the group through. */
    interface Adding extends AutoCloseable {
        @Override
        void close();
    }

    /** Marks {@code group} as being added on node {@code peer} until the returned handle is closed. */
    static Adding adding(RaftPeerId peer, RaftGroupId group) {
        String key = key(peer, group);
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (ADDING.putIfAbsent(key, done) != null) {
            throw new IllegalStateException("group " + group + " is already being added on " + peer);
        }
        return () -> {
            ADDING.remove(key, done);
            done.complete(null);
        };
    }

    /** Whether a request for {@code group} to node {@code peer} would be held back now. */
    static boolean holdsBack(RaftPeerId peer, RaftGroupId group) {
        return ADDING.containsKey(key(peer, group));
    }

    private static boolean beforeInstallSnapshot(Object localId, Object remoteId, Object... args) {
        if (args.length != 1 || !(args[0] instanceof InstallSnapshotRequestProto request)) {
            return false;
        }
        RaftGroupId group = ProtoUtils.toRaftGroupId(request.getServerRequest().getRaftGroupId());
        CompletableFuture<Void> done = ADDING.get(key(localId, group));
        if (done == null) {
            return false;
        }
        try {
            done.get(MAX_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("{}: InstallSnapshot from {} for {} goes on before the group's add finished: {}",
                    localId, remoteId, group, e.toString());
        }
        return true;
    }

    private static String key(Object peer, RaftGroupId group) {
        return peer + "/" + group.getUuid();
    }
}
