package io.flashraft.loadgen;

/** What one operation of a load does. */
public enum Operation {
    /** Read a record. */
    READ,
    /** Overwrite a record with a new value. */
    UPDATE,
    /** Write a record under a key no operation used before. */
    INSERT,
    /** Read a record, then write it back changed (two round trips, measured as one). */
    READ_MODIFY_WRITE;

    /** The name on the command line and in results: read, update, insert, rmw. */
    public String label() {
        return this == READ_MODIFY_WRITE ? "rmw" : name().toLowerCase(java.util.Locale.ROOT);
    }

    static Operation ofLabel(String label) {
        for (Operation op : values()) {
            if (op.label().equals(label)) {
                return op;
            }
        }
        throw new IllegalArgumentException("no operation " + label + " (read, update, insert, rmw)");
    }
}
