package io.flashraft.device.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Proves that the test disk crashes the way recovery tests assume: synced data stays, unsynced
 * data goes, only the last write tears; and that it refuses writes that break the device contract.
 */
class FaultyBlockDeviceTest {
    private static final int BLOCK = 4096;

    private static ByteBuffer filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return ByteBuffer.wrap(bytes);
    }

    @Test
    void syncedWritesSurviveACrashAndUnsyncedOnesBeforeTheLastAreLost() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk", 8 * BLOCK, BLOCK);
        BlockDevice view = disk.open(Path.of("d0"), 0, false);
        view.write(0, filled(BLOCK, 1));
        view.sync();
        view.write(BLOCK, filled(BLOCK, 2));
        view.write(2 * BLOCK, filled(BLOCK, 3));

        disk.crash(new Random(1));

        assertArrayEquals(filled(BLOCK, 1).array(), disk.copy(0, BLOCK));
        assertArrayEquals(new byte[BLOCK], disk.copy(BLOCK, BLOCK), "an unsynced write that was not the last is lost");
        byte[] last = disk.copy(2 * BLOCK, BLOCK);
        int landed = 0;
        while (landed < BLOCK && last[landed] == 3) {
            landed++;
        }
        assertEquals(0, landed % FaultyBlockDevice.SECTOR_BYTES, "a tear is cut at a sector boundary");
        for (int i = landed; i < BLOCK; i++) {
            assertEquals(0, last[i], "nothing past the tear lands");
        }
    }

    @Test
    void theLastUnsyncedWriteLandsInEveryLengthFromNothingToWhole() throws IOException {
        Set<Integer> prefixes = new HashSet<>();
        Random random = new Random(7);
        for (int i = 0; i < 200; i++) {
            FaultyBlockDevice disk = new FaultyBlockDevice("disk", 2 * BLOCK, BLOCK);
            disk.open(Path.of("d0"), 0, false).write(0, filled(BLOCK, 9));
            disk.crash(random);
            byte[] after = disk.copy(0, BLOCK);
            int landed = 0;
            while (landed < BLOCK && after[landed] == 9) {
                landed++;
            }
            prefixes.add(landed);
        }
        assertEquals(BLOCK / FaultyBlockDevice.SECTOR_BYTES + 1, prefixes.size(), "prefixes seen: " + prefixes);
    }

    @Test
    void aViewOpenedBeforeACrashRefusesIo() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk", 2 * BLOCK, BLOCK);
        BlockDevice stale = disk.open(Path.of("d0"), 0, false);
        disk.crash(new Random(1));
        IOException e = assertThrows(IOException.class, () -> stale.write(0, filled(BLOCK, 1)));
        assertTrue(e.getMessage().contains("before the disk crashed"), e.getMessage());
        BlockDevice closed = disk.open(Path.of("d0"), 0, false);
        closed.close();
        assertThrows(IOException.class, () -> closed.read(0, ByteBuffer.allocate(16)));
    }

    @Test
    void aWriteThatCrossesAWriteBlockIsRefusedAndRecorded() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk", 4 * BLOCK, BLOCK);
        BlockDevice view = disk.open(Path.of("d0"), 0, false);
        assertThrows(IOException.class, () -> view.write(BLOCK, filled(2 * BLOCK, 1)));
        assertThrows(IOException.class, () -> view.write(100, filled(512, 1)));
        assertEquals(2, disk.violations().size(), disk.violations().toString());
        assertArrayEquals(new byte[2 * BLOCK], disk.copy(BLOCK, 2 * BLOCK), "a refused write changes nothing");
    }

    @Test
    void corruptionHelpersChangeWhatIsReadBackDurably() throws IOException {
        FaultyBlockDevice disk = new FaultyBlockDevice("disk", 2 * BLOCK, BLOCK);
        BlockDevice view = disk.open(Path.of("d0"), 0, false);
        view.write(0, filled(BLOCK, 5));
        view.sync();
        disk.flipByte(10);
        disk.zero(2048, 2048);
        disk.crash(new Random(3));
        byte[] after = disk.copy(0, BLOCK);
        assertEquals((byte) ~5, after[10]);
        assertEquals(5, after[11]);
        assertEquals(0, after[2048]);
        assertEquals(0, after[BLOCK - 1]);
    }
}
