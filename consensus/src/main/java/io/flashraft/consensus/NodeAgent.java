package io.flashraft.consensus;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One named loop that runs one background duty of a node every interval (leader balancing,
 * eviction), with a clean stop. A duty that throws is logged and runs again next interval.
 */
final class NodeAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);

    private final String name;
    private final long intervalMs;
    private final Runnable duty;
    private final Thread thread;
    private volatile boolean running = true;

    NodeAgent(String name, long intervalMs, Runnable duty) {
        this.name = name;
        this.intervalMs = intervalMs;
        this.duty = duty;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                Thread.sleep(intervalMs);
                duty.run();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("{} failed: {}", name, e.toString());
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
