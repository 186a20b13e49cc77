/**
 * A node's part in the cluster: {@link io.flashraft.consensus.NodeServer} opens the node's record
 * stores and one Ratis server hosting every partition group that
 * {@link io.flashraft.consensus.Placement} gives it, proposes writes to the groups it leads and
 * serves linearizable reads.
 *
 * <p>Must never: block a caller's thread on consensus (everything answers with a future); let a
 * node join a group that placement does not give it.
 */
package io.flashraft.consensus;
