package io.flashraft.protocol;

import java.util.Objects;

/**
 * One step of an operate request, applied to one bin of the record in order with the others.
 *
 * @param type     what to do
 * @param bin      the bin it acts on
 * @param value    the operand: the value to write, add, append or list-append, the map key of
 *                 MAP_PUT / MAP_GET, the index (an integer) of LIST_POP; null for READ and DELETE
 * @param mapValue the value of MAP_PUT; null otherwise
 */
public record BinOp(Type type, String bin, Value value, Value mapValue) {
    /** The bin operations, with their wire codes. Never renumber them. */
    public enum Type {
        /** Set the bin to the value. */
        WRITE(1, true, false),
        /** Return the bin. */
        READ(2, false, false),
        /** Add an integer to an integer bin, or a double to a double bin; a missing bin counts as 0. */
        ADD(3, true, false),
        /** Append a string to a string bin, or bytes to a bytes bin. */
        APPEND(4, true, false),
        /** Prepend a string to a string bin, or bytes to a bytes bin. */
        PREPEND(5, true, false),
        /** Remove the bin. */
        DELETE(6, false, false),
        /** Append the value to a list bin (created if missing); returns the new size. */
        LIST_APPEND(7, true, false),
        /** Remove and return the list element at the index (negative counts from the end). */
        LIST_POP(8, true, false),
        /** Put key to value in a map bin (created if missing); returns the new size. */
        MAP_PUT(9, true, true),
        /** Return the value under the key of a map bin. */
        MAP_GET(10, true, false);

        private final int code;
        private final boolean hasValue;
        private final boolean hasMapValue;

        Type(int code, boolean hasValue, boolean hasMapValue) {
            this.code = code;
            this.hasValue = hasValue;
            this.hasMapValue = hasMapValue;
        }

        public int code() {
            return code;
        }

        /** Whether the operation carries an operand. */
        public boolean hasValue() {
            return hasValue;
        }

        /** Whether the operation carries a map value besides its operand. */
        public boolean hasMapValue() {
            return hasMapValue;
        }

        /** Whether the operation changes the record. */
        public boolean writes() {
            return this != READ && this != MAP_GET;
        }

        /** The type with this wire code. */
        public static Type ofCode(int code) {
            for (Type type : values()) {
                if (type.code == code) {
                    return type;
                }
            }
            throw new DecodeException("unknown bin operation " + code);
        }
    }

    public BinOp {
        Objects.requireNonNull(type, "type");
        Bins.checkName(bin);
        if (type.hasValue() != (value != null)) {
            throw new IllegalArgumentException(type + (type.hasValue() ? " needs" : " takes no") + " operand");
        }
        if (type.hasMapValue() != (mapValue != null)) {
            throw new IllegalArgumentException(type + (type.hasMapValue() ? " needs" : " takes no") + " map value");
        }
    }

    public static BinOp write(String bin, Value value) {
        return new BinOp(Type.WRITE, bin, value, null);
    }

    public static BinOp read(String bin) {
        return new BinOp(Type.READ, bin, null, null);
    }

    public static BinOp add(String bin, Value delta) {
        return new BinOp(Type.ADD, bin, delta, null);
    }

    public static BinOp append(String bin, Value suffix) {
        return new BinOp(Type.APPEND, bin, suffix, null);
    }

    public static BinOp prepend(String bin, Value prefix) {
        return new BinOp(Type.PREPEND, bin, prefix, null);
    }

    public static BinOp delete(String bin) {
        return new BinOp(Type.DELETE, bin, null, null);
    }

    public static BinOp listAppend(String bin, Value element) {
        return new BinOp(Type.LIST_APPEND, bin, element, null);
    }

    public static BinOp listPop(String bin, long index) {
        return new BinOp(Type.LIST_POP, bin, Value.of(index), null);
    }

    public static BinOp mapPut(String bin, Value key, Value value) {
        return new BinOp(Type.MAP_PUT, bin, key, value);
    }

    public static BinOp mapGet(String bin, Value key) {
        return new BinOp(Type.MAP_GET, bin, key, null);
    }
}
