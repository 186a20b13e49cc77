package io.flashraft.statemachine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the freeing of purged Raft log segments off a group's log thread. After a snapshot,
 * Ratis deletes the closed segments it covers on the log worker, the thread that also writes and
 * fsyncs the group's entries: under load, unlinking one 32 MiB segment took 70-110 ms there, and
 * a busy group's first snapshot (about 40 segments) stopped its writes for 3 s. So before Ratis
 * purges, {@link #hold} gives each closed segment the snapshot covers a second name (a hard link)
 * in this directory: Ratis' delete then only removes a name, and {@link #empty}, on a thread of
 * its own, frees the data of the segments Ratis has let go of. Where a link cannot be made (the
 * log on another file system), Ratis frees the segment itself, as it would without this.
 *
 * <p>The data is freed a MiB at a time, a pause between ({@link #STEP_BYTES}, {@link #PAUSE_MS}):
 * freed blocks go out with the file system's next journal commit, the one every log fsync waits
 * for, and on a disk mounted with online discard (as ext4 is here) a snapshot's segments freed at
 * once held every node's log fsyncs for up to half a second. One writer fsyncing 4 KiB while 33
 * segments of 32 MiB were freed (docs/benchmarks.md): deleted outright, its slowest fsync took
 * 91-125 ms; freed a MiB at a time, 14-28 ms.
 *
 * <p>Safe at any moment: a held segment Ratis still names is left alone, and deleting a name
 * here never touches the log. After a crash, {@link #empty} frees what was left.
 */
public final class LogSegmentTrash {
    private static final Logger LOG = LoggerFactory.getLogger(LogSegmentTrash.class);
    /** Bytes freed in one truncation. */
    private static final long STEP_BYTES = 1L << 20;
    /** The pause after each truncation: a GiB of segments is freed in about 7 s. */
    private static final long PAUSE_MS = 5;
    /** A closed segment of Ratis' segmented log: {@code log_<first index>-<last index>}. */
    private static final Pattern CLOSED_SEGMENT = Pattern.compile("log_(\\d+)-(\\d+)");

    private final Path dir;
    private volatile boolean cannotLink;

    /** Holds segments in {@code dir}, which must be on the file system of the Raft logs. */
    public LogSegmentTrash(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /**
     * Gives a second name to each closed segment in {@code logDir} (a group's {@code current}
     * directory) whose last index is at or below {@code index}: the segments Ratis purges after
     * a snapshot at that index.
     */
    public void hold(int group, Path logDir, long index) {
        if (cannotLink) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(logDir, "log_*")) {
            for (Path segment : files) {
                Matcher closed = CLOSED_SEGMENT.matcher(segment.getFileName().toString());
                if (closed.matches() && Long.parseLong(closed.group(2)) <= index) {
                    link(dir.resolve("group-" + group + "-" + segment.getFileName()), segment);
                }
            }
        } catch (IOException | UnsupportedOperationException e) {
            cannotLink = true;
            LOG.warn("purged Raft log segments cannot be held in {} ({}); Ratis deletes them on the log thread", dir,
                    e.toString());
        }
    }

    private static void link(Path name, Path segment) throws IOException {
        try {
            Files.createLink(name, segment);
        } catch (FileAlreadyExistsException | NoSuchFileException e) {
            // Held already, or purged meanwhile by an earlier snapshot's purge.
        }
    }

    /**
     * Frees and deletes the held segments that only this directory still names (Ratis purged
     * them), a step at a time. Interrupted, it stops; the rest is freed by the next call.
     *
     * @return how many were deleted
     */
    public int empty() {
        int deleted = 0;
        long bytes = 0;
        long startNs = System.nanoTime();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path held : files) {
                if ((Integer) Files.getAttribute(held, "unix:nlink") == 1) {
                    bytes += free(held);
                    Files.delete(held);
                    deleted++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("freeing the purged Raft log segments in {} failed: {}", dir, e.toString());
        }
        if (deleted > 0) {
            LOG.info("freed {} purged Raft log segments ({} MiB) in {} ms", deleted, bytes >> 20,
                    (System.nanoTime() - startNs) / 1_000_000);
        }
        return deleted;
    }

    /** Truncates the file to nothing, {@link #STEP_BYTES} at a time with a pause after each; returns its size. */
    private static long free(Path file) throws IOException, InterruptedException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long size = channel.size();
            for (long left = size; left > 0; ) {
                left = Math.max(0, left - STEP_BYTES);
                channel.truncate(left);
                Thread.sleep(PAUSE_MS);
            }
            return size;
        }
    }
}
