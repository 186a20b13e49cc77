/**
 * The record store: one namespace's records on one node, as the replicated state machine
 * applies them.
 *
 * <p>{@link io.flashraft.device.RecordStore} is the public face; {@link io.flashraft.device.RecordStores}
 * opens an engine from a {@link io.flashraft.device.StoreConfig}. {@link io.flashraft.device.AbstractRecordStore}
 * holds the one copy of the rules every engine shares. Nothing here reads a clock or decides
 * anything from local state that a replica would not share: time comes in each
 * {@link io.flashraft.device.WriteContext}.
 */
package io.flashraft.device;
