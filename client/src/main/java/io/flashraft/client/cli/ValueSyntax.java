package io.flashraft.client.cli;

import io.flashraft.protocol.Hex;
import io.flashraft.protocol.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the CLI reads and writes values.
 *
 * <p>Input: a JSON literal ({@code 42} integer, {@code 4.2} double, {@code true}, {@code "text"},
 * {@code [1,"a"]} list, {@code {"k":1}} map), {@code bytes:<hex>} for bytes, and anything else as
 * a plain string ({@code name=Ada}). Output: JSON, with bytes as {@code {"bytes":"<hex>"}} and map
 * keys that are not strings written as their JSON text.
 */
final class ValueSyntax {
    private ValueSyntax() {
    }

    /** Reads a value as typed on the command line. */
    static Value parse(String text) {
        if (text.startsWith("bytes:")) {
            return Value.of(Hex.decode(text.substring("bytes:".length())));
        }
        try {
            Parser parser = new Parser(text);
            Value value = parser.value();
            parser.skipSpace();
            if (parser.at == text.length()) {
                return value;
            }
        } catch (IllegalArgumentException notJson) {
            // Not a JSON literal: the text itself is the string.
        }
        return Value.of(text);
    }

    /** A value as JSON. */
    static String json(Value value) {
        StringBuilder out = new StringBuilder();
        write(out, value);
        return out.toString();
    }

    static void write(StringBuilder out, Value value) {
        if (value instanceof Value.IntegerValue v) {
            out.append(v.value());
        } else if (value instanceof Value.DoubleValue v) {
            out.append(Double.isFinite(v.value()) ? Double.toString(v.value()) : quote(Double.toString(v.value())));
        } else if (value instanceof Value.StringValue v) {
            out.append(quote(v.value()));
        } else if (value instanceof Value.BooleanValue v) {
            out.append(v.value());
        } else if (value instanceof Value.BytesValue v) {
            out.append("{\"bytes\":\"").append(Hex.encode(v.value())).append("\"}");
        } else if (value instanceof Value.ListValue v) {
            out.append('[');
            for (int i = 0; i < v.elements().size(); i++) {
                out.append(i == 0 ? "" : ",");
                write(out, v.elements().get(i));
            }
            out.append(']');
        } else if (value instanceof Value.MapValue v) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<Value, Value> entry : v.entries().entrySet()) {
                out.append(first ? "" : ",");
                first = false;
                out.append(entry.getKey() instanceof Value.StringValue s ? quote(s.value()) : quote(json(entry.getKey())));
                out.append(':');
                write(out, entry.getValue());
            }
            out.append('}');
        } else {
            throw new IllegalArgumentException("unknown value " + value);
        }
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    /** A strict JSON reader for one value; throws IllegalArgumentException at the first error. */
    private static final class Parser {
        private static final int MAX_DEPTH = 64;
        private final String text;
        int at;
        private int depth;

        Parser(String text) {
            this.text = text;
        }

        Value value() {
            skipSpace();
            if (at >= text.length()) {
                throw new IllegalArgumentException("no value");
            }
            char c = text.charAt(at);
            if (c == '"') {
                return Value.of(string());
            }
            if (c == '[' || c == '{') {
                if (++depth > MAX_DEPTH) {
                    throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH);
                }
                Value nested = c == '[' ? list() : map();
                depth--;
                return nested;
            }
            if (text.startsWith("true", at)) {
                at += 4;
                return Value.of(true);
            }
            if (text.startsWith("false", at)) {
                at += 5;
                return Value.of(false);
            }
            return number();
        }

        private Value list() {
            at++;
            List<Value> elements = new ArrayList<>();
            skipSpace();
            if (peek() == ']') {
                at++;
                return Value.list(elements);
            }
            while (true) {
                elements.add(value());
                skipSpace();
                char c = next();
                if (c == ']') {
                    return Value.list(elements);
                }
                if (c != ',') {
                    throw new IllegalArgumentException("expected , or ]");
                }
            }
        }

        private Value map() {
            at++;
            Map<Value, Value> entries = new LinkedHashMap<>();
            skipSpace();
            if (peek() == '}') {
                at++;
                return Value.map(entries);
            }
            while (true) {
                skipSpace();
                if (peek() != '"') {
                    throw new IllegalArgumentException("a map key is a string");
                }
                Value key = Value.of(string());
                skipSpace();
                if (next() != ':') {
                    throw new IllegalArgumentException("expected :");
                }
                entries.put(key, value());
                skipSpace();
                char c = next();
                if (c == '}') {
                    return Value.map(entries);
                }
                if (c != ',') {
                    throw new IllegalArgumentException("expected , or }");
                }
            }
        }

        private String string() {
            at++;
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char escaped = next();
                switch (escaped) {
                    case '"', '\\', '/' -> out.append(escaped);
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw new IllegalArgumentException("short \\u escape");
                        }
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> throw new IllegalArgumentException("bad escape \\" + escaped);
                }
            }
        }

        private Value number() {
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            String number = text.substring(start, at);
            if (number.isEmpty()) {
                throw new IllegalArgumentException("not a value");
            }
            if (number.matches("-?(0|[1-9][0-9]*)")) {
                return Value.of(Long.parseLong(number));
            }
            if (number.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
                return Value.of(Double.parseDouble(number));
            }
            throw new IllegalArgumentException("not a number: " + number);
        }

        void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private char peek() {
            if (at >= text.length()) {
                throw new IllegalArgumentException("unexpected end");
            }
            return text.charAt(at);
        }

        private char next() {
            char c = peek();
            at++;
            return c;
        }
    }
}
