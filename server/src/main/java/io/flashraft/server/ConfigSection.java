package io.flashraft.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;

/**
 * One mapping of a YAML config file, read with typed getters that name the file and the full
 * key in every error ({@code run/conf/n1.yaml: cluster.nodes[1].raft-port: ...}). A section also
 * refuses keys nobody read, so a misspelt key stops start-up instead of being ignored.
 */
final class ConfigSection {
    private final String file;
    private final String path;
    private final Map<String, Object> values;
    private final Set<String> read = new LinkedHashSet<>();

    private ConfigSection(String file, String path, Map<String, Object> values) {
        this.file = file;
        this.path = path;
        this.values = values;
    }

    /** The top of a file's document. */
    static ConfigSection root(String file, Object document) throws ConfigException {
        if (!(document instanceof Map<?, ?>)) {
            throw new ConfigException(file + ": expected a mapping of settings at the top of the file");
        }
        return new ConfigSection(file, "", stringKeys(file, "", (Map<?, ?>) document));
    }

    private static Map<String, Object> stringKeys(String file, String path, Map<?, ?> map) throws ConfigException {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getKey() instanceof String key)) {
                throw new ConfigException(file + ": " + (path.isEmpty() ? "" : path + ": ") + "key " + entry.getKey()
                        + " is not a name");
            }
            out.put(key, entry.getValue());
        }
        return out;
    }

    private String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    ConfigException error(String name, String problem) {
        return new ConfigException(file + ": " + key(name) + ": " + problem);
    }

    /** An error about the section as a whole (the problem names the key). */
    ConfigException error(String problem) {
        return new ConfigException(file + ": " + (path.isEmpty() ? "" : path + ": ") + problem);
    }

    /**
     * Hands an optional integer setting to a setter whose object checks the range itself (the
     * store's settings), so that the range is written down once.
     */
    void ifInt(String name, IntConsumer setter) throws ConfigException {
        if (has(name)) {
            setter.accept((int) integer(name, Integer.MIN_VALUE, Integer.MAX_VALUE));
        }
    }

    /** The same for a 64-bit setting. */
    void ifLong(String name, LongConsumer setter) throws ConfigException {
        if (has(name)) {
            setter.accept(integer(name, Long.MIN_VALUE, Long.MAX_VALUE));
        }
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    private Object required(String name) throws ConfigException {
        read.add(name);
        Object value = values.get(name);
        if (value == null) {
            throw error(name, "missing (required)");
        }
        return value;
    }

    String string(String name) throws ConfigException {
        Object value = required(name);
        if (!(value instanceof String s) || s.isEmpty()) {
            throw error(name, "expected a non-empty string, got " + describe(value));
        }
        return s;
    }

    String string(String name, String defaultValue) throws ConfigException {
        return has(name) ? string(name) : mark(name, defaultValue);
    }

    long integer(String name, long min, long max) throws ConfigException {
        Object value = required(name);
        if (!(value instanceof Integer || value instanceof Long)) {
            throw error(name, "expected an integer in " + min + ".." + max + ", got " + describe(value));
        }
        long v = ((Number) value).longValue();
        if (v < min || v > max) {
            throw error(name, "expected an integer in " + min + ".." + max + ", got " + v);
        }
        return v;
    }

    long integer(String name, long min, long max, long defaultValue) throws ConfigException {
        return has(name) ? integer(name, min, max) : mark(name, defaultValue);
    }

    boolean bool(String name, boolean defaultValue) throws ConfigException {
        if (!has(name)) {
            return mark(name, defaultValue);
        }
        Object value = required(name);
        if (!(value instanceof Boolean b)) {
            throw error(name, "expected true or false, got " + describe(value));
        }
        return b;
    }

    ConfigSection section(String name) throws ConfigException {
        Object value = required(name);
        if (!(value instanceof Map<?, ?> map)) {
            throw error(name, "expected a mapping, got " + describe(value));
        }
        return new ConfigSection(file, key(name), stringKeys(file, key(name), map));
    }

    /** An optional section: empty when absent. */
    ConfigSection sectionOrEmpty(String name) throws ConfigException {
        return has(name) ? section(name) : new ConfigSection(file, key(mark(name, name)), Map.of());
    }

    List<ConfigSection> sections(String name) throws ConfigException {
        Object value = required(name);
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw error(name, "expected a non-empty list of mappings, got " + describe(value));
        }
        List<ConfigSection> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String itemPath = key(name) + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> map)) {
                throw new ConfigException(file + ": " + itemPath + ": expected a mapping, got " + describe(list.get(i)));
            }
            out.add(new ConfigSection(file, itemPath, stringKeys(file, itemPath, map)));
        }
        return out;
    }

    List<String> strings(String name) throws ConfigException {
        Object value = required(name);
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw error(name, "expected a non-empty list of strings, got " + describe(value));
        }
        List<String> out = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof String s) || s.isEmpty()) {
                throw error(name, "expected a non-empty list of strings, got " + describe(value));
            }
            out.add(s);
        }
        return out;
    }

    /** Fails on any key that no getter read: most likely a misspelling. */
    void finish() throws ConfigException {
        for (String name : values.keySet()) {
            if (!read.contains(name)) {
                throw error(name, "unknown setting (see docs/configuration.md)");
            }
        }
    }

    private <T> T mark(String name, T defaultValue) {
        read.add(name);
        return defaultValue;
    }

    private static String describe(Object value) {
        if (value == null) {
            return "nothing";
        }
        return "'" + value + "' (" + value.getClass().getSimpleName().toLowerCase() + ")";
    }
}
