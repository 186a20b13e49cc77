package io.flashraft.device.flash;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Set names and the 16-bit ids the index stores instead of them. Ids are local to one run of a
 * store (cold start assigns them again from the records' own set names); "" is always id 0.
 * Lookups take no lock: names are published in a copy-on-write array.
 */
final class SetNames {
    private static final int MAX_SETS = 1 << 16;

    private final ConcurrentHashMap<String, Integer> ids = new ConcurrentHashMap<>();
    private volatile String[] names = new String[0];

    SetNames() {
        idOf("");
    }

    int idOf(String name) {
        Integer id = ids.get(name);
        return id != null ? id : assign(name);
    }

    private synchronized int assign(String name) {
        Integer id = ids.get(name);
        if (id != null) {
            return id;
        }
        if (names.length == MAX_SETS) {
            throw new IllegalStateException("more than " + MAX_SETS + " sets in one namespace");
        }
        String[] grown = Arrays.copyOf(names, names.length + 1);
        grown[names.length] = name;
        names = grown;
        ids.put(name, names.length - 1);
        return names.length - 1;
    }

    String name(int id) {
        return names[id];
    }
}
