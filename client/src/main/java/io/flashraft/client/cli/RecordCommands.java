package io.flashraft.client.cli;

import io.flashraft.client.FlashRaftClient;
import io.flashraft.client.Key;
import io.flashraft.client.Record;
import io.flashraft.protocol.BinOp;
import io.flashraft.protocol.BinSelection;
import io.flashraft.protocol.Bins;
import io.flashraft.protocol.RecordExistsAction;
import io.flashraft.protocol.RecordMeta;
import io.flashraft.protocol.Value;
import io.flashraft.protocol.WritePolicy;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The CLI commands on records: put, get, exists, delete, touch, operate, batch-get, scan, truncate. */
final class RecordCommands {

    private RecordCommands() {
    }

    /** The write policy options. */
    static final class WriteOptions {
        @Option(names = "--exists", defaultValue = "upsert", paramLabel = "ACTION",
                description = "When the record exists or not: upsert, create-only, update-only, replace (default ${DEFAULT-VALUE}).")
        String exists;

        @Option(names = "--generation", defaultValue = "0", paramLabel = "N",
                description = "Apply only if the record has this generation (0: any).")
        int generation;

        @Option(names = "--ttl", defaultValue = "0", paramLabel = "SECONDS",
                description = "Time to live: seconds, 0 for the namespace default, -1 never expire, -2 keep the current.")
        long ttlSec;

        WritePolicy policy() {
            RecordExistsAction action;
            try {
                action = RecordExistsAction.valueOf(exists.toUpperCase().replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--exists is upsert, create-only, update-only or replace, not " + exists);
            }
            return new WritePolicy(action, generation, ttlSec);
        }
    }

    /** A command on one record. */
    abstract static class OneRecord extends ClientCommand {
        @Mixin
        KeyOptions key;
    }

    /** A command that writes one record under a write policy. */
    abstract static class WriteOneRecord extends OneRecord {
        @ArgGroup(exclusive = false)
        WriteOptions write = new WriteOptions();
    }

    static Map<String, Value> parseBins(List<String> assignments) {
        Map<String, Value> bins = new LinkedHashMap<>();
        for (String assignment : assignments) {
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("a bin is written name=value, got " + assignment);
            }
            bins.put(assignment.substring(0, eq), ValueSyntax.parse(assignment.substring(eq + 1)));
        }
        return bins;
    }

    @Command(name = "put", description = "Write bins of a record: put NAMESPACE SET KEY name=value...")
    static final class Put extends WriteOneRecord {
        @Parameters(index = "3..*", arity = "1..*", paramLabel = "BIN=VALUE",
                description = "Values are JSON (42, 4.2, true, \"s\", [1,2], {\"k\":1}), bytes:<hex>, or plain text.")
        List<String> bins;

        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            RecordMeta meta = client.put(key.toKey(), Bins.of(parseBins(bins)), write.policy());
            printMeta(out, meta);
            return 0;
        }
    }

    @Command(name = "get", description = "Read a record: all bins, or those named with --bin.")
    static final class Get extends OneRecord {
        @Option(names = {"-b", "--bin"}, split = ",", paramLabel = "NAME", description = "Read only these bins.")
        List<String> binNames;

        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            Key k = key.toKey();
            Record record = client.get(k, binNames == null ? BinSelection.ALL : BinSelection.of(binNames));
            if (record == null) {
                return notFound(k);
            }
            printRecord(out, record);
            return 0;
        }
    }

    @Command(name = "exists", description = "Whether a record exists (exit code 0) or not (1), with its metadata.")
    static final class Exists extends OneRecord {
        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            Key k = key.toKey();
            RecordMeta meta = client.exists(k);
            if (meta == null) {
                return notFound(k);
            }
            printMeta(out, meta);
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete a record (exit code 1 when it did not exist).")
    static final class Delete extends WriteOneRecord {
        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            Key k = key.toKey();
            if (!client.delete(k, write.policy())) {
                return notFound(k);
            }
            out.println(json ? "{\"deleted\":true}" : "deleted");
            return 0;
        }
    }

    @Command(name = "touch", description = "Give a record a new generation and time to live.")
    static final class Touch extends WriteOneRecord {
        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            printMeta(out, client.touch(key.toKey(), write.policy()));
            return 0;
        }
    }

    @Command(name = "operate", description = {"Run bin operations on one record as one atomic step:",
            "  write:BIN=VALUE  read:BIN  add:BIN=NUMBER  append:BIN=TEXT  prepend:BIN=TEXT  delete:BIN",
            "  list-append:BIN=VALUE  list-pop:BIN=INDEX  map-put:BIN[KEY]=VALUE  map-get:BIN[KEY]"})
    static final class Operate extends WriteOneRecord {
        @Parameters(index = "3..*", arity = "1..*", paramLabel = "OP")
        List<String> ops;

        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            List<BinOp> parsed = new ArrayList<>();
            for (String op : ops) {
                parsed.add(parseOp(op));
            }
            printRecord(out, client.operate(key.toKey(), write.policy(), parsed));
            return 0;
        }
    }

    static BinOp parseOp(String op) {
        int colon = op.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("an operation is TYPE:BIN[=VALUE], got " + op);
        }
        String type = op.substring(0, colon);
        String rest = op.substring(colon + 1);
        int eq = rest.indexOf('=');
        String target = eq < 0 ? rest : rest.substring(0, eq);
        Value value = eq < 0 ? null : ValueSyntax.parse(rest.substring(eq + 1));
        String bin = target;
        Value mapKey = null;
        int bracket = target.indexOf('[');
        if (bracket > 0 && target.endsWith("]")) {
            bin = target.substring(0, bracket);
            mapKey = ValueSyntax.parse(target.substring(bracket + 1, target.length() - 1));
        }
        return switch (type) {
            case "write" -> BinOp.write(bin, required(value, op));
            case "read" -> BinOp.read(bin);
            case "add" -> BinOp.add(bin, required(value, op));
            case "append" -> BinOp.append(bin, required(value, op));
            case "prepend" -> BinOp.prepend(bin, required(value, op));
            case "delete" -> BinOp.delete(bin);
            case "list-append" -> BinOp.listAppend(bin, required(value, op));
            case "list-pop" -> BinOp.listPop(bin, required(value, op) instanceof Value.IntegerValue i ? i.value()
                    : failOp("list-pop takes an integer index: " + op));
            case "map-put" -> BinOp.mapPut(bin, required(mapKey, op), required(value, op));
            case "map-get" -> BinOp.mapGet(bin, required(mapKey, op));
            default -> throw new IllegalArgumentException("unknown operation " + type + " in " + op);
        };
    }

    private static <T> T required(T part, String op) {
        if (part == null) {
            throw new IllegalArgumentException("incomplete operation " + op);
        }
        return part;
    }

    private static long failOp(String message) {
        throw new IllegalArgumentException(message);
    }

    @Command(name = "batch-get", description = "Read many records of one set: batch-get NAMESPACE SET KEY...")
    static final class BatchGet extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAMESPACE")
        String namespace;
        @Parameters(index = "1", paramLabel = "SET")
        String set;
        @Parameters(index = "2..*", arity = "1..*", paramLabel = "KEY")
        List<String> keys;
        @Option(names = "--key-type", defaultValue = "string", paramLabel = "TYPE",
                description = "How each KEY is read: string, integer or bytes (hex).")
        String keyType;

        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            List<Key> parsed = new ArrayList<>();
            for (String k : keys) {
                KeyOptions options = new KeyOptions();
                options.namespace = namespace;
                options.set = set;
                options.key = k;
                options.keyType = keyType;
                parsed.add(options.toKey());
            }
            List<Record> records = client.batchGet(parsed, BinSelection.ALL);
            if (json) {
                StringBuilder line = new StringBuilder("[");
                for (int i = 0; i < records.size(); i++) {
                    Record r = records.get(i);
                    line.append(i == 0 ? "" : ",").append(r == null ? "null" : recordJson(r.meta(), r.bins().asMap()));
                }
                out.println(line.append(']'));
            } else {
                Table table = new Table("key", "generation", "bins");
                for (int i = 0; i < records.size(); i++) {
                    Record r = records.get(i);
                    table.row(keys.get(i), r == null ? "-" : r.meta().generation(),
                            r == null ? "(not found)" : binsText(r.bins()));
                }
                table.print(out);
            }
            return records.contains(null) ? NOT_FOUND : 0;
        }
    }

    static String binsText(Bins bins) {
        StringBuilder text = new StringBuilder();
        bins.asMap().forEach((name, value) -> text.append(text.length() == 0 ? "" : " ").append(name).append('=')
                .append(ValueSyntax.json(value)));
        return text.toString();
    }

    @Command(name = "scan", description = "List the records of a namespace (or of one set), partition by partition.")
    static final class Scan extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAMESPACE")
        String namespace;
        @Option(names = "--set", paramLabel = "SET", description = "Only records of this set.")
        String set;
        @Option(names = "--limit", defaultValue = "100", paramLabel = "N", description = "At most N records (default ${DEFAULT-VALUE}).")
        long limit;

        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            Table table = new Table("set", "digest", "generation", "bins");
            long count = client.scan(namespace, set, BinSelection.ALL, limit, record -> {
                if (json) {
                    out.println("{\"set\":" + ValueSyntax.quote(record.set()) + ",\"digest\":\"" + record.digest()
                            + "\",\"record\":" + recordJson(record.meta(), record.bins().asMap()) + "}");
                } else {
                    table.row(record.set(), record.digest(), record.meta().generation(), binsText(record.bins()));
                }
            });
            if (!json) {
                table.print(out);
                out.println(count + " records");
            }
            return 0;
        }
    }

    @Command(name = "truncate", description = "Remove every record of a set written before now, in every group.")
    static final class Truncate extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAMESPACE")
        String namespace;
        @Parameters(index = "1", paramLabel = "SET")
        String set;

        @Override
        int run(FlashRaftClient client, PrintWriter out) {
            long removed = client.truncate(namespace, set);
            out.println(json ? "{\"removed\":" + removed + "}" : "removed " + removed + " records");
            return 0;
        }
    }
}
