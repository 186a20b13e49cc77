package io.flashraft.protocol;

/**
 * A buffer that does not hold what its format says: truncated, over a bound, or with an unknown tag.
 *
 * <p>Decoders throw it before allocating anything sized by an unchecked length, so a hostile
 * buffer can cost at most its own size.
 */
public final class DecodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DecodeException(String message) {
        super(message);
    }
}
