package io.flashraft.client.cli;

import java.util.List;
import picocli.CommandLine;

/**
 * The client's CLI commands, as the {@code flashraft} launcher offers them: put, get, exists,
 * delete, touch, operate, batch-get, scan, truncate, status, metrics. Every command takes
 * {@code --seed}, {@code --json}, {@code --timeout-ms} and {@code --help}; exit codes are listed in
 * each command's help (0 done, 1 not found, 2 bad usage, 3 refused, 4 unavailable, 5 in doubt).
 */
public final class ClientCli {
    private static final Class<?>[] COMMANDS = {RecordCommands.Put.class, RecordCommands.Get.class,
            RecordCommands.Exists.class, RecordCommands.Delete.class, RecordCommands.Touch.class,
            RecordCommands.Operate.class, RecordCommands.BatchGet.class, RecordCommands.Scan.class,
            RecordCommands.Truncate.class, ClusterCommands.Status.class, ClusterCommands.Metrics.class};

    private ClientCli() {
    }

    /** The seeds a command was given, else those of $FLASHRAFT_SEEDS, else 127.0.0.1:7201. */
    public static List<String> seedsOrDefault(List<String> given) {
        if (given != null && !given.isEmpty()) {
            return given;
        }
        String env = System.getenv("FLASHRAFT_SEEDS");
        return env == null || env.isBlank() ? List.of("127.0.0.1:7201") : List.of(env.split(","));
    }

    /** Adds every client command to a launcher's command line. */
    public static CommandLine addTo(CommandLine launcher) {
        for (Class<?> command : COMMANDS) {
            launcher.addSubcommand(command);
        }
        return launcher;
    }
}
