package io.flashraft.loadgen.peers;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed set of client connections shared by the generator's threads: each thread keeps the
 * connection it was first given, and threads are spread over the connections in turn.
 */
final class Connections<C> {
    private final List<C> connections;
    private final AtomicInteger next = new AtomicInteger();
    private final ThreadLocal<C> mine;

    Connections(List<C> connections) {
        if (connections.isEmpty()) {
            throw new IllegalArgumentException("no connection");
        }
        this.connections = List.copyOf(connections);
        this.mine = ThreadLocal.withInitial(() -> this.connections.get(Math.floorMod(next.getAndIncrement(), this.connections.size())));
    }

    /** The calling thread's connection. */
    C get() {
        return mine.get();
    }

    List<C> all() {
        return connections;
    }
}
