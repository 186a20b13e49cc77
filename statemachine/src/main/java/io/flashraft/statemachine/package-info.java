/**
 * The state machine of a partition group: what every replica does with each committed log entry.
 *
 * <p>{@link io.flashraft.statemachine.GroupApplier} is the deterministic core, free of Ratis: it
 * applies {@link io.flashraft.statemachine.LogEntry log entries} to the node's record stores,
 * keeps the group clock and the replicated session table, and answers reads.
 * {@link io.flashraft.statemachine.PartitionGroupStateMachine} is its Ratis face: stamping on the
 * leader, apply in log order, snapshots as store checkpoints.
 *
 * <p>Must never: read a clock or local setting in apply; skip a committed entry; answer a
 * rejection with anything but a reply code.
 */
package io.flashraft.statemachine;
