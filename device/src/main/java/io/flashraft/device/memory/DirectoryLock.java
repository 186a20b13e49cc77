package io.flashraft.device.memory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a data directory, held while a store is open: two stores writing
 * images into one directory would each replace the other's.
 */
final class DirectoryLock implements AutoCloseable {
    static final String LOCK_FILE_NAME = "LOCK";

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock.
     *
     * @throws IllegalStateException if another store, in this process or another, holds it
     */
    static DirectoryLock acquire(Path directory) {
        Path file = directory.resolve(LOCK_FILE_NAME);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open lock file " + file, e);
        }
        RuntimeException failure;
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return new DirectoryLock(channel, lock);
            }
            failure = new IllegalStateException("data directory " + directory + " is in use by another process");
        } catch (OverlappingFileLockException e) {
            failure = new IllegalStateException("data directory " + directory + " is in use by another store", e);
        } catch (IOException e) {
            failure = new UncheckedIOException("cannot lock data directory " + directory, e);
        }
        try {
            channel.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
        throw failure;
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the data directory lock", e);
        }
    }
}
