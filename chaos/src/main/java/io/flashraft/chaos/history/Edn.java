package io.flashraft.chaos.history;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the part of EDN that Jepsen histories use: nil, booleans, integers, strings,
 * keywords, vectors, lists and maps; commas are whitespace, {@code ;} starts a comment.
 * Integers become {@code Long}, keywords {@link Keyword}, vectors and lists {@code List}, maps
 * {@code Map} in their order.
 */
public final class Edn {
    /** An EDN keyword such as {@code :invoke}, without its colon. */
    public record Keyword(String name) {
        @Override
        public String toString() {
            return ":" + name;
        }
    }

    private final String text;
    private int at;

    private Edn(String text) {
        this.text = text;
    }

    /** Reads the one value in {@code text}; anything after it but whitespace and comments is an error. */
    public static Object read(String text) {
        Edn reader = new Edn(text);
        Object value = reader.value();
        reader.skip();
        if (reader.at != text.length()) {
            throw reader.error("text after the value");
        }
        return value;
    }

    /** The EDN text of a value read by {@link #read} (or built of the same kinds). */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("nil");
        } else if (value instanceof String s) {
            out.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                out.append(i == 0 ? "" : " ");
                write(out, list.get(i));
            }
            out.append(']');
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                out.append(first ? "" : ", ");
                first = false;
                write(out, entry.getKey());
                out.append(' ');
                write(out, entry.getValue());
            }
            out.append('}');
        } else {
            out.append(value);
        }
    }

    private Object value() {
        skip();
        if (at >= text.length()) {
            throw error("end of text where a value should be");
        }
        char c = text.charAt(at);
        switch (c) {
            case '[':
                return sequence(']');
            case '(':
                return sequence(')');
            case '{':
                return map();
            case '"':
                return string();
            case ':':
                at++;
                return new Keyword(token());
            default:
                return atom(token());
        }
    }

    private List<Object> sequence(char close) {
        at++;
        List<Object> items = new ArrayList<>();
        while (true) {
            skip();
            if (at < text.length() && text.charAt(at) == close) {
                at++;
                return Collections.unmodifiableList(items);
            }
            items.add(value());
        }
    }

    private Map<Object, Object> map() {
        at++;
        Map<Object, Object> entries = new LinkedHashMap<>();
        while (true) {
            skip();
            if (at < text.length() && text.charAt(at) == '}') {
                at++;
                return Collections.unmodifiableMap(entries);
            }
            Object key = value();
            entries.put(key, value());
        }
    }

    private String string() {
        at++;
        StringBuilder out = new StringBuilder();
        while (at < text.length()) {
            char c = text.charAt(at++);
            if (c == '"') {
                return out.toString();
            }
            if (c == '\\' && at < text.length()) {
                char escaped = text.charAt(at++);
                out.append(switch (escaped) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case 'r' -> '\r';
                    default -> escaped;
                });
            } else {
                out.append(c);
            }
        }
        throw error("unterminated string");
    }

    private String token() {
        int start = at;
        while (at < text.length() && !Character.isWhitespace(text.charAt(at)) && "[](){}\",;".indexOf(text.charAt(at)) < 0) {
            at++;
        }
        if (start == at) {
            throw error("unexpected '" + text.charAt(at) + "'");
        }
        return text.substring(start, at);
    }

    private Object atom(String token) {
        switch (token) {
            case "nil":
                return null;
            case "true":
                return Boolean.TRUE;
            case "false":
                return Boolean.FALSE;
            default:
                try {
                    return Long.parseLong(token.endsWith("N") ? token.substring(0, token.length() - 1) : token);
                } catch (NumberFormatException e) {
                    throw error("unsupported token " + token);
                }
        }
    }

    private void skip() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c == ';') {
                while (at < text.length() && text.charAt(at) != '\n') {
                    at++;
                }
            } else if (Character.isWhitespace(c) || c == ',') {
                at++;
            } else {
                return;
            }
        }
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("EDN: " + message + " at offset " + at);
    }
}
