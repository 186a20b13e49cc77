package io.flashraft.chaos.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.flashraft.chaos.history.Edn;
import io.flashraft.chaos.history.History;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;

/**
 * Histories of a simulated linearizable store are valid, and each corruption kind of the
 * histories folder's README, injected into one, makes it invalid.
 */
class SimulatedHistoriesTest {
    private static final int EXAMPLES = Integer.getInteger("flashraft.test.examples", 60) * 3;
    private static final long SEED = Long.getLong("flashraft.test.seed", 0x5EED_C4A05L);
    private static final Edn.Keyword READ = new Edn.Keyword("r");

    private static QuickTheory theory() {
        return QuickTheory.qt().withExamples(EXAMPLES).withFixedSeed(SEED);
    }

    @Test
    void simulatedRegisterHistoriesAreLinearizable() {
        simulatedHistoriesAreValid(HistoryChecker.Workload.REGISTER, SimulatedHistories::register);
    }

    @Test
    void simulatedListAppendHistoriesAreStrictlySerializable() {
        simulatedHistoriesAreValid(HistoryChecker.Workload.LIST_APPEND, SimulatedHistories::listAppend);
    }

    private static void simulatedHistoriesAreValid(HistoryChecker.Workload workload, Simulation simulation) {
        theory().forAll(longs().all(), integers().between(1, 8), integers().between(1, 120)).checkAssert((seed, p, n) -> {
            History history = simulation.simulate(new Random(seed), p, n);
            assertEquals(Linearizability.Verdict.VALID, HistoryChecker.check(workload, history).verdict(), () -> text(history));
        });
    }

    @Test
    void everyRegisterCorruptionIsFound() {
        corruptionIsFound(HistoryChecker.Workload.REGISTER, SimulatedHistories::register, SimulatedHistoriesTest::neverWritten);
        corruptionIsFound(HistoryChecker.Workload.REGISTER, SimulatedHistories::register, SimulatedHistoriesTest::staleRead);
        corruptionIsFound(HistoryChecker.Workload.REGISTER, SimulatedHistories::register, SimulatedHistoriesTest::casWrongValue);
    }

    @Test
    void everyListAppendCorruptionIsFound() {
        corruptionIsFound(HistoryChecker.Workload.LIST_APPEND, SimulatedHistories::listAppend, SimulatedHistoriesTest::lostAppend);
        corruptionIsFound(HistoryChecker.Workload.LIST_APPEND, SimulatedHistories::listAppend, SimulatedHistoriesTest::duplicateElement);
        corruptionIsFound(HistoryChecker.Workload.LIST_APPEND, SimulatedHistories::listAppend, SimulatedHistoriesTest::incompatibleOrder);
        corruptionIsFound(HistoryChecker.Workload.LIST_APPEND, SimulatedHistories::listAppend, SimulatedHistoriesTest::abortedRead);
    }

    private interface Simulation {
        History simulate(Random random, int processes, int operations);
    }

    /** Injects the corruption where the history has a place for it; every such history must be invalid. */
    private static void corruptionIsFound(HistoryChecker.Workload workload, Simulation simulation,
                                          BiFunction<History, Random, Optional<History>> corruption) {
        int[] corrupted = {0};
        theory().forAll(longs().all(), integers().between(1, 6), integers().between(10, 120)).checkAssert((seed, p, n) -> {
            Random random = new Random(seed);
            Optional<History> bad = corruption.apply(simulation.simulate(random, p, n), random);
            bad.ifPresent(history -> {
                corrupted[0]++;
                assertEquals(Linearizability.Verdict.INVALID, HistoryChecker.check(workload, history).verdict(),
                        () -> text(history));
            });
        });
        assertEquals(true, corrupted[0] >= EXAMPLES / 4, "the corruption found a place in " + corrupted[0] + " of " + EXAMPLES);
    }

    // ---- register corruptions ----------------------------------------------------------

    /** A read returns a value no one wrote. */
    private static Optional<History> neverWritten(History history, Random random) {
        List<Integer> reads = completions(history, op -> op.f().equals("read"));
        if (reads.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(replaceValue(history, reads.get(random.nextInt(reads.size())), 1_000_000_007L));
    }

    /**
     * A read returns a value that an acknowledged write had overwritten before the read began
     * (a stale read, a lost write, an overwritten write showing up again).
     */
    private static Optional<History> staleRead(History history, Random random) {
        List<History.Op> ops = history.ops();
        for (int r : completions(history, op -> op.f().equals("read"))) {
            int readInvoked = invocationOf(ops, r);
            List<Integer> writes = completions(history, op -> op.f().equals("write"));
            for (int w1 : writes) {
                for (int w2 : writes) {
                    if (w1 < invocationOf(ops, w2) && w2 < readInvoked) {
                        return Optional.of(replaceValue(history, r, ops.get(w1).value()));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** A cas succeeds though the register never held its expected value. */
    private static Optional<History> casWrongValue(History history, Random random) {
        List<Integer> cas = completions(history, op -> op.f().equals("cas"));
        if (cas.isEmpty()) {
            return Optional.empty();
        }
        int at = cas.get(random.nextInt(cas.size()));
        List<?> oldNew = (List<?>) history.ops().get(at).value();
        List<Object> wrong = List.of(1_000_000_007L, oldNew.get(1));
        History swapped = replaceValue(history, at, wrong);
        return Optional.of(replaceValue(swapped, invocationOf(swapped.ops(), at), wrong));
    }

    // ---- list-append corruptions -------------------------------------------------------

    /** A read lacks an element whose append completed before the read began (lost append, stale read). */
    private static Optional<History> lostAppend(History history, Random random) {
        List<History.Op> ops = history.ops();
        for (int r : completions(history, SimulatedHistoriesTest::isRead)) {
            List<?> read = readList(ops.get(r));
            if (read == null) {
                continue;
            }
            for (int a : completions(history, op -> !isRead(op))) {
                List<?> micro = micro(ops.get(a));
                if (micro.get(1).equals(micro(ops.get(r)).get(1)) && a < invocationOf(ops, r) && read.contains(micro.get(2))) {
                    List<Object> without = new ArrayList<>(read);
                    without.remove(micro.get(2));
                    return Optional.of(replaceRead(history, r, without));
                }
            }
        }
        return Optional.empty();
    }

    /** A read shows an element twice. */
    private static Optional<History> duplicateElement(History history, Random random) {
        for (int r : completions(history, SimulatedHistoriesTest::isRead)) {
            List<?> read = readList(history.ops().get(r));
            if (read != null) {
                List<Object> doubled = new ArrayList<>(read);
                doubled.add(read.get(random.nextInt(read.size())));
                return Optional.of(replaceRead(history, r, doubled));
            }
        }
        return Optional.empty();
    }

    /** A read shows two elements in the opposite of their real-time append order. */
    private static Optional<History> incompatibleOrder(History history, Random random) {
        List<History.Op> ops = history.ops();
        for (int r : completions(history, SimulatedHistoriesTest::isRead)) {
            List<?> read = readList(ops.get(r));
            for (int i = 0; read != null && i + 1 < read.size(); i++) {
                int first = appendOf(ops, read.get(i));
                int second = appendOf(ops, read.get(i + 1));
                if (first >= 0 && second >= 0 && first < invocationOf(ops, second)) {
                    List<Object> swapped = new ArrayList<>(read);
                    swapped.set(i, read.get(i + 1));
                    swapped.set(i + 1, read.get(i));
                    return Optional.of(replaceRead(history, r, swapped));
                }
            }
        }
        return Optional.empty();
    }

    /** A read includes the element of an append that failed. */
    private static Optional<History> abortedRead(History history, Random random) {
        List<History.Op> ops = new ArrayList<>(history.ops());
        for (int r : completions(history, SimulatedHistoriesTest::isRead)) {
            List<?> read = readList(ops.get(r));
            if (read == null) {
                continue;
            }
            // A failed append of a fresh element, by a new process, completed before the read began.
            long process = 1_000_000;
            long key = (Long) micro(ops.get(r)).get(1);
            List<Object> micro = List.of(new Edn.Keyword("append"), key, 999_999L);
            int readInvoked = invocationOf(ops, r);
            History.Op invoke = ops.get(readInvoked);
            ops.add(readInvoked, new History.Op(0, invoke.timeNs(), History.Type.INVOKE, process, "txn", List.of(micro)));
            ops.add(readInvoked + 1, new History.Op(0, invoke.timeNs(), History.Type.FAIL, process, "txn", List.of(micro)));
            List<Object> with = new ArrayList<>(read);
            with.add(999_999L);
            History inserted = new History(history.header(), ops);
            return Optional.of(replaceRead(inserted, r + 2, with));
        }
        return Optional.empty();
    }

    // ---- helpers -----------------------------------------------------------------------

    private static List<Integer> completions(History history, java.util.function.Predicate<History.Op> which) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < history.ops().size(); i++) {
            History.Op op = history.ops().get(i);
            if (op.type() == History.Type.OK && which.test(op)) {
                out.add(i);
            }
        }
        return out;
    }

    private static int invocationOf(List<History.Op> ops, int completion) {
        long process = ops.get(completion).process();
        for (int i = completion - 1; i >= 0; i--) {
            if (ops.get(i).process() == process && ops.get(i).type() == History.Type.INVOKE) {
                return i;
            }
        }
        throw new IllegalStateException("no invocation for " + completion);
    }

    private static int appendOf(List<History.Op> ops, Object element) {
        for (int i = 0; i < ops.size(); i++) {
            History.Op op = ops.get(i);
            if (op.type() == History.Type.OK && !isRead(op) && micro(op).get(2).equals(element)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isRead(History.Op op) {
        return micro(op).get(0).equals(READ);
    }

    private static List<?> micro(History.Op op) {
        return (List<?>) ((List<?>) op.value()).get(0);
    }

    private static List<?> readList(History.Op op) {
        List<?> read = (List<?>) micro(op).get(2);
        return read == null || read.isEmpty() ? null : read;
    }

    private static History replaceRead(History history, int at, List<Object> list) {
        List<?> micro = micro(history.ops().get(at));
        return replaceValue(history, at, List.of(Arrays.asList(micro.get(0), micro.get(1), List.copyOf(list))));
    }

    private static History replaceValue(History history, int at, Object value) {
        List<History.Op> ops = new ArrayList<>(history.ops());
        History.Op op = ops.get(at);
        ops.set(at, new History.Op(op.index(), op.timeNs(), op.type(), op.process(), op.f(), value));
        return new History(history.header(), ops);
    }

    private static String text(History history) {
        StringBuilder out = new StringBuilder(";; " + history.header() + "\n");
        history.ops().forEach(op -> out.append(op.toEdn()).append('\n'));
        return out.toString();
    }
}
