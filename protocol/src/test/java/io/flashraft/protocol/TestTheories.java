package io.flashraft.protocol;

import org.quicktheories.QuickTheory;

/**
 * Sizing and seeding of the property tests in this module.
 *
 * <p>The number of examples comes from the system property {@code flashraft.test.examples}, which
 * the root pom hands to surefire (60 by default, 1000 with {@code -Pexhaustive}). The seed is fixed,
 * so a failure reproduces with the same command; {@code -Dflashraft.test.seed=N} explores another
 * part of the input space, and a failure found that way reproduces with the same {@code -D}.
 * QuickTheories shrinks a falsified example before it reports it.
 */
final class TestTheories {
    /** Examples per property. */
    static final int EXAMPLES = Integer.getInteger("flashraft.test.examples", 60);
    /** The seed of every property in this module. */
    static final long SEED = Long.getLong("flashraft.test.seed", 0x5EED_F1A5_4EC0L);

    private TestTheories() {
    }

    /** A theory sized by {@link #EXAMPLES} and seeded by {@link #SEED}. */
    static QuickTheory theory() {
        return QuickTheory.qt().withExamples(EXAMPLES).withFixedSeed(SEED);
    }
}
