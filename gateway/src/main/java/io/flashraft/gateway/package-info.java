/**
 * The node's gateway port (Netty, native epoll where available). Today it carries the
 * operations between nodes: the handshake that refuses a peer with another cluster config, and
 * the streaming of a group's state that rebuilds a replica ({@link io.flashraft.gateway.GatewayServer},
 * {@link io.flashraft.gateway.PeerSnapshotClient}). Client operations come with the gateway's
 * own issue.
 *
 * <p>Must never: block an event loop on disk or consensus (exports and installs run on their
 * own threads); read more of a peer than it can ingest (installs read one frame at a time).
 */
package io.flashraft.gateway;
