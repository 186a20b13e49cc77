package io.flashraft.protocol;

/**
 * The partition function: 4096 partitions, each named by 12 bits of a record's digest.
 *
 * <p>partition = (digest[0] | digest[1] &lt;&lt; 8) &amp; 0x0FFF, that is the low byte of the
 * digest and the low four bits of the next (as Aerospike does). Specified with test vectors in
 * {@code docs/protocol.md}.
 */
public final class Partitions {
    /** The number of partitions in every cluster. */
    public static final int COUNT = 4096;

    private Partitions() {
    }

    /** The partition of a digest given as its first two bytes. */
    public static int of(byte digest0, byte digest1) {
        return ((digest0 & 0xFF) | ((digest1 & 0xFF) << 8)) & (COUNT - 1);
    }

    /** Checks that a partition number is in range. */
    public static int check(int partition) {
        if (partition < 0 || partition >= COUNT) {
            throw new IllegalArgumentException("partition " + partition + " outside 0.." + (COUNT - 1));
        }
        return partition;
    }
}
