/**
 * What every part of FlashRaft and every client must agree on byte for byte: values, bins, their
 * one canonical encoding, the key digest and the partition function ({@code docs/protocol.md}).
 *
 * <p>It depends on nothing, and its decoders trust no length they have not bounded.
 */
package io.flashraft.protocol;
