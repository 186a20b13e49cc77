package io.flashraft.loadgen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * What every driver must do against its real system, whatever the system: writes are read back,
 * an unwritten key reads as none, and threads may share the driver. A driver's test supplies a
 * driver connected to a running system with no key written yet.
 */
public abstract class DriverContract {
    /** A driver of a running system where no key was written yet. */
    protected abstract Driver driver() throws Exception;

    private static byte[] value(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aWriteIsReadBackAndAnUnwrittenKeyReadsAsNone() throws Exception {
        Driver driver = driver();
        assertNull(driver.read(7), "nothing was written to key 7");
        driver.insert(7, value("first"));
        assertArrayEquals(value("first"), driver.read(7));
        driver.update(7, value("second"));
        assertArrayEquals(value("second"), driver.read(7));
        driver.readModifyWrite(7, value("third"));
        assertArrayEquals(value("third"), driver.read(7));
        driver.update(8, value("a key never inserted"));
        assertArrayEquals(value("a key never inserted"), driver.read(8), "an update of a new key writes it");
        assertTrue(!driver.durability().isBlank(), "it says what an acknowledged write survived");
    }

    @Test
    void threadsShareTheDriver() throws Exception {
        Driver driver = driver();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long key = 100 + t;
                writes.add(pool.submit(() -> {
                    for (int i = 0; i < 20; i++) {
                        driver.update(key, value(key + ":" + i));
                    }
                    return null;
                }));
            }
            for (Future<?> write : writes) {
                write.get();
            }
        } finally {
            pool.shutdownNow();
        }
        for (long key = 100; key < 108; key++) {
            assertEquals(key + ":19", new String(driver.read(key), StandardCharsets.UTF_8));
        }
    }
}
