package io.flashraft.loadgen.peers;

import io.flashraft.loadgen.Driver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The load generator's ZooKeeper, through its Java client: key {@code k} is the znode
 * {@code ROOT/k}. A read is {@code sync} and then {@code getData}, ZooKeeper's way to a
 * linearizable read (a plain getData may answer from a lagging follower); an update is
 * {@code setData}, or a create when the znode does not exist yet. Session i talks to server i
 * (mod the servers).
 */
public final class ZooKeeperDriver implements Driver {
    private static final int SESSION_TIMEOUT_MS = 30_000;
    private static final long TIMEOUT_S = 30;

    private final Connections<ZooKeeper> sessions;
    private final String root;

    private ZooKeeperDriver(Connections<ZooKeeper> sessions, String root) {
        this.sessions = sessions;
        this.root = root;
    }

    /**
     * Opens {@code connections} sessions to the servers ({@code host:port}) and creates the root
     * znode if it is missing.
     *
     * @param root the parent znode of the keys (one level, such as /bench), so that runs and tests do not meet
     */
    public static ZooKeeperDriver connect(List<String> servers, int connections, String root)
            throws IOException, InterruptedException, KeeperException {
        List<ZooKeeper> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                CountDownLatch connected = new CountDownLatch(1);
                ZooKeeper zk = new ZooKeeper(servers.get(i % servers.size()), SESSION_TIMEOUT_MS, event -> {
                    if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                        connected.countDown();
                    }
                });
                sessions.add(zk);
                if (!connected.await(TIMEOUT_S, TimeUnit.SECONDS)) {
                    throw new IOException("no ZooKeeper session with " + servers.get(i % servers.size()) + " within " + TIMEOUT_S + " s");
                }
            }
            try {
                sessions.get(0).create(root, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException e) {
                // made by an earlier run
            }
        } catch (IOException | InterruptedException | KeeperException | RuntimeException e) {
            for (ZooKeeper zk : sessions) {
                zk.close();
            }
            throw e;
        }
        return new ZooKeeperDriver(new Connections<>(sessions), root);
    }

    private String path(long key) {
        return root + "/" + key;
    }

    @Override
    public byte[] read(long key) throws Exception {
        ZooKeeper zk = sessions.get();
        String path = path(key);
        CompletableFuture<Void> synced = new CompletableFuture<>();
        zk.sync(path, (rc, p, ctx) -> {
            if (rc == KeeperException.Code.OK.intValue()) {
                synced.complete(null);
            } else {
                synced.completeExceptionally(KeeperException.create(KeeperException.Code.get(rc), p));
            }
        }, null);
        synced.get(TIMEOUT_S, TimeUnit.SECONDS);
        try {
            return zk.getData(path, false, null);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    @Override
    public void update(long key, byte[] value) throws Exception {
        ZooKeeper zk = sessions.get();
        try {
            zk.setData(path(key), value, -1);
        } catch (KeeperException.NoNodeException e) {
            insert(key, value);
        }
    }

    @Override
    public void insert(long key, byte[] value) throws Exception {
        ZooKeeper zk = sessions.get();
        try {
            zk.create(path(key), value, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        } catch (KeeperException.NodeExistsException e) {
            zk.setData(path(key), value, -1);
        }
    }

    @Override
    public String durability() {
        return "transaction log fsynced on a majority before ok (ZooKeeper's default forceSync=yes)";
    }

    @Override
    public void close() throws InterruptedException {
        for (ZooKeeper zk : sessions.all()) {
            zk.close();
        }
    }
}
