package io.flashraft.loadgen.flashraft;

import io.flashraft.client.FlashRaftException;
import io.flashraft.client.cli.ClientCli;
import io.flashraft.loadgen.LoadOptions;
import io.flashraft.loadgen.LoadResult;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code flashraft bench}: drives a load at a running cluster and prints its latencies. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load a running cluster through the client: closed or open loop, YCSB-style mixes,",
                "HdrHistogram percentiles per operation; a progress line every second on stderr."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done, no operation failed", "1:done, some operations failed", "2:bad usage",
                "4:the cluster could not be reached"})
public final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-s", "--seed"}, paramLabel = "HOST:PORT", split = ",",
            description = "Gateway address of any node (repeatable). Default: $FLASHRAFT_SEEDS, else 127.0.0.1:7201.")
    List<String> seeds;
    @Option(names = "--namespace", defaultValue = "test", description = "The namespace written (default test).")
    String namespace;
    @Option(names = "--set", defaultValue = "bench", description = "The set written (default bench).")
    String set;
    @Mixin
    LoadOptions load;

    @Override
    public Integer call() throws InterruptedException, IOException {
        PrintStream err = System.err;
        try {
            load.spec();
        } catch (IllegalArgumentException e) {
            err.println("flashraft bench: " + e.getMessage());
            return 2;
        }
        try (FlashRaftDriver driver = FlashRaftDriver.connect(ClientCli.seedsOrDefault(seeds), namespace, set)) {
            LoadResult result = load.run(driver, "flashraft", System.out, err);
            return result.errors() == 0 ? 0 : 1;
        } catch (FlashRaftException e) {
            err.println("flashraft bench: " + e.getMessage());
            return 4;
        }
    }
}
