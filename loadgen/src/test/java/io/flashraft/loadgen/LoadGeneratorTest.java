package io.flashraft.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {
    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();

    /** An in-memory store that counts what it is asked, and refuses updates when told to. */
    private static final class CountingDriver implements Driver {
        final AtomicLong reads = new AtomicLong();
        final AtomicLong updates = new AtomicLong();
        final Set<Long> inserted = ConcurrentHashMap.newKeySet();
        final boolean refuseUpdates;

        CountingDriver(boolean refuseUpdates) {
            this.refuseUpdates = refuseUpdates;
        }

        @Override
        public byte[] read(long key) {
            reads.incrementAndGet();
            return null;
        }

        @Override
        public void update(long key, byte[] value) {
            if (refuseUpdates) {
                throw new IllegalStateException("refused");
            }
            updates.incrementAndGet();
        }

        @Override
        public void insert(long key, byte[] value) {
            inserted.add(key);
        }

        @Override
        public String durability() {
            return "none (memory)";
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aClosedLoopCountsEveryOperationTheDriverServed() throws Exception {
        CountingDriver driver = new CountingDriver(false);
        LoadResult result = new LoadGenerator(driver, "memory", spec(0, 0, "A"), new PrintStream(progress)).run();
        assertEquals(driver.reads.get(), count(result, Operation.READ));
        assertEquals(driver.updates.get(), count(result, Operation.UPDATE));
        assertTrue(driver.reads.get() > 0 && driver.updates.get() > 0);
        assertEquals(0, result.errors());
        assertTrue(progress.toString().contains("measuring"), progress.toString());
    }

    @Test
    void refusedOperationsAreErrorsNotLatencies() throws Exception {
        CountingDriver driver = new CountingDriver(true);
        LoadResult result = new LoadGenerator(driver, "memory", spec(0, 0, "A"), new PrintStream(progress)).run();
        LoadResult.OperationStats updates = result.operations().stream()
                .filter(op -> op.operation() == Operation.UPDATE).findFirst().orElseThrow();
        assertEquals(0, updates.count());
        assertTrue(updates.errors() > 0);
        assertEquals(driver.reads.get(), count(result, Operation.READ));
    }

    @Test
    void anOpenLoopSendsNoMoreThanItsSchedule() throws Exception {
        CountingDriver driver = new CountingDriver(false);
        LoadResult result = new LoadGenerator(driver, "memory", spec(0, 200, "update=100"), new PrintStream(progress)).run();
        // Two threads, each due every 10 ms for 1 s: at most 101 operations each, however fast the machine.
        assertTrue(driver.updates.get() <= 202, "updates: " + driver.updates.get());
        assertEquals(driver.updates.get(), count(result, Operation.UPDATE));
    }

    @Test
    void preloadWritesEveryKeyOnce() throws Exception {
        CountingDriver driver = new CountingDriver(false);
        LoadGenerator.preload(driver, spec(0, 0, "A"), new PrintStream(progress));
        assertEquals(500, driver.inserted.size());
        assertTrue(driver.inserted.stream().allMatch(key -> key >= 0 && key < 500));
    }

    @Test
    void theJsonResultNamesEveryMeasuredOperation() throws Exception {
        LoadResult result = new LoadGenerator(new CountingDriver(false), "memory", spec(0, 0, "A"), new PrintStream(progress)).run();
        String json = result.toJson();
        assertTrue(json.startsWith("{\"system\":\"memory\",\"durability\":\"none (memory)\""), json);
        assertTrue(json.contains("\"read\":{\"count\":") && json.contains("\"update\":{\"count\":"), json);
        assertTrue(result.toTable().contains("p99 ms"), result.toTable());
    }

    @Test
    void badSpecsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LoadSpec(0, 0, 1, 0, 10, "uniform", 100, OperationMix.parse("A"), 1));
        assertThrows(IllegalArgumentException.class, () -> new LoadSpec(1, 0, 1, 0, 10, "pareto", 100, OperationMix.parse("A"), 1));
    }

    private static LoadSpec spec(int warmupSec, double rate, String mix) {
        return new LoadSpec(2, warmupSec, 1, rate, 500, "uniform", 100, OperationMix.parse(mix), 1);
    }

    private static long count(LoadResult result, Operation op) {
        return result.operations().stream().filter(s -> s.operation() == op).mapToLong(LoadResult.OperationStats::count).sum();
    }
}
