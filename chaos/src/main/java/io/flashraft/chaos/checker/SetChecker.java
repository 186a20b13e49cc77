package io.flashraft.chaos.checker;

import io.flashraft.chaos.history.History;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Jepsen's set checker: every acknowledged add is in every final read (nothing lost), and no
 * final read holds an element that was never added or whose add failed, or holds one twice.
 * Adds whose outcome is in doubt may be present or not. Without a successful final read the
 * verdict is unknown.
 */
public final class SetChecker {
    private SetChecker() {
    }

    public static HistoryChecker.Result check(History history) {
        Set<Object> acknowledged = new HashSet<>();
        Set<Object> failed = new HashSet<>();
        Set<Object> attempted = new HashSet<>();
        List<History.Op> reads = new java.util.ArrayList<>();
        for (History.Op op : history.ops()) {
            if (op.f().equals("add")) {
                switch (op.type()) {
                    case INVOKE -> attempted.add(op.value());
                    case OK -> acknowledged.add(op.value());
                    case FAIL -> failed.add(op.value());
                    default -> { }
                }
            } else if (op.f().equals("read") && op.type() == History.Type.OK) {
                reads.add(op);
            }
        }
        if (reads.isEmpty()) {
            return new HistoryChecker.Result(Linearizability.Verdict.UNKNOWN, "no final read succeeded", 0);
        }
        for (History.Op read : reads) {
            List<?> elements = (List<?>) read.value();
            Set<Object> seen = new HashSet<>();
            for (Object element : elements) {
                if (!seen.add(element)) {
                    return invalid("element " + element + " read twice at index " + read.index());
                }
                if (!attempted.contains(element) || failed.contains(element)) {
                    return invalid("element " + element + " read at index " + read.index() + " was never added");
                }
            }
            for (Object element : acknowledged) {
                if (!seen.contains(element)) {
                    return invalid("acknowledged element " + element + " lost from the read at index " + read.index());
                }
            }
        }
        return new HistoryChecker.Result(Linearizability.Verdict.VALID, null, 0);
    }

    private static HistoryChecker.Result invalid(String what) {
        return new HistoryChecker.Result(Linearizability.Verdict.INVALID, what, 0);
    }
}
