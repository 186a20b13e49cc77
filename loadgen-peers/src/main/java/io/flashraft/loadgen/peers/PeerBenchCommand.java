package io.flashraft.loadgen.peers;

import io.flashraft.loadgen.Driver;
import io.flashraft.loadgen.LoadOptions;
import io.flashraft.loadgen.LoadResult;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code java -jar flashraft-peers.jar etcd|zookeeper ...}: the load of {@code flashraft bench},
 * with the same options, against etcd or ZooKeeper (scripts/bench-peers.sh runs all three).
 */
@Command(name = "flashraft-peers", mixinStandardHelpOptions = true,
        description = "Drive the load generator's load at etcd or ZooKeeper.",
        subcommands = {PeerBenchCommand.Etcd.class, PeerBenchCommand.ZooKeeperBench.class})
public final class PeerBenchCommand {
    private PeerBenchCommand() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(PeerBenchCommand.class).execute(args));
    }

    /** What both subcommands share: the connections, the load, and how it runs. */
    abstract static class PeerBench implements Callable<Integer> {
        @Option(names = "--connections", defaultValue = "3", description = "Client connections the threads share (default 3).")
        int connections;
        @Mixin
        LoadOptions load;

        abstract String system();

        abstract Driver connect() throws Exception;

        @Override
        public Integer call() throws Exception {
            try {
                load.spec();
            } catch (IllegalArgumentException e) {
                System.err.println(system() + " bench: " + e.getMessage());
                return 2;
            }
            Driver driver;
            try {
                driver = connect();
            } catch (Exception e) {
                System.err.println(system() + " bench: cannot connect: " + e);
                return 4;
            }
            try (driver) {
                LoadResult result = load.run(driver, system(), System.out, System.err);
                return result.errors() == 0 ? 0 : 1;
            }
        }
    }

    @Command(name = "etcd", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Load an etcd cluster through jetcd (linearizable range reads, puts).")
    static final class Etcd extends PeerBench {
        @Option(names = "--endpoints", split = ",", defaultValue = "http://127.0.0.1:2379",
                description = "Client URLs of the members (default http://127.0.0.1:2379).")
        List<String> endpoints;
        @Option(names = "--prefix", defaultValue = "bench", description = "Prefix of the keys (default bench).")
        String prefix;

        @Override
        String system() {
            return "etcd";
        }

        @Override
        Driver connect() {
            return EtcdDriver.connect(endpoints, connections, prefix);
        }
    }

    @Command(name = "zookeeper", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Load a ZooKeeper ensemble through its Java client (sync + getData reads, setData).")
    static final class ZooKeeperBench extends PeerBench {
        @Option(names = "--servers", split = ",", defaultValue = "127.0.0.1:2181",
                description = "host:port of the servers (default 127.0.0.1:2181).")
        List<String> servers;
        @Option(names = "--root", defaultValue = "/bench", description = "Parent znode of the keys (default /bench).")
        String root;

        @Override
        String system() {
            return "zookeeper";
        }

        @Override
        Driver connect() throws Exception {
            return ZooKeeperDriver.connect(servers, connections, root);
        }
    }
}
