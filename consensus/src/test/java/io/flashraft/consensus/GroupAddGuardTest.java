package io.flashraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.apache.ratis.util.ProtoUtils;
import org.junit.jupiter.api.Test;

class GroupAddGuardTest {
    private static final RaftPeerId NODE = RaftPeerId.valueOf("guard-test-node");

    @Test
    void theGuardListensAtRatisOwnInstallSnapshotInjectionPoint() throws Exception {
        Field point = Class.forName("org.apache.ratis.server.impl.RaftServerImpl").getDeclaredField("INSTALL_SNAPSHOT");
        point.setAccessible(true);
        assertEquals(point.get(null), GroupAddGuard.INSTALL_SNAPSHOT_POINT,
                "a Ratis upgrade renamed the injection point: the guard would silently stop holding requests back");
    }

    @Test
    void anInstallSnapshotForAGroupBeingAddedWaitsUntilTheAddIsDone() throws Exception {
        RaftGroupId adding = RaftGroupId.valueOf(UUID.randomUUID());
        RaftGroupId other = RaftGroupId.valueOf(UUID.randomUUID());
        GroupAddGuard.Adding handle = GroupAddGuard.adding(NODE, adding);
        assertTrue(GroupAddGuard.holdsBack(NODE, adding));

        assertFalse(installSnapshot(other), "a request for a group not being added goes straight on");
        AtomicReference<Thread> caller = new AtomicReference<>();
        CompletableFuture<Boolean> held = CompletableFuture.supplyAsync(() -> {
            caller.set(Thread.currentThread());
            return installSnapshot(adding);
        });
        TestCluster.await("the request to wait for the add", Duration.ofSeconds(10), () -> caller.get() != null
                && caller.get().getState() == Thread.State.TIMED_WAITING);
        assertFalse(held.isDone(), "the request waits while the group is being added");

        handle.close();
        assertTrue(held.get(10, TimeUnit.SECONDS), "the request goes on once the add is done");
        assertFalse(GroupAddGuard.holdsBack(NODE, adding));
        assertFalse(installSnapshot(adding), "a later request for the added group is not held back");
    }

    /** Runs Ratis' injection point as a follower does at the start of an InstallSnapshot. */
    private static boolean installSnapshot(RaftGroupId group) {
        InstallSnapshotRequestProto request = InstallSnapshotRequestProto.newBuilder()
                .setServerRequest(RaftRpcRequestProto.newBuilder().setRaftGroupId(ProtoUtils.toRaftGroupIdProtoBuilder(group)))
                .build();
        return CodeInjectionForTesting.execute(GroupAddGuard.INSTALL_SNAPSHOT_POINT, NODE, "leader", request);
    }
}
