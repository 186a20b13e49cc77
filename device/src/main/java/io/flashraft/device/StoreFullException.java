package io.flashraft.device;

/**
 * The store cannot physically hold a write: no free write block, or memory exhausted. Operations
 * report it as DEVICE_FULL; nothing was changed.
 */
public final class StoreFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreFullException(String message) {
        super(message);
    }
}
