package io.flashraft.consensus;

import java.util.concurrent.ThreadFactory;

/** Thread factories for a node's own executors: named, so a thread dump says whose they are, and daemon, so they never hold a stopping JVM. */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** A factory whose threads are daemons called {@code name}. */
    public static ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
