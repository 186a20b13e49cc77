package io.flashraft.statemachine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogSegmentTrashTest {
    @TempDir
    Path dir;

    @Test
    void holdsTheClosedSegmentsASnapshotCoversAndFreesThemOnlyOnceRatisDeletedThem() throws Exception {
        Path log = Files.createDirectories(dir.resolve("raft").resolve("group").resolve("current"));
        byte[] data = {1, 2, 3, 4};
        for (String name : List.of("log_0-99", "log_100-199", "log_200-299", "log_inprogress_300", "raft-meta")) {
            Files.write(log.resolve(name), data);
        }
        LogSegmentTrash trash = new LogSegmentTrash(dir.resolve("raft-purged"));

        trash.hold(7, log, 199);
        assertEquals(List.of("group-7-log_0-99", "group-7-log_100-199"), held());
        assertEquals(0, trash.empty(), "segments Ratis still names stay");
        assertArrayEquals(data, Files.readAllBytes(log.resolve("log_0-99")), "holding leaves the log as it was");

        Files.delete(log.resolve("log_0-99")); // Ratis' purge: now only a name goes
        assertArrayEquals(data, Files.readAllBytes(dir.resolve("raft-purged").resolve("group-7-log_0-99")));
        assertEquals(1, trash.empty());
        assertEquals(List.of("group-7-log_100-199"), held());
        assertTrue(Files.exists(log.resolve("log_100-199")));

        trash.hold(7, log, 199); // a later snapshot: held already, and log_0-99 is gone
        assertEquals(List.of("group-7-log_100-199"), held());
        Files.delete(log.resolve("log_100-199"));
        assertEquals(1, trash.empty());
        assertEquals(List.of(), held());
        assertFalse(Files.exists(dir.resolve("raft-purged").resolve("group-7-log_200-299")));
    }

    private List<String> held() throws Exception {
        try (Stream<Path> files = Files.list(dir.resolve("raft-purged"))) {
            return files.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }
}
