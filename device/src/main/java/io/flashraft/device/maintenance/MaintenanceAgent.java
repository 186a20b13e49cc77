package io.flashraft.device.maintenance;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One named background thread that runs a store's maintenance pass every interval, until closed.
 *
 * <p>The interval is its rate limit. A pass that throws means the store is broken: the agent
 * keeps the failure, stops, and reports it through {@link #failure()} rather than retrying.
 */
public final class MaintenanceAgent implements AutoCloseable {
    private final Thread thread;
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private volatile RuntimeException failure;

    private MaintenanceAgent(String name, long intervalMs, Runnable pass) {
        thread = new Thread(() -> loop(intervalMs, pass), name);
        thread.setDaemon(true);
    }

    /**
     * Starts the agent.
     *
     * @param name       the thread's name
     * @param intervalMs the wait between the end of one pass and the start of the next
     * @param pass       one maintenance pass
     */
    public static MaintenanceAgent start(String name, long intervalMs, Runnable pass) {
        if (intervalMs <= 0) {
            throw new IllegalArgumentException("maintenance interval " + intervalMs + " ms must be positive");
        }
        MaintenanceAgent agent = new MaintenanceAgent(name, intervalMs, pass);
        agent.thread.start();
        return agent;
    }

    /** The exception that stopped the agent, or null while it runs or after a clean stop. */
    public RuntimeException failure() {
        return failure;
    }

    /** Stops the agent: a pass under way finishes first. Idempotent. */
    @Override
    public void close() {
        stopSignal.countDown();
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop(long intervalMs, Runnable pass) {
        try {
            while (!stopSignal.await(intervalMs, TimeUnit.MILLISECONDS)) {
                pass.run();
            }
        } catch (InterruptedException e) {
            // Nobody else interrupts this thread: treat it as a stop.
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = e;
        }
    }
}
