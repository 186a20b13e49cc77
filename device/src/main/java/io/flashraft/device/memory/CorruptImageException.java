package io.flashraft.device.memory;

import java.nio.file.Path;

/**
 * A checkpoint image is torn or corrupt: the store refuses to open rather than load part of it.
 * The message names the file and what is wrong with it.
 */
public final class CorruptImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CorruptImageException(Path file, String problem, Throwable cause) {
        super("checkpoint image " + file + " is corrupt: " + problem, cause);
    }
}
