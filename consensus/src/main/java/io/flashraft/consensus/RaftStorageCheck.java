package io.flashraft.consensus;

import io.flashraft.statemachine.PartitionGroupStateMachine;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a group's Raft storage before the node (or the group) starts, and sets an unusable one
 * aside: one whose term and vote cannot be read, or one an install from the leader left half
 * done ({@link PartitionGroupStateMachine#INSTALL_MARKER}).
 *
 * <p>Found by {@code LogDiskFullTest}: when a replica's log disk fills, Ratis 3.3.0 can leave its
 * {@code raft-meta} file (the persisted term and vote) empty, and the node then refuses to start
 * at all. Such a group directory is renamed {@code damaged-<group>-<time>} in the same Raft
 * directory (Ratis ignores names that are not group ids) and the node joins the group again
 * empty, to be rebuilt from the leader like a wiped replica (see docs/consistency.md for what a
 * lost vote means).
 */
final class RaftStorageCheck {
    private static final Logger LOG = LoggerFactory.getLogger(RaftStorageCheck.class);

    private RaftStorageCheck() {
    }

    /**
     * Sets the group's storage aside if its term and vote cannot be read.
     *
     * @return true if it was set aside
     */
    static boolean setAsideIfDamaged(Path raftDir, String groupUuid, String nodeId) throws IOException {
        Path groupDir = raftDir.resolve(groupUuid);
        Path meta = groupDir.resolve("current").resolve("raft-meta");
        Path installMarker = groupDir.resolve("sm").resolve(PartitionGroupStateMachine.INSTALL_MARKER);
        boolean partlyInstalled = Files.exists(installMarker);
        if (!partlyInstalled && (!Files.exists(meta) || readable(meta))) {
            return false;
        }
        Path aside = raftDir.resolve("damaged-" + groupUuid + "-" + System.currentTimeMillis());
        Files.move(groupDir, aside, StandardCopyOption.ATOMIC_MOVE);
        LOG.error("node {}: {}; moved the group's storage to {} and rejoining the group empty, to be rebuilt "
                + "from its leader", nodeId, partlyInstalled ? "an install from the leader did not finish"
                        : "the Raft metadata " + meta + " (term and vote) is damaged, most likely by a full disk", aside);
        return true;
    }

    private static boolean readable(Path meta) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IllegalArgumentException malformed) {
            return false;
        }
        String term = properties.getProperty("term");
        if (term == null || properties.getProperty("votedFor") == null) {
            return false;
        }
        try {
            return Long.parseLong(term) >= 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
