package io.flashraft.chaos.checker;

import io.flashraft.chaos.history.History;
import java.util.HashMap;
import java.util.Map;

/**
 * Jepsen's counter checker: every read lies between the sum of the increments acknowledged
 * before it began and the sum of the increments invoked before it ended (less those that
 * failed): a read below loses an acknowledged increment, one above counts one that never was.
 */
public final class CounterChecker {
    private CounterChecker() {
    }

    public static HistoryChecker.Result check(History history) {
        // Which add invocations failed: they never count.
        Map<Long, Integer> openAdd = new HashMap<>();
        boolean[] failedAdd = new boolean[history.ops().size()];
        for (int i = 0; i < history.ops().size(); i++) {
            History.Op op = history.ops().get(i);
            if (!op.f().equals("add")) {
                continue;
            }
            if (op.type() == History.Type.INVOKE) {
                openAdd.put(op.process(), i);
            } else {
                Integer invoked = openAdd.remove(op.process());
                if (invoked != null && op.type() == History.Type.FAIL) {
                    failedAdd[invoked] = true;
                }
            }
        }
        long acknowledged = 0;
        long attempted = 0;
        Map<Long, Long> lowerAtInvoke = new HashMap<>();
        for (int i = 0; i < history.ops().size(); i++) {
            History.Op op = history.ops().get(i);
            if (op.f().equals("add")) {
                if (op.type() == History.Type.INVOKE && !failedAdd[i]) {
                    attempted += (Long) op.value();
                } else if (op.type() == History.Type.OK) {
                    acknowledged += (Long) op.value();
                }
            } else if (op.f().equals("read")) {
                if (op.type() == History.Type.INVOKE) {
                    lowerAtInvoke.put(op.process(), acknowledged);
                } else if (op.type() == History.Type.OK) {
                    long lower = lowerAtInvoke.getOrDefault(op.process(), 0L);
                    long value = (Long) op.value();
                    if (value < lower || value > attempted) {
                        return new HistoryChecker.Result(Linearizability.Verdict.INVALID, "read of " + value + " at index "
                                + op.index() + " outside [" + lower + ", " + attempted + "]", 0);
                    }
                }
            }
        }
        return new HistoryChecker.Result(Linearizability.Verdict.VALID, null, 0);
    }
}
