package io.flashraft.server;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code flashraft server --config run/conf/n1.yaml}: runs a node until SIGTERM or SIGINT. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Run a FlashRaft node until SIGTERM or SIGINT, then stop gracefully (exit 0).")
final class ServerCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
            description = "The node's config file (YAML; see docs/configuration.md).")
    private Path config;

    @Override
    public Integer call() throws Exception {
        NodeConfig nodeConfig;
        try {
            nodeConfig = NodeConfig.load(config);
        } catch (ConfigException e) {
            System.err.println("flashraft server: " + e.getMessage());
            return 2;
        }
        Node node = Node.start(nodeConfig);
        System.out.println("flashraft: node " + nodeConfig.nodeId() + " running (cluster "
                + nodeConfig.cluster().hash().substring(0, 12) + ", " + nodeConfig.cluster().groupCount() + " groups)");
        CountDownLatch stop = new CountDownLatch(1);
        // Handle the signals ourselves (rather than in a shutdown hook) so that a graceful stop
        // ends with exit code 0, as an init system or script expects from SIGTERM.
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        stop.await();
        node.close();
        return 0;
    }
}
