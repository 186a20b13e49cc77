package io.flashraft.device.block;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Proves that the aligned buffers every device I/O goes through are exactly as large as asked. */
class FileBlockDeviceTest {

    /**
     * A write buffer's capacity is what the write flusher writes and what cold start reads: one
     * byte more than a write block spills into the next block. The JDK hands out a 4 KiB-aligned
     * address about once in 256 allocations, so many allocations are made.
     */
    @Test
    void alignedBufferHasExactlyTheAskedCapacityWhateverAddressTheJdkGives() {
        List<ByteBuffer> kept = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            int size = (i % 2 == 0 ? 64 : 4) * 1024;
            ByteBuffer buffer = FileBlockDevice.alignedBuffer(size);
            assertEquals(size, buffer.capacity(), "capacity of aligned buffer #" + i);
            assertEquals(0, buffer.position());
            assertEquals(size, buffer.limit());
            assertEquals(0, buffer.alignmentOffset(0, FileBlockDevice.DIRECT_ALIGNMENT), "aligned address");
            if (i % 3 == 0) {
                kept.add(buffer);
            }
        }
        assertEquals(1366, kept.size());
    }
}
