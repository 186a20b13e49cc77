package io.flashraft.protocol;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Which bins a read returns: all, none (metadata only), or the named ones. */
public final class BinSelection {
    /** All bins. */
    public static final BinSelection ALL = new BinSelection(null, false);
    /** Metadata only: no bins are decoded or returned. */
    public static final BinSelection HEADER = new BinSelection(Set.of(), true);

    private final Set<String> names;
    private final boolean headerOnly;

    private BinSelection(Set<String> names, boolean headerOnly) {
        this.names = names;
        this.headerOnly = headerOnly;
    }

    /** The named bins. */
    public static BinSelection of(String... names) {
        return of(List.of(names));
    }

    /** The named bins. */
    public static BinSelection of(Iterable<String> names) {
        TreeSet<String> set = new TreeSet<>();
        for (String name : names) {
            set.add(Bins.checkName(name));
        }
        return new BinSelection(Set.copyOf(set), false);
    }

    public boolean headerOnly() {
        return headerOnly;
    }

    /** The named bins, or null when the selection is all bins (empty when header only). */
    public Set<String> names() {
        return names;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BinSelection that && headerOnly == that.headerOnly
                && java.util.Objects.equals(names, that.names);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(names, headerOnly);
    }

    /** Applies the selection to a record's bins. */
    public Bins apply(Bins bins) {
        if (headerOnly) {
            return Bins.empty();
        }
        return names == null ? bins : bins.select(names);
    }
}
