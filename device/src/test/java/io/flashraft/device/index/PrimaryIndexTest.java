package io.flashraft.device.index;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flashraft.protocol.Digest;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PrimaryIndexTest {
    @Test
    void touchReadsTheEntryAtADigestsHomeSlotAndChangesNothing() {
        PrimaryIndex index = new PrimaryIndex();
        Digest digest = randomDigest(new Random(7));
        int partition = digest.partition();
        int d1 = ByteBuffer.wrap(digest.toBytes()).getInt(4);
        assertEquals(0, index.touch(partition, d1), "an empty partition has no slot to read");

        int entry = index.insert(digest);
        index.set(partition, entry, 42L, 3, 0, 9, 1, 0);

        assertEquals(d1, index.touch(partition, d1), "the only entry sits at its home slot");
        assertEquals(1, index.size());
        assertEquals(entry, index.find(digest));
        assertEquals(42L, index.location(partition, entry));
        assertEquals(3, index.generation(partition, entry));
    }

    private static Digest randomDigest(Random random) {
        byte[] bytes = new byte[Digest.LENGTH];
        random.nextBytes(bytes);
        return Digest.of(bytes);
    }
}
