package io.flashraft.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code flashraft} launcher: the top of the module graph. The server runs as a subcommand;
 * the client's CLI commands and the benchmarks plug in beside it.
 */
@Command(name = "flashraft", mixinStandardHelpOptions = true, version = "FlashRaft 0.1.0",
        description = "A consensus-first replicated key-value store.",
        subcommands = {ServerCommand.class})
public final class FlashRaftCommand implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FlashRaftCommand()).execute(args));
    }
}
