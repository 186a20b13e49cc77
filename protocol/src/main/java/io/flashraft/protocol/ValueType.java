package io.flashraft.protocol;

/**
 * The type of a {@link Value}, with the one-byte code that tags it in every encoding.
 *
 * <p>The codes follow Aerospike's particle types, so that a reader who knows one knows the other.
 * They are part of the wire and on-device formats: never renumber them.
 */
public enum ValueType {
    INTEGER(1),
    DOUBLE(2),
    STRING(3),
    BYTES(4),
    BOOLEAN(17),
    MAP(19),
    LIST(20);

    private static final ValueType[] BY_CODE = new ValueType[256];

    static {
        for (ValueType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    private final int code;

    ValueType(int code) {
        this.code = code;
    }

    /** The byte that tags this type in encodings. */
    public int code() {
        return code;
    }

    /**
     * The type with this code.
     *
     * @throws DecodeException if no type has this code
     */
    public static ValueType ofCode(int code) {
        ValueType type = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (type == null) {
            throw new DecodeException("unknown value type code " + code);
        }
        return type;
    }
}
