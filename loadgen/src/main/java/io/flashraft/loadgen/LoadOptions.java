package io.flashraft.loadgen;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options of a load, shared by the command of every driver (a Picocli mixin). */
public final class LoadOptions {
    @Option(names = "--threads", defaultValue = "16", description = "Client threads, one operation in flight each (default 16).")
    int threads;
    @Option(names = "--warmup", defaultValue = "5", description = "Seconds run first and not measured (default 5).")
    int warmupSec;
    @Option(names = "--duration", defaultValue = "20", description = "Seconds measured (default 20).")
    int durationSec;
    @Option(names = "--rate", defaultValue = "0",
            description = "Target operations per second of all threads (open loop); 0 runs closed loop (default).")
    double rate;
    @Option(names = "--keys", defaultValue = "100000", description = "Keys the operations touch (default 100000).")
    long keys;
    @Option(names = "--distribution", defaultValue = "uniform", description = "uniform or zipfian (default uniform).")
    String distribution;
    @Option(names = "--value-size", defaultValue = "100", description = "Bytes of each written value (default 100).")
    int valueBytes;
    @Option(names = "--workload", defaultValue = "A",
            description = "YCSB workload A, B, C, D or F, or weights such as update=100 or read=50,update=50 (default A).")
    String workload;
    @Option(names = "--load", description = "Write every key once before the run (YCSB's load phase).")
    boolean load;
    @Option(names = "--random-seed", defaultValue = "1", description = "Seed of the threads' random sources (default 1).")
    long seed;
    @Option(names = "--json", description = "Also write the result as JSON to this file.")
    Path json;

    public LoadSpec spec() {
        return new LoadSpec(threads, warmupSec, durationSec, rate, keys, distribution, valueBytes, OperationMix.parse(workload), seed);
    }

    /** Loads the keys if asked, runs the load, prints the table on {@code out} and writes the JSON if asked. */
    public LoadResult run(Driver driver, String system, PrintStream out, PrintStream progress)
            throws InterruptedException, IOException {
        LoadSpec spec = spec();
        if (load) {
            LoadGenerator.preload(driver, spec, progress);
        }
        LoadResult result = new LoadGenerator(driver, system, spec, progress).run();
        out.print(result.toTable());
        if (json != null) {
            Files.writeString(json, result.toJson() + "\n");
        }
        return result;
    }
}
