package io.flashraft.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flashraft.protocol.Bins;
import io.flashraft.protocol.KeyDigest;
import io.flashraft.protocol.Request;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica's Raft log disk really fills (a 4 MiB tmpfs under its raft directory): every write
 * still succeeds through the other replicas, and once the disk has room again the node reopens
 * the groups whose log Ratis failed, without a restart, and holds the same contents as the
 * others. Ratis 3.3.0 can leave the term and vote file of a group empty when this happens; the
 * node then sets that group's storage aside and rejoins it empty ({@code RaftStorageCheck}).
 * Needs root to mount the tmpfs, as CI runs.
 */
class LogDiskFullTest {
    @TempDir
    Path dir;

    @Test
    void aReplicaWhoseLogDiskFillsCatchesUpOnItsOwnOnceThereIsRoomAgain() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Path raftDir = dir.resolve("n3").resolve("raft");
        Files.createDirectories(raftDir);
        run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", raftDir.toString());
        try (TestCluster cluster = TestCluster.in(dir).nodes(3).start()) {
            cluster.awaitLeaders();
            TestClient client = new TestClient(cluster, 101);
            Bins big = Bins.of("v", Value.of(new byte[60_000]));
            for (int i = 0; i < 150; i++) {
                Request put = new Request.Put(TestCluster.NAMESPACE, "", KeyDigest.of("", Value.of((long) i)), big,
                        WritePolicy.DEFAULT);
                assertEquals(ResultCode.OK, client.write(put).code(), "write " + i + " with one follower's log disk full");
            }
            assertEquals(0, Files.getFileStore(raftDir).getUsableSpace() / (256 << 10),
                    "the follower's log disk is full (less than 256 KiB left)");
            run("mount", "-o", "remount,size=256m", raftDir.toString());
            long now = System.currentTimeMillis();
            for (int g = 0; g < 3; g++) {
                int group = g;
                TestCluster.await("node 3 reopening its log and holding node 1's contents of group " + group,
                        Duration.ofSeconds(90), () -> cluster.sameContent(2, 0, group, now));
            }
        } finally {
            run("umount", "-l", raftDir.toString());
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }
}
