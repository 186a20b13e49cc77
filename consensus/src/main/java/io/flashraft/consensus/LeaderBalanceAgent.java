package io.flashraft.consensus;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loop per node that hands each group it leads back to the group's preferred leader when
 * that node is alive ({@link NodeServer#balanceLeaders}), so leadership spreads evenly and
 * returns after a node comes back.
 */
final class LeaderBalanceAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderBalanceAgent.class);

    private final NodeServer node;
    private final long intervalMs;
    private final Thread thread;
    private volatile boolean running = true;

    LeaderBalanceAgent(NodeServer node, long intervalMs) {
        this.node = node;
        this.intervalMs = intervalMs;
        this.thread = new Thread(this::run, "leader-balance-" + node.self().id());
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                Thread.sleep(intervalMs);
                node.balanceLeaders();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("node {}: leader balancing failed: {}", node.self().id(), e.toString());
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
