package io.flashraft.loadgen;

/**
 * The system under test, as the generator drives it: blocking operations on integer keys, safe
 * to call from many threads at once. An operation that fails throws; the generator counts it.
 */
public interface Driver extends AutoCloseable {
    /** The key's value, or null when it has none. */
    byte[] read(long key) throws Exception;

    void update(long key, byte[] value) throws Exception;

    /** A write of a key no operation used before; a plain write unless the store tells them apart. */
    default void insert(long key, byte[] value) throws Exception {
        update(key, value);
    }

    /** A read, then a write of the same key. */
    default void readModifyWrite(long key, byte[] value) throws Exception {
        read(key);
        update(key, value);
    }

    /** What an acknowledged write has survived here (fsync on a majority, ...): printed with every result. */
    String durability();

    @Override
    void close() throws Exception;
}
