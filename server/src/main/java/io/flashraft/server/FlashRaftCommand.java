package io.flashraft.server;

import io.flashraft.client.cli.ClientCli;
import io.flashraft.loadgen.flashraft.BenchCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code flashraft} launcher: the top of the module graph. The server runs as a subcommand;
 * the client's CLI commands ({@link ClientCli}) and the load generator ({@link BenchCommand})
 * sit beside it.
 */
@Command(name = "flashraft", mixinStandardHelpOptions = true, version = "FlashRaft 0.1.0",
        description = "A consensus-first replicated key-value store.",
        subcommands = {ServerCommand.class, BenchCommand.class})
public final class FlashRaftCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The launcher with the server and every client command. */
    public static CommandLine commandLine() {
        return ClientCli.addTo(new CommandLine(new FlashRaftCommand()));
    }

    /** Threads of the common pool unless the JVM was told otherwise (see {@link #main}). */
    private static final int COMMON_POOL_THREADS = 4;

    public static void main(String[] args) {
        // On two cores the common pool gets one thread, and CompletableFuture then starts a new
        // thread for every async step instead; Ratis takes several per log append, and a node
        // spent most of its CPU starting threads. Set before anything uses the pool.
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism",
                    String.valueOf(Math.max(COMMON_POOL_THREADS, Runtime.getRuntime().availableProcessors() - 1)));
        }
        System.exit(commandLine().execute(args));
    }
}
