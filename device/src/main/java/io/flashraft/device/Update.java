package io.flashraft.device;

import io.flashraft.protocol.Bins;
import io.flashraft.protocol.ResultCode;
import java.util.Objects;

/**
 * What a {@link RecordUpdate} decided.
 *
 * <ul>
 *   <li>{@link #reject}: write nothing, answer the code (e.g. BIN_TYPE_ERROR);</li>
 *   <li>{@link #read}: write nothing, answer the bins read;</li>
 *   <li>{@link #write}: make {@code newBins} the record's bins (no bins left deletes the record),
 *       answer the bins read.</li>
 * </ul>
 */
public final class Update {
    private final ResultCode rejection;
    private final Bins newBins;
    private final Bins result;

    private Update(ResultCode rejection, Bins newBins, Bins result) {
        this.rejection = rejection;
        this.newBins = newBins;
        this.result = result;
    }

    public static Update reject(ResultCode code) {
        if (code == ResultCode.OK) {
            throw new IllegalArgumentException("a rejection needs a code other than OK");
        }
        return new Update(code, null, Bins.empty());
    }

    public static Update read(Bins result) {
        return new Update(null, null, Objects.requireNonNull(result));
    }

    public static Update write(Bins newBins, Bins result) {
        return new Update(null, Objects.requireNonNull(newBins), Objects.requireNonNull(result));
    }

    /** The rejection code, or null. */
    public ResultCode rejection() {
        return rejection;
    }

    /** The bins to write, or null when nothing is written. */
    public Bins newBins() {
        return newBins;
    }

    /** The bins to answer with. */
    public Bins result() {
        return result;
    }
}
