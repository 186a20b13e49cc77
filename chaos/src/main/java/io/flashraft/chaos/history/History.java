package io.flashraft.chaos.history;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Jepsen history: one op map a line ({@code {:index 0, :time 17, :type :invoke, :process 3,
 * :f :write, :value 1}}), after an optional {@code ;;} header line. Every invocation has exactly
 * one completion from the same process; a process that got {@code :info} never appears again.
 *
 * @param header the first line's comment without its semicolons, or "" when there is none
 * @param ops    the ops in history order
 */
public record History(String header, List<Op> ops) {
    public History {
        Objects.requireNonNull(header, "header");
        ops = List.copyOf(ops);
    }

    /** An op's type. */
    public enum Type {
        INVOKE, OK, FAIL, INFO;

        static Type of(Edn.Keyword keyword) {
            return switch (keyword.name()) {
                case "invoke" -> INVOKE;
                case "ok" -> OK;
                case "fail" -> FAIL;
                case "info" -> INFO;
                default -> throw new IllegalArgumentException("unknown op type " + keyword);
            };
        }
    }

    /**
     * One line of a history.
     *
     * @param value as EDN reads it: {@code Long}, {@code null}, {@code List} (of the same)...
     */
    public record Op(long index, long timeNs, Type type, long process, String f, Object value) {
        public Op {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(f, "f");
        }

        /** The op as a Jepsen op map. */
        public String toEdn() {
            Map<Object, Object> map = new LinkedHashMap<>();
            map.put(new Edn.Keyword("index"), index);
            map.put(new Edn.Keyword("time"), timeNs);
            map.put(new Edn.Keyword("type"), new Edn.Keyword(type.name().toLowerCase()));
            map.put(new Edn.Keyword("process"), process);
            map.put(new Edn.Keyword("f"), new Edn.Keyword(f));
            map.put(new Edn.Keyword("value"), value);
            return Edn.write(map);
        }

        static Op of(Object parsed) {
            if (!(parsed instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException("an op is a map, got " + parsed);
            }
            return new Op(number(map, "index"), number(map, "time"), Type.of((Edn.Keyword) field(map, "type")),
                    number(map, "process"), ((Edn.Keyword) field(map, "f")).name(), map.get(new Edn.Keyword("value")));
        }

        private static Object field(Map<?, ?> map, String name) {
            Object value = map.get(new Edn.Keyword(name));
            if (value == null) {
                throw new IllegalArgumentException("op without :" + name + ": " + map);
            }
            return value;
        }

        private static long number(Map<?, ?> map, String name) {
            return (Long) field(map, name);
        }
    }

    /** Reads a history file. */
    public static History read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /** Reads a history from its text. */
    public static History parse(String text) {
        String header = "";
        List<Op> ops = new ArrayList<>();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.startsWith(";")) {
                if (ops.isEmpty() && header.isEmpty()) {
                    header = trimmed.replaceFirst("^;+\\s*", "");
                }
                continue;
            }
            ops.add(Op.of(Edn.read(trimmed)));
        }
        return new History(header, ops);
    }

    /** Writes the history in the same format, header first. */
    public void write(Writer out) throws IOException {
        if (!header.isEmpty()) {
            out.write(";; " + header + "\n");
        }
        for (Op op : ops) {
            out.write(op.toEdn());
            out.write('\n');
        }
    }
}
