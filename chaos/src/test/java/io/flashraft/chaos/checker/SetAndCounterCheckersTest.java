package io.flashraft.chaos.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flashraft.chaos.history.History;
import org.junit.jupiter.api.Test;

class SetAndCounterCheckersTest {
    private static Linearizability.Verdict set(String text) {
        return SetChecker.check(History.parse(text)).verdict();
    }

    private static Linearizability.Verdict counter(String text) {
        return CounterChecker.check(History.parse(text)).verdict();
    }

    private static final String ADDS = """
            {:index 0, :time 1, :type :invoke, :process 0, :f :add, :value 1}
            {:index 1, :time 2, :type :ok, :process 0, :f :add, :value 1}
            {:index 2, :time 3, :type :invoke, :process 1, :f :add, :value 2}
            {:index 3, :time 4, :type :info, :process 1, :f :add, :value 2}
            {:index 4, :time 5, :type :invoke, :process 0, :f :add, :value 3}
            {:index 5, :time 6, :type :fail, :process 0, :f :add, :value 3}
            {:index 6, :time 7, :type :invoke, :process 0, :f :read, :value nil}
            """;

    @Test
    void aSetKeepsEveryAcknowledgedAddAndNothingElse() {
        assertEquals(Linearizability.Verdict.VALID, set(ADDS + "{:index 7, :time 8, :type :ok, :process 0, :f :read, :value [1]}"));
        assertEquals(Linearizability.Verdict.VALID, set(ADDS + "{:index 7, :time 8, :type :ok, :process 0, :f :read, :value [2 1]}"),
                "an add in doubt may be there");
        assertEquals(Linearizability.Verdict.INVALID, set(ADDS + "{:index 7, :time 8, :type :ok, :process 0, :f :read, :value [2]}"),
                "an acknowledged add lost");
        assertEquals(Linearizability.Verdict.INVALID, set(ADDS + "{:index 7, :time 8, :type :ok, :process 0, :f :read, :value [1 3]}"),
                "a failed add present");
        assertEquals(Linearizability.Verdict.INVALID, set(ADDS + "{:index 7, :time 8, :type :ok, :process 0, :f :read, :value [1 9]}"),
                "an element never added");
        assertEquals(Linearizability.Verdict.INVALID, set(ADDS + "{:index 7, :time 8, :type :ok, :process 0, :f :read, :value [1 1]}"),
                "an element twice");
        assertEquals(Linearizability.Verdict.UNKNOWN, set(ADDS), "no final read");
    }

    private static final String INCREMENTS = """
            {:index 0, :time 1, :type :invoke, :process 0, :f :add, :value 1}
            {:index 1, :time 2, :type :ok, :process 0, :f :add, :value 1}
            {:index 2, :time 3, :type :invoke, :process 1, :f :add, :value 1}
            {:index 3, :time 4, :type :invoke, :process 0, :f :add, :value 1}
            {:index 4, :time 5, :type :fail, :process 0, :f :add, :value 1}
            {:index 5, :time 6, :type :invoke, :process 2, :f :read, :value nil}
            """;

    @Test
    void aCounterReadLiesBetweenTheAcknowledgedAndTheAttemptedIncrements() {
        assertEquals(Linearizability.Verdict.VALID, counter(INCREMENTS + "{:index 6, :time 7, :type :ok, :process 2, :f :read, :value 1}"));
        assertEquals(Linearizability.Verdict.VALID, counter(INCREMENTS + "{:index 6, :time 7, :type :ok, :process 2, :f :read, :value 2}"),
                "the pending increment may have been applied");
        assertEquals(Linearizability.Verdict.INVALID, counter(INCREMENTS + "{:index 6, :time 7, :type :ok, :process 2, :f :read, :value 0}"),
                "an acknowledged increment lost");
        assertEquals(Linearizability.Verdict.INVALID, counter(INCREMENTS + "{:index 6, :time 7, :type :ok, :process 2, :f :read, :value 3}"),
                "the failed increment counted");
    }
}
