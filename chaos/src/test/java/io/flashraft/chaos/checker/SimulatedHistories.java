package io.flashraft.chaos.checker;

import io.flashraft.chaos.history.Edn;
import io.flashraft.chaos.history.History;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Histories of a simulated linearizable store: processes invoke overlapping operations, each
 * takes effect at one moment between its invocation and its completion, some complete
 * {@code :info} (having taken effect or not) and their process is retired, some cas ops fail.
 * Written values and appended elements are unique, so the corruptions can be made certainly
 * invalid.
 */
final class SimulatedHistories {
    private static final Edn.Keyword APPEND = new Edn.Keyword("append");
    private static final Edn.Keyword READ = new Edn.Keyword("r");

    private SimulatedHistories() {
    }

    private static final class Pending {
        final long process;
        final String f;
        final Object invokeValue;
        Object result;
        boolean applied;
        boolean failed;

        Pending(long process, String f, Object invokeValue) {
            this.process = process;
            this.f = f;
            this.invokeValue = invokeValue;
        }
    }

    /** A single cas-register history starting at 0 (header {@code init 0}). */
    static History register(Random random, int processes, int operations) {
        return simulate(random, processes, operations, false);
    }

    /** A list-append history over a few keys, single-micro-op transactions. */
    static History listAppend(Random random, int processes, int operations) {
        return simulate(random, processes, operations, true);
    }

    private static History simulate(Random random, int processes, int operations, boolean lists) {
        List<History.Op> ops = new ArrayList<>();
        Map<Long, Pending> pending = new HashMap<>();
        long[] processIds = new long[processes];
        for (int p = 0; p < processes; p++) {
            processIds[p] = p;
        }
        Object[] register = {0L};
        Map<Long, List<Long>> appended = new HashMap<>();
        long nextValue = 1;
        int invoked = 0;
        long time = 1_000;
        while (invoked < operations || !pending.isEmpty()) {
            time += 1 + random.nextInt(1_000);
            int slot = random.nextInt(processes);
            long process = processIds[slot];
            Pending op = pending.get(process);
            if (op == null) {
                if (invoked >= operations) {
                    continue;
                }
                invoked++;
                Pending started = lists ? listOp(random, process, nextValue++) : registerOp(random, process, nextValue++, register[0]);
                pending.put(process, started);
                ops.add(new History.Op(ops.size(), time, History.Type.INVOKE, process, started.f, started.invokeValue));
            } else if (!op.applied && random.nextInt(3) > 0) {
                apply(op, register, appended);
            } else if (op.applied || random.nextInt(4) == 0) {
                pending.remove(process);
                boolean info = !op.f.equals("read") && !isRead(op) && random.nextInt(12) == 0;
                if (info) {
                    ops.add(new History.Op(ops.size(), time, History.Type.INFO, process, op.f, op.invokeValue));
                    processIds[slot] = process + processes;
                } else if (!op.applied) {
                    // Never took effect: only a failed cas may say so; everything else takes effect now.
                    apply(op, register, appended);
                    complete(ops, time, op);
                } else {
                    complete(ops, time, op);
                }
            }
        }
        return new History(lists ? "list-append, simulated" : "model cas-register init 0", ops);
    }

    private static boolean isRead(Pending op) {
        return op.f.equals("txn") && ((List<?>) ((List<?>) op.invokeValue).get(0)).get(0).equals(READ);
    }

    private static Pending registerOp(Random random, long process, long value, Object current) {
        return switch (random.nextInt(3)) {
            case 0 -> new Pending(process, "read", null);
            case 1 -> new Pending(process, "write", value);
            default -> new Pending(process, "cas", List.of(random.nextBoolean() ? current : value - 1, value));
        };
    }

    private static Pending listOp(Random random, long process, long element) {
        long key = random.nextInt(3);
        List<Object> micro = random.nextBoolean() ? List.of(APPEND, key, element) : java.util.Arrays.asList(READ, key, null);
        return new Pending(process, "txn", List.of(micro));
    }

    private static void apply(Pending op, Object[] register, Map<Long, List<Long>> appended) {
        op.applied = true;
        switch (op.f) {
            case "read" -> op.result = register[0];
            case "write" -> {
                register[0] = op.invokeValue;
                op.result = op.invokeValue;
            }
            case "cas" -> {
                List<?> oldNew = (List<?>) op.invokeValue;
                if (java.util.Objects.equals(register[0], oldNew.get(0))) {
                    register[0] = oldNew.get(1);
                } else {
                    op.failed = true;
                }
                op.result = op.invokeValue;
            }
            default -> {
                List<?> micro = (List<?>) ((List<?>) op.invokeValue).get(0);
                long key = (Long) micro.get(1);
                List<Long> list = appended.computeIfAbsent(key, k -> new ArrayList<>());
                if (micro.get(0).equals(APPEND)) {
                    list.add((Long) micro.get(2));
                    op.result = op.invokeValue;
                } else {
                    op.result = List.of(java.util.Arrays.asList(READ, key, list.isEmpty() ? null : List.copyOf(list)));
                }
            }
        }
    }

    private static void complete(List<History.Op> ops, long time, Pending op) {
        ops.add(new History.Op(ops.size(), time, op.failed ? History.Type.FAIL : History.Type.OK, op.process, op.f,
                op.result));
    }
}
