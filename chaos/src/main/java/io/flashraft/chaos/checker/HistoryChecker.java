package io.flashraft.chaos.checker;

import io.flashraft.chaos.history.History;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a whole history of one workload: splits it per key where the workload has keys (as
 * jepsen.independent does), keeps each key's ops with their process ids, and checks every key
 * with {@link Linearizability}. A history is valid when every key is; one invalid key makes it
 * invalid; a key the search could not decide in its budget makes it unknown.
 */
public final class HistoryChecker {
    /** The workloads whose histories this checks. */
    public enum Workload {
        /** One Knossos cas-register; the header names its initial value ({@code init 0} or {@code init nil}). */
        REGISTER,
        /** Several cas-registers, {@code :value [key v]}, each starting at 0. */
        REGISTER_INDEPENDENT,
        /** Elle list-append with single-micro-op transactions; strict serializability per key. */
        LIST_APPEND
    }

    /**
     * The verdict, and for an invalid or unknown one the key it came from.
     *
     * @param key            the first key that was not valid, or null
     * @param configurations the search effort over all keys
     */
    public record Result(Linearizability.Verdict verdict, Object key, long configurations) {
        public boolean valid() {
            return verdict == Linearizability.Verdict.VALID;
        }
    }

    /** The default budget of distinct configurations a key's search may explore. */
    public static final long DEFAULT_BUDGET = 5_000_000;
    private static final Pattern INIT = Pattern.compile("\\binit\\s+(\\S+)");

    private HistoryChecker() {
    }

    public static Result check(Workload workload, History history) {
        return check(workload, history, DEFAULT_BUDGET);
    }

    public static Result check(Workload workload, History history, long budget) {
        Map<Object, List<History.Op>> byKey = new LinkedHashMap<>();
        for (History.Op op : history.ops()) {
            byKey.computeIfAbsent(keyOf(workload, op), k -> new ArrayList<>()).add(unwrap(workload, op));
        }
        long configurations = 0;
        Result unknown = null;
        for (Map.Entry<Object, List<History.Op>> key : byKey.entrySet()) {
            Model<?> model = switch (workload) {
                case REGISTER -> new CasRegister(initialValue(history.header()));
                case REGISTER_INDEPENDENT -> new CasRegister(0L);
                case LIST_APPEND -> ListAppend.INSTANCE;
            };
            Linearizability.Result result = Linearizability.check(Operation.pair(key.getValue()), model, budget);
            configurations += result.configurations();
            if (result.verdict() == Linearizability.Verdict.INVALID) {
                return new Result(Linearizability.Verdict.INVALID, key.getKey(), configurations);
            }
            if (result.verdict() == Linearizability.Verdict.UNKNOWN && unknown == null) {
                unknown = new Result(Linearizability.Verdict.UNKNOWN, key.getKey(), 0);
            }
        }
        return unknown != null ? new Result(unknown.verdict(), unknown.key(), configurations)
                : new Result(Linearizability.Verdict.VALID, null, configurations);
    }

    private static Object keyOf(Workload workload, History.Op op) {
        return switch (workload) {
            case REGISTER -> "register";
            case REGISTER_INDEPENDENT -> ((List<?>) op.value()).get(0);
            case LIST_APPEND -> microOp(op).get(1);
        };
    }

    /** The op as its key's own history sees it. */
    private static History.Op unwrap(Workload workload, History.Op op) {
        Object value = switch (workload) {
            case REGISTER -> op.value();
            case REGISTER_INDEPENDENT -> ((List<?>) op.value()).get(1);
            case LIST_APPEND -> microOp(op);
        };
        return new History.Op(op.index(), op.timeNs(), op.type(), op.process(), op.f(), value);
    }

    private static List<?> microOp(History.Op op) {
        List<?> txn = (List<?>) op.value();
        if (txn == null || txn.size() != 1) {
            throw new IllegalArgumentException("only single-micro-op transactions are checked: " + op.toEdn());
        }
        return (List<?>) txn.get(0);
    }

    /** The initial value a header names ({@code ... init 0}); 0 when it names none. */
    static Object initialValue(String header) {
        Matcher init = INIT.matcher(header);
        if (!init.find() || init.group(1).equals("0")) {
            return 0L;
        }
        return init.group(1).equals("nil") ? null : Long.parseLong(init.group(1));
    }
}
