package io.flashraft.client.cli;

import io.flashraft.client.ClientPolicy;
import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.FlashRaftException;
import io.flashraft.client.Key;
import io.flashraft.client.Record;
import io.flashraft.protocol.Hex;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.ResultCode;
import io.flashraft.protocol.Value;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * What every CLI command that talks to a cluster shares: where the cluster is, how long to wait,
 * table or JSON output, and one meaning for each exit code.
 *
 * <pre>
 * 0 done   1 record not found   2 bad usage   3 refused (a definite failure: generation
 * mismatch, record exists, bad request, device full...)   4 cluster unavailable or timed out
 * (nothing was changed)   5 in doubt (a write that may or may not have been applied)
 * </pre>
 */
@CommandLine.Command(mixinStandardHelpOptions = true, sortOptions = false,
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:record not found", "2:bad usage", "3:refused (definite failure)",
                "4:cluster unavailable or timed out (nothing changed)", "5:in doubt (a write may have been applied)"})
abstract class ClientCommand implements Callable<Integer> {
    static final int NOT_FOUND = 1;
    static final int USAGE = 2;
    static final int REFUSED = 3;
    static final int UNAVAILABLE = 4;
    static final int IN_DOUBT = 5;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-s", "--seed"}, paramLabel = "HOST:PORT", split = ",",
            description = "Gateway address of any node (repeatable). Default: $FLASHRAFT_SEEDS, else 127.0.0.1:7201.")
    List<String> seeds;

    @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "30000",
            description = "Longest time the command may take with its retries (default ${DEFAULT-VALUE}).")
    int timeoutMs;

    @Option(names = "--json", description = "Print JSON instead of tables, for scripts.")
    boolean json;

    /** Runs the command against a connected client; answers its exit code. */
    abstract int run(FlashRaftClient client, PrintWriter out);

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ClientPolicy policy = ClientPolicy.DEFAULT.withTimeouts(Math.min(5_000, timeoutMs), timeoutMs);
        try (FlashRaftClient client = FlashRaftClient.connect(policy, ClientCli.seedsOrDefault(seeds).toArray(String[]::new))) {
            int code = run(client, out);
            out.flush();
            return code;
        } catch (FlashRaftException e) {
            err.println("flashraft: " + e.getMessage());
            err.flush();
            return exitCode(e);
        } catch (IllegalArgumentException e) {
            err.println("flashraft: " + e.getMessage());
            err.println("Try '" + spec.qualifiedName() + " --help' for usage.");
            err.flush();
            return USAGE;
        }
    }

    static int exitCode(FlashRaftException e) {
        if (e.inDoubt()) {
            return IN_DOUBT;
        }
        return switch (e.code()) {
            case NOT_FOUND -> NOT_FOUND;
            case UNAVAILABLE, TIMEOUT, OVERLOADED, NOT_LEADER -> UNAVAILABLE;
            default -> REFUSED;
        };
    }

    /** The options that name one record. */
    static final class KeyOptions {
        @CommandLine.Parameters(index = "0", paramLabel = "NAMESPACE")
        String namespace;

        @CommandLine.Parameters(index = "1", paramLabel = "SET")
        String set;

        @CommandLine.Parameters(index = "2", paramLabel = "KEY")
        String key;

        @Option(names = "--key-type", defaultValue = "string", paramLabel = "TYPE",
                description = "How KEY is read: string, integer or bytes (hex). Default ${DEFAULT-VALUE}.")
        String keyType;

        Key toKey() {
            return switch (keyType) {
                case "string" -> Key.of(namespace, set, key);
                case "integer" -> Key.of(namespace, set, Long.parseLong(key));
                case "bytes" -> Key.of(namespace, set, Hex.decode(key));
                default -> throw new IllegalArgumentException("--key-type is string, integer or bytes, not " + keyType);
            };
        }
    }

    /** A record as a table of bins or as one JSON object. */
    void printRecord(PrintWriter out, Record record) {
        if (json) {
            out.println(recordJson(record.meta(), record.bins().asMap()));
            return;
        }
        printMeta(out, record.meta());
        Table table = new Table("bin", "value");
        record.bins().asMap().forEach((name, value) -> table.row(name, ValueSyntax.json(value)));
        table.print(out);
    }

    void printMeta(PrintWriter out, RecordMeta meta) {
        if (json) {
            out.println(recordJson(meta, Map.of()));
        } else {
            out.println("generation " + meta.generation() + ", expires "
                    + (meta.voidTimeSec() == RecordMeta.NEVER_EXPIRES ? "never" : java.time.Instant.ofEpochSecond(meta.voidTimeSec())));
        }
    }

    static String recordJson(RecordMeta meta, Map<String, Value> bins) {
        StringBuilder out = new StringBuilder("{\"generation\":").append(meta.generation())
                .append(",\"voidTimeSec\":").append(meta.voidTimeSec()).append(",\"bins\":{");
        boolean first = true;
        for (Map.Entry<String, Value> bin : bins.entrySet()) {
            out.append(first ? "" : ",").append(ValueSyntax.quote(bin.getKey())).append(':');
            ValueSyntax.write(out, bin.getValue());
            first = false;
        }
        return out.append("}}").toString();
    }

    /** A message for a record that is not there: on stderr, exit code 1. */
    int notFound(Key key) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("flashraft: " + ResultCode.NOT_FOUND + ": " + key.namespace() + "/" + key.set() + "/" + key.userKey());
        err.flush();
        return NOT_FOUND;
    }
}
