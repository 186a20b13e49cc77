package io.flashraft.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} options of the bench mains, each with a default. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    Args(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got '" + args[i] + "'");
            }
            values.put(args[i].substring(2), args[++i]);
        }
    }

    String string(String name, String defaultValue) {
        return values.getOrDefault(name, defaultValue);
    }

    long number(String name, long defaultValue) {
        String v = values.get(name);
        return v == null ? defaultValue : Long.parseLong(v.replace("_", ""));
    }
}
